/**
 * The metric store under its earlier name, for callers written before the split per database
 * (MetricStore in metric.store.ts; `MetricRepository` is the same class, so the same DI token).
 */
export {
  MetricStore as MetricRepository,
  type HistoryCursor,
  type HistoryJsonPage,
  type HistoryQuery,
  type PointTuple,
  type StoredPoint,
} from './metric.store.js';
