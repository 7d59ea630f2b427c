import { SqlClient } from '../../database/sql-client.js';
import { MetricSeriesEntity } from '../metrics/entities/metric.entity.js';
import { MetricStore } from '../metrics/metric.store.js';
import { ParamRepository } from '../params/param.repository.js';
import { RunInputRepository } from '../runs/run-input.repository.js';
import { RunRepository } from '../runs/run.repository.js';
import type { RunData } from './mlflow-json.js';
import { MlflowRunDataStore } from './mlflow-run-data.store.js';

/** SQLite, in process: the four reads of the owning repositories, as they are. */
export class SqliteMlflowRunDataStore extends MlflowRunDataStore {
  constructor(
    _sql: SqlClient,
    private readonly params: ParamRepository,
    private readonly runs: RunRepository,
    private readonly metrics: MetricStore,
    private readonly inputs: RunInputRepository,
  ) {
    super();
  }

  protected async dataOf(runIds: readonly number[]): Promise<Map<number, RunData>> {
    const [params, tags, latest, inputs] = await Promise.all([
      this.params.listForRuns(runIds),
      this.runs.tagsFor(runIds),
      this.metrics.latestForRuns(runIds),
      this.inputs.inputsFor(runIds),
    ]);
    const metricsByRun = new Map<number, MetricSeriesEntity[]>();
    for (const series of latest) {
      const list = metricsByRun.get(series.run_id) ?? [];
      list.push(series);
      metricsByRun.set(series.run_id, list);
    }
    return new Map(
      runIds.map((id) => [
        id,
        { params: params.get(id) ?? [], tags: tags.get(id) ?? [], metrics: metricsByRun.get(id) ?? [], inputs: inputs.get(id) ?? [] },
      ]),
    );
  }
}
