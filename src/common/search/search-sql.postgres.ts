import type { SearchSqlDialect } from './search-sql.js';

/** Search SQL on PostgreSQL. */
export const POSTGRES_SEARCH_SQL: SearchSqlDialect = {
  // COLLATE "C": bytewise whatever the cluster's locale.
  sortableText: (expr) => `(${expr}) COLLATE "C"`,
  // PostgreSQL would refuse to read `1.5` or `1e+21` as the column's bigint, so a value that is
  // not a safe integer is compared as a double.
  numberParam: (value) => (Number.isSafeInteger(value) ? '?' : 'CAST(? AS DOUBLE PRECISION)'),
  like: (expr, pattern) => ({ sql: `${expr} LIKE ? ESCAPE '\\'`, params: [pattern] }),
  ilike: (expr, pattern) => ({ sql: `(${expr}) COLLATE "C" ILIKE ? ESCAPE '\\'`, params: [pattern] }),
  inTextList: (expr, values, negated = false) => ({
    sql: negated ? `NOT (${expr} = ANY(?::text[]))` : `${expr} = ANY(?::text[])`,
    params: [values],
  }),
  inIdList: (expr, ids) => ({ sql: `${expr} = ANY(?::bigint[])`, params: [ids] }),
  prepare: () => undefined,
};
