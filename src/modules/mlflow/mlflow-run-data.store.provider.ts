import { perDialectProvider } from '../../database/per-dialect.provider.js';
import { MetricStore } from '../metrics/metric.store.js';
import { ParamRepository } from '../params/param.repository.js';
import { RunInputRepository } from '../runs/run-input.repository.js';
import { RunRepository } from '../runs/run.repository.js';
import { MlflowRunDataStore } from './mlflow-run-data.store.js';
import { PostgresMlflowRunDataStore } from './mlflow-run-data.store.postgres.js';
import { SqliteMlflowRunDataStore } from './mlflow-run-data.store.sqlite.js';

export const mlflowRunDataProvider = perDialectProvider<
  MlflowRunDataStore,
  [ParamRepository, RunRepository, MetricStore, RunInputRepository]
>(MlflowRunDataStore, { sqlite: SqliteMlflowRunDataStore, postgres: PostgresMlflowRunDataStore }, [
  ParamRepository,
  RunRepository,
  MetricStore,
  RunInputRepository,
]);
