import type { Dialect } from '../../database/sql-client.js';
import type { SearchSqlDialect } from './search-sql.js';
import { POSTGRES_SEARCH_SQL } from './search-sql.postgres.js';
import { SQLITE_SEARCH_SQL } from './search-sql.sqlite.js';

const SEARCH_SQL: Readonly<Record<Dialect, SearchSqlDialect>> = { sqlite: SQLITE_SEARCH_SQL, postgres: POSTGRES_SEARCH_SQL };

/** The search SQL of a database. */
export function searchSqlFor(dialect: Dialect): SearchSqlDialect {
  return SEARCH_SQL[dialect];
}
