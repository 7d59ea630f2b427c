import type { SqlExecutor } from './sql-client.js';

/**
 * What to append to a SELECT inside a transaction that will update the rows it reads.
 * PostgreSQL: FOR UPDATE, so concurrent transactions take turns on those rows, and a later
 * statement (a new snapshot under READ COMMITTED) sees everything committed before the lock was
 * granted. SQLite: nothing, the write transaction already excludes every other writer.
 */
export function forUpdate(tx: Pick<SqlExecutor, 'dialect'>): string {
  return tx.dialect === 'postgres' ? ' FOR UPDATE' : '';
}
