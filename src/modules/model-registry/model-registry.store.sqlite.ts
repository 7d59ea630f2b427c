import { SQLITE_SEARCH_SQL } from '../../common/search/search-sql.sqlite.js';
import { ModelRegistryStore } from './model-registry.store.js';

/** The registry on SQLite: case-sensitive LIKE through our SQL function, bytewise (BINARY) text order. */
export class SqliteModelRegistryStore extends ModelRegistryStore {
  protected readonly search = SQLITE_SEARCH_SQL;
}
