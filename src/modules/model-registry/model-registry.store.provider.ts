import { perDialectProvider } from '../../database/per-dialect.provider.js';
import { ModelRegistryStore } from './model-registry.store.js';
import { PostgresModelRegistryStore } from './model-registry.store.postgres.js';
import { SqliteModelRegistryStore } from './model-registry.store.sqlite.js';

export const modelRegistryStoreProvider = perDialectProvider(ModelRegistryStore, {
  sqlite: SqliteModelRegistryStore,
  postgres: PostgresModelRegistryStore,
});
