import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { SqlClient } from '../../database/sql-client.js';
import { lockUntilTransactionEnds } from '../../database/transaction-locks.js';
import { IdempotencyKeyEntity } from './entities/idempotency-key.entity.js';

/**
 * The first of the two 32-bit keys of our PostgreSQL advisory locks on Idempotency-Keys ("idem"):
 * the two-key space does not overlap the one-key space of the migration lock, and this half
 * keeps other two-key users apart.
 */
const ADVISORY_LOCK_NAMESPACE = 0x6964656d;

@Injectable()
export class IdempotencyRepository {
  constructor(private readonly sql: SqlClient) {}

  /**
   * Makes concurrent requests with `key` take turns, across replicas, until the current request
   * transaction ends (see lockUntilTransactionEnds). The lock is on a hash of the key: a
   * collision only makes two keys wait for each other.
   */
  lockKey(key: string): Promise<void> {
    const hash = createHash('sha256').update(key).digest().readInt32BE(0);
    return lockUntilTransactionEnds(this.sql, ADVISORY_LOCK_NAMESPACE, hash);
  }

  find(key: string): Promise<IdempotencyKeyEntity | undefined> {
    return this.sql.queryOne<IdempotencyKeyEntity>(
      'SELECT key, fingerprint, status, body, created_at FROM idempotency_keys WHERE key = ?',
      [key],
    );
  }

  /** Records an outcome; false if the key already has one (a concurrent request won). */
  async record(outcome: IdempotencyKeyEntity): Promise<boolean> {
    const inserted = await this.sql.execute(
      'INSERT INTO idempotency_keys (key, fingerprint, status, body, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING',
      [outcome.key, outcome.fingerprint, outcome.status, outcome.body, outcome.created_at],
    );
    return inserted > 0;
  }

  /** Forgets outcomes recorded before `before`; returns how many. */
  deleteOlderThan(before: number): Promise<number> {
    return this.sql.execute('DELETE FROM idempotency_keys WHERE created_at < ?', [before]);
  }
}
