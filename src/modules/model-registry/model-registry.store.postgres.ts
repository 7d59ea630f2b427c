import { POSTGRES_SEARCH_SQL } from '../../common/search/search-sql.postgres.js';
import { ModelRegistryStore } from './model-registry.store.js';

/** The registry on PostgreSQL: ILIKE and text order under COLLATE "C", whatever the cluster's locale. */
export class PostgresModelRegistryStore extends ModelRegistryStore {
  protected readonly search = POSTGRES_SEARCH_SQL;
}
