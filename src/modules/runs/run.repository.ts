import { Injectable } from '@nestjs/common';
import { chunksOf, placeholders, SqlClient, SqlExecutor } from '../../database/sql-client.js';
import { RunEntity, RunStatus } from './entities/run.entity.js';
import type { SearchRow } from '../../common/search/search-page.js';
import { queryRunSearch } from './search/run-search.js';
import type { RunSearchSpec } from './search/run-search.sql.js';

export type NewRun = Omit<RunEntity, 'id'>;

/** What a write to a run needs to know about it. */
export interface RunWriteTarget {
  id: number;
  public_id: string;
  experiment_id: number;
  lifecycle_stage: RunEntity['lifecycle_stage'];
  status: RunEntity['status'];
  status_reason: string | null;
}

const COLUMNS =
  'id, public_id, experiment_id, name, status, status_reason, lifecycle_stage, user_id, created_at, started_at, ended_at, updated_at, deleted_at, last_activity_at';

export interface StatusChange {
  from: readonly RunStatus[];
  to: RunStatus;
  at: number;
  reason: string | null;
  setStartedAt: boolean;
  setEndedAt: boolean;
}

@Injectable()
export class RunRepository {
  constructor(private readonly sql: SqlClient) {}

  async insert(run: NewRun, db: SqlExecutor = this.sql): Promise<RunEntity> {
    const row = await db.queryOne<RunEntity>(
      `INSERT INTO runs (public_id, experiment_id, name, status, status_reason, lifecycle_stage, user_id, created_at, started_at, ended_at, updated_at, deleted_at, last_activity_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING ${COLUMNS}`,
      [
        run.public_id,
        run.experiment_id,
        run.name,
        run.status,
        run.status_reason,
        run.lifecycle_stage,
        run.user_id,
        run.created_at,
        run.started_at,
        run.ended_at,
        run.updated_at,
        run.deleted_at,
        run.last_activity_at,
      ],
    );
    if (!row) {
      throw new Error('INSERT … RETURNING gave no row');
    }
    this.sql.noteRowsWritten('runs', 1);
    return row;
  }

  findByPublicId(publicId: string, db: SqlExecutor = this.sql): Promise<RunEntity | undefined> {
    return db.queryOne<RunEntity>(`SELECT ${COLUMNS} FROM runs WHERE public_id = ?`, [publicId]);
  }

  /** The internal id and lifecycle of a run, for the write paths (metrics, params, artifacts). */
  findWriteTarget(publicId: string, db: SqlExecutor = this.sql): Promise<RunWriteTarget | undefined> {
    return db.queryOne<RunWriteTarget>(
      'SELECT id, public_id, experiment_id, lifecycle_stage, status, status_reason FROM runs WHERE public_id = ?',
      [publicId],
    );
  }

  /** Runs of one experiment, newest first, `limit + 1` rows so the caller can tell if more follow. */
  listByExperiment(experimentId: number, page: { beforeId?: number; limit: number }): Promise<RunEntity[]> {
    return this.sql.query<RunEntity>(
      `SELECT ${COLUMNS} FROM runs
       WHERE experiment_id = ? AND lifecycle_stage = 'active' AND id < ?
       ORDER BY id DESC LIMIT ?`,
      [experimentId, page.beforeId ?? Number.MAX_SAFE_INTEGER, page.limit + 1],
    );
  }

  /**
   * Moves an active run to `change.to` only if its status is one of `change.from`, in one
   * statement so two concurrent transitions cannot both win. Returns the updated run, or
   * undefined when the run was not in an allowed state (or does not exist).
   */
  async changeStatus(publicId: string, change: StatusChange): Promise<RunEntity | undefined> {
    const allowed = change.from.map(() => '?').join(', ');
    return this.sql.queryOne<RunEntity>(
      `UPDATE runs SET status = ?, status_reason = ?, updated_at = ?,
         started_at = CASE WHEN ? = 1 THEN COALESCE(started_at, ?) ELSE started_at END,
         ended_at = CASE WHEN ? = 1 THEN ? ELSE ended_at END
       WHERE public_id = ? AND lifecycle_stage = 'active' AND status IN (${allowed})
       RETURNING ${COLUMNS}`,
      [
        change.to,
        change.reason,
        change.at,
        change.setStartedAt ? 1 : 0,
        change.at,
        change.setEndedAt ? 1 : 0,
        change.at,
        publicId,
        ...change.from,
      ],
    );
  }

  /** Runs by public id (any lifecycle), in no particular order. */
  async findManyByPublicIds(publicIds: readonly string[]): Promise<RunEntity[]> {
    const runs: RunEntity[] = [];
    for (const chunk of chunksOf(publicIds)) {
      runs.push(
        ...(await this.sql.query<RunEntity>(`SELECT ${COLUMNS} FROM runs WHERE public_id IN (${placeholders(chunk.length)})`, chunk)),
      );
    }
    return runs;
  }

