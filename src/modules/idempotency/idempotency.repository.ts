import { Injectable } from '@nestjs/common';
import { SqlClient } from '../../database/sql-client.js';
import { IdempotencyKeyEntity } from './entities/idempotency-key.entity.js';

@Injectable()
export class IdempotencyRepository {
  constructor(private readonly sql: SqlClient) {}

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
