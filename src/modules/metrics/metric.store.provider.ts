import { perDialectProvider } from '../../database/per-dialect.provider.js';
import { MetricStore } from './metric.store.js';
import { PostgresMetricStore } from './metric.store.postgres.js';
import { SqliteMetricStore } from './metric.store.sqlite.js';

export const metricStoreProvider = perDialectProvider(MetricStore, { sqlite: SqliteMetricStore, postgres: PostgresMetricStore });
