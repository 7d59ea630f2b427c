import { Injectable } from '@nestjs/common';
import { SqlClient, SqlExecutor } from '../../database/sql-client.js';
import { RunEntity, RunStatus } from './entities/run.entity.js';

export type NewRun = Omit<RunEntity, 'id'>;

/** What a write to a run needs to know about it. */
export interface RunWriteTarget {
  id: number;
  lifecycle_stage: RunEntity['lifecycle_stage'];
}

const COLUMNS =
  'id, public_id, experiment_id, name, status, status_reason, lifecycle_stage, user_id, created_at, started_at, ended_at, updated_at, deleted_at';

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
      `INSERT INTO runs (public_id, experiment_id, name, status, status_reason, lifecycle_stage, user_id, created_at, started_at, ended_at, updated_at, deleted_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING ${COLUMNS}`,
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
      ],
    );
    if (!row) {
      throw new Error('INSERT … RETURNING gave no row');
    }
    return row;
  }

  findByPublicId(publicId: string, db: SqlExecutor = this.sql): Promise<RunEntity | undefined> {
    return db.queryOne<RunEntity>(`SELECT ${COLUMNS} FROM runs WHERE public_id = ?`, [publicId]);
  }

  /** The internal id and lifecycle of a run, for the write paths (metrics, params, artifacts). */
  findWriteTarget(publicId: string, db: SqlExecutor = this.sql): Promise<RunWriteTarget | undefined> {
    return db.queryOne<RunWriteTarget>('SELECT id, lifecycle_stage FROM runs WHERE public_id = ?', [publicId]);
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
}
