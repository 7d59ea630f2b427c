import { placeholders } from '../../database/sql-client.js';
import { registerSqliteSearchFunctions, SQLITE_LIKE_FUNCTION } from './like-pattern.js';
import type { SearchSqlDialect } from './search-sql.js';

/** Search SQL on SQLite: BINARY collation sorts bytewise already; LIKE needs our function for case-sensitivity. */
export const SQLITE_SEARCH_SQL: SearchSqlDialect = {
  sortableText: (expr) => expr,
  numberParam: () => '?',
  like: (expr, pattern) => ({
    sql: `(${expr} LIKE ? ESCAPE '\\' AND ${SQLITE_LIKE_FUNCTION}(${expr}, ?) = 1)`,
    params: [pattern, pattern],
  }),
  // SQLite's LIKE ignores case itself (see like-pattern.ts).
  ilike: (expr, pattern) => ({ sql: `${expr} LIKE ? ESCAPE '\\'`, params: [pattern] }),
  inTextList: (expr, values, negated = false) => ({
    sql: `${expr} ${negated ? 'NOT IN' : 'IN'} (SELECT value FROM json_each(?))`,
    params: [JSON.stringify(values)],
  }),
  inIdList: (expr, ids) => ({ sql: `${expr} IN (${placeholders(ids.length)})`, params: [...ids] }),
  prepare: (sql) => registerSqliteSearchFunctions(sql.sqlite()),
};
