/**
 * The MLflow run-data store under its earlier name, for callers written before the split per
 * database (`MlflowRunDataRepository` is the same class as MlflowRunDataStore, so the same DI token).
 */
export { MlflowRunDataStore as MlflowRunDataRepository } from './mlflow-run-data.store.js';
