import type { SqlClient, SqlValue } from '../../database/sql-client.js';
import type { CursorValue } from './keyset.js';
import { searchSqlFor } from './search-dialect.js';
import type { SearchRow } from './search-page.js';

/**
 * Runs a compiled search whose SELECT list is `columns` then the sort key, and splits each row
 * into the entity and its sort key. Rows are read as tuples (cheaper than objects for long pages).
 */
export async function executeSearch<T>(
  sql: SqlClient,
  compiled: { sql: string; params: SqlValue[] },
  columns: readonly string[],
): Promise<SearchRow<T>[]> {
  searchSqlFor(sql.dialect).prepare(sql);
  const tuples = await sql.queryTuples<unknown[]>(compiled.sql, compiled.params);
  const width = columns.length;
  return tuples.map((tuple) => {
    const entity: Record<string, unknown> = {};
    for (let index = 0; index < width; index++) {
      entity[columns[index]] = tuple[index];
    }
    return { entity: entity as T, sortKey: tuple.slice(width) as CursorValue[] };
  });
}
