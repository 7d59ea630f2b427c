import { Injectable } from '@nestjs/common';
import { chunksOf, placeholders, SqlClient, SqlExecutor } from '../../database/sql-client.js';
import { ParamEntity } from './entities/param.entity.js';

@Injectable()
export class ParamRepository {
  constructor(private readonly sql: SqlClient) {}

  /**
   * Stores the param unless the key is already set. Returns the stored row either way, so the
   * caller can tell "same value again" (fine) from "different value" (a conflict).
   */
  async insertOrGet(param: ParamEntity, db: SqlExecutor = this.sql): Promise<{ stored: ParamEntity; created: boolean }> {
    const created = await db.execute(
      'INSERT INTO params (run_id, key, value, value_type) VALUES (?, ?, ?, ?) ON CONFLICT (run_id, key) DO NOTHING',
      [param.run_id, param.key, param.value, param.value_type],
    );
    if (created > 0) {
      this.sql.noteRowsWritten('params', created);
      return { stored: param, created: true };
    }
    const stored = await db.queryOne<ParamEntity>('SELECT run_id, key, value, value_type FROM params WHERE run_id = ? AND key = ?', [
      param.run_id,
      param.key,
    ]);
    if (!stored) {
      throw new Error('param vanished between insert and read');
    }
    return { stored, created: false };
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
