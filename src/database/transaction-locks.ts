import type { SqlExecutor } from './sql-client.js';

/**
 * Locks a write transaction takes so concurrent ones take turns. Only PostgreSQL needs them:
 * on SQLite every write transaction is BEGIN IMMEDIATE, which holds the one write lock of the
 * file until it ends and so already excludes every other writer.
 */

/**
 * What to append to a SELECT inside a transaction that will update the rows it reads:
 * FOR UPDATE on PostgreSQL, so a later statement (a new snapshot under READ COMMITTED) sees
 * everything committed before the lock was granted.
 */
export function forUpdate(tx: Pick<SqlExecutor, 'dialect'>): string {
  return tx.dialect === 'postgres' ? ' FOR UPDATE' : '';
}

/**
 * Takes the lock named by (namespace, key) until the current transaction ends (commit or
 * rollback releases it), across replicas: a transaction-scoped advisory lock on PostgreSQL.
 */
export async function lockUntilTransactionEnds(db: SqlExecutor, namespace: number, key: number): Promise<void> {
  if (db.dialect === 'postgres') {
    await db.query('SELECT pg_advisory_xact_lock(?, ?)', [namespace, key]);
  }
}
