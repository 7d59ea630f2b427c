import type { RunData } from './mlflow-json.js';

/**
 * Everything MLflow shows in a run's `data` and `inputs` (params, tags, latest metrics, dataset
 * inputs) for a page of runs. One implementation per database (mlflow-run-data.store.sqlite.ts,
 * mlflow-run-data.store.postgres.ts), chosen once at start (mlflowRunDataProvider).
 */
export abstract class MlflowRunDataStore {
  async dataFor(runIds: readonly number[]): Promise<Map<number, RunData>> {
    if (runIds.length === 0) {
      return new Map();
    }
    return this.dataOf(runIds);
  }

  /** dataFor of at least one run. */
  protected abstract dataOf(runIds: readonly number[]): Promise<Map<number, RunData>>;
}
