import { Injectable } from '@nestjs/common';
import { chunksOf, placeholders, SqlClient, SqlExecutor } from '../../database/sql-client.js';
import { ParamEntity } from './entities/param.entity.js';

@Injectable()
export class ParamRepository {
  constructor(private readonly sql: SqlClient) {}

  /**
   * Stores each param whose key is not set yet, in one statement per 500 params (a run churn
   * logs 10 at once: one round trip instead of ten), and returns the row stored under every
   * key afterwards, so the caller can tell "same value again" (fine) from "different value" (a
   * conflict). Within `params` the first occurrence of a key is the one stored. `created` holds
   * the keys this call stored.
   */
  async insertOrGetAll(
    params: readonly ParamEntity[],
    db: SqlExecutor = this.sql,
  ): Promise<{ stored: Map<string, ParamEntity>; created: Set<string> }> {
    const stored = new Map<string, ParamEntity>();
    const created = new Set<string>();
    const firstOfKey = new Map<string, ParamEntity>();
    for (const param of params) {
      if (!firstOfKey.has(param.key)) {
        firstOfKey.set(param.key, param);
      }
    }
    const unique = [...firstOfKey.values()];
    for (const chunk of chunksOf(unique)) {
      const inserted = await db.query<{ key: string }>(
        `INSERT INTO params (run_id, key, value, value_type) VALUES ${chunk.map(() => '(?, ?, ?, ?)').join(', ')}
         ON CONFLICT (run_id, key) DO NOTHING RETURNING key`,
        chunk.flatMap((param) => [param.run_id, param.key, param.value, param.value_type]),
      );
      for (const { key } of inserted) {
        created.add(key);
        stored.set(key, firstOfKey.get(key) as ParamEntity);
      }
    }
    if (created.size > 0) {
      this.sql.noteRowsWritten('params', created.size);
    }
    const existing = unique.filter((param) => !created.has(param.key));
    for (const chunk of chunksOf(existing)) {
      const rows = await db.query<ParamEntity>(
        `SELECT run_id, key, value, value_type FROM params WHERE run_id = ? AND key IN (${placeholders(chunk.length)})`,
        [chunk[0].run_id, ...chunk.map((param) => param.key)],
      );
      for (const row of rows) {
        stored.set(row.key, row);
      }
    }
    for (const param of existing) {
      if (!stored.has(param.key)) {
        throw new Error('param vanished between insert and read');
      }
    }
    return { stored, created };
  }

  /** Params of a run by key, `limit + 1` rows after `afterKey`. */
  listByRun(runId: number, page: { afterKey?: string; limit: number }): Promise<ParamEntity[]> {
    return this.sql.query<ParamEntity>(
      'SELECT run_id, key, value, value_type FROM params WHERE run_id = ? AND key > ? ORDER BY key LIMIT ?',
      [runId, page.afterKey ?? '', page.limit + 1],
    );
  }

  /** Params of several runs by internal run id, each list sorted by key. */
  async listForRuns(runIds: readonly number[]): Promise<Map<number, ParamEntity[]>> {
    const byRun = new Map<number, ParamEntity[]>();
    for (const chunk of chunksOf(runIds)) {
      const rows = await this.sql.query<ParamEntity>(
        `SELECT run_id, key, value, value_type FROM params WHERE run_id IN (${placeholders(chunk.length)}) ORDER BY run_id, key`,
        chunk,
      );
      for (const row of rows) {
        let params = byRun.get(row.run_id);
        if (!params) {
          params = [];
          byRun.set(row.run_id, params);
        }
        params.push(row);
      }
    }
    return byRun;
  }
}