  /** Sets any of status, ended_at and name, whatever the current status (MLflow's UpdateRun has no transition rules). */
  async update(
    id: number,
    change: { status?: RunStatus; endedAt?: number; name?: string; at: number },
    db: SqlExecutor = this.sql,
  ): Promise<RunEntity | undefined> {
    const assignments = ['updated_at = ?'];
    const params: (string | number)[] = [change.at];
    if (change.status !== undefined) {
      assignments.push('status = ?');
      params.push(change.status);
    }
    if (change.endedAt !== undefined) {
      assignments.push('ended_at = ?');
      params.push(change.endedAt);
    }
    if (change.name !== undefined) {
      assignments.push('name = ?');
      params.push(change.name);
    }
    // RETURNING: the caller answers with the run as stored without reading it again.
    return db.queryOne<RunEntity>(`UPDATE runs SET ${assignments.join(', ')} WHERE id = ? RETURNING ${COLUMNS}`, [...params, id]);
  }

  async setLifecycle(id: number, stage: RunEntity['lifecycle_stage'], now: number): Promise<void> {
    await this.sql.execute('UPDATE runs SET lifecycle_stage = ?, deleted_at = ?, updated_at = ? WHERE id = ?', [
      stage,
      stage === 'deleted' ? now : null,
      now,
      id,
    ]);
  }

  /** Sets tags (the last value of a repeated key wins). */
  async upsertTags(runId: number, tags: readonly { key: string; value: string }[], db: SqlExecutor = this.sql): Promise<void> {
    // The last value of a key wins, as if set one by one; one statement may not set a row twice.
    const lastOfKey = new Map(tags.map((tag) => [tag.key, tag.value]));
    for (const chunk of chunksOf([...lastOfKey])) {
      await db.execute(
        `INSERT INTO run_tags (run_id, key, value) VALUES ${chunk.map(() => '(?, ?, ?)').join(', ')}
         ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value`,
        chunk.flatMap(([key, value]) => [runId, key, value]),
      );
    }
    this.sql.noteRowsWritten('run_tags', lastOfKey.size);
  }

  /** Whether a tag was there to delete. */
  async deleteTag(runId: number, key: string): Promise<boolean> {
    return (await this.sql.execute('DELETE FROM run_tags WHERE run_id = ? AND key = ?', [runId, key])) > 0;
  }

  /** Tags of several runs by internal run id, each list sorted by key. */
  async tagsFor(runIds: readonly number[]): Promise<Map<number, { key: string; value: string }[]>> {
    const byRun = new Map<number, { key: string; value: string }[]>();
    for (const chunk of chunksOf(runIds)) {
      const rows = await this.sql.query<{ run_id: number; key: string; value: string }>(
        `SELECT run_id, key, value FROM run_tags WHERE run_id IN (${placeholders(chunk.length)}) ORDER BY run_id, key`,
        chunk,
      );
      for (const row of rows) {
        let tags = byRun.get(row.run_id);
        if (!tags) {
          tags = [];
          byRun.set(row.run_id, tags);
        }
        tags.push({ key: row.key, value: row.value });
      }
    }
    return byRun;
  }

  /**
   * One page of a run search (SQL in search/run-search.sql.ts): up to `spec.limit` runs in search
   * order, each with its sort key for the next page token.
   */
  searchRuns(spec: RunSearchSpec): Promise<SearchRow<RunEntity>[]> {
    return queryRunSearch(this.sql, COLUMNS.split(', '), spec);
  }

  /** Moves last_activity_at forward (never back) for each (run id, time). */
  recordActivity(entries: readonly (readonly [runId: number, at: number])[]): Promise<void> {
    return this.sql.transaction(async (tx) => {
      for (const [runId, at] of entries) {
        await tx.execute(
          'UPDATE runs SET last_activity_at = CASE WHEN last_activity_at IS NULL OR last_activity_at < ? THEN ? ELSE last_activity_at END WHERE id = ?',
          [at, at, runId],
        );
      }
    });
  }

  /**
   * Fails every active running run with no sign of life since `silentSince` (its last write or
   * heartbeat, else its start), with `reason`; returns their public ids.
   */
  async failSilentRuns(silentSince: number, reason: string, now: number): Promise<string[]> {
    const rows = await this.sql.query<{ public_id: string }>(
      `UPDATE runs SET status = 'failed', status_reason = ?, ended_at = ?, updated_at = ?
       WHERE status = 'running' AND lifecycle_stage = 'active' AND COALESCE(last_activity_at, started_at, created_at) < ?
       RETURNING public_id`,
      [reason, now, now, silentSince],
    );
    return rows.map((row) => row.public_id);
  }

  /** Back to running a run the sweep failed, when it turns out to be alive after all. */
  async revive(runId: number, reasonPrefix: string, now: number): Promise<void> {
    await this.sql.execute(
      `UPDATE runs SET status = 'running', status_reason = NULL, ended_at = NULL, updated_at = ?, last_activity_at = ?
       WHERE id = ? AND status = 'failed' AND status_reason LIKE ?`,
      [now, now, runId, `${reasonPrefix}%`],
    );
  }
}
