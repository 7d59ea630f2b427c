import { Injectable } from '@nestjs/common';
import { SqlClient, SqlExecutor } from '../../database/sql-client.js';
import { isUniqueViolation } from '../../database/sql-errors.js';
import { ExperimentEntity } from './entities/experiment.entity.js';

export type NewExperiment = Omit<ExperimentEntity, 'id'>;

const COLUMNS = 'id, public_id, name, config, artifact_location, lifecycle_stage, created_at, updated_at, deleted_at';

@Injectable()
export class ExperimentRepository {
  /** internal id → public id; both are immutable, so entries never go stale. */
  private readonly publicIds = new Map<number, string>();

  constructor(private readonly sql: SqlClient) {}

  async publicIdOf(id: number): Promise<string> {
    let publicId = this.publicIds.get(id);
    if (publicId === undefined) {
      const row = await this.sql.queryOne<{ public_id: string }>('SELECT public_id FROM experiments WHERE id = ?', [id]);
      if (!row) {
        throw new Error(`experiment #${id} is missing`);
      }
      publicId = row.public_id;
      if (this.publicIds.size >= 100_000) {
        this.publicIds.clear();
      }
      this.publicIds.set(id, publicId);
    }
    return publicId;
  }

  /** Inserts the experiment, or reports that its name is taken (by an active or deleted one). */
  async insert(experiment: NewExperiment, db: SqlExecutor = this.sql): Promise<ExperimentEntity | 'name_taken'> {
    try {
      const row = await db.queryOne<ExperimentEntity>(
        `INSERT INTO experiments (public_id, name, config, artifact_location, lifecycle_stage, created_at, updated_at, deleted_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING ${COLUMNS}`,
        [
          experiment.public_id,
          experiment.name,
          experiment.config,
          experiment.artifact_location,
          experiment.lifecycle_stage,
          experiment.created_at,
          experiment.updated_at,
          experiment.deleted_at,
        ],
      );
      if (!row) {
        throw new Error('INSERT … RETURNING gave no row');
      }
      return row;
    } catch (error) {
      if (isUniqueViolation(error)) {
        return 'name_taken';
      }
      throw error;
    }
  }

  findByPublicId(publicId: string, db: SqlExecutor = this.sql): Promise<ExperimentEntity | undefined> {
    return db.queryOne<ExperimentEntity>(`SELECT ${COLUMNS} FROM experiments WHERE public_id = ?`, [publicId]);
  }

  findByName(name: string, db: SqlExecutor = this.sql): Promise<ExperimentEntity | undefined> {
    return db.queryOne<ExperimentEntity>(`SELECT ${COLUMNS} FROM experiments WHERE name = ?`, [name]);
  }

  /** Active experiments, newest first, `limit + 1` rows so the caller can tell if more follow. */
  listActive(page: { beforeId?: number; limit: number }): Promise<ExperimentEntity[]> {
    return this.sql.query<ExperimentEntity>(
      `SELECT ${COLUMNS} FROM experiments
       WHERE lifecycle_stage = 'active' AND id < ?
       ORDER BY id DESC LIMIT ?`,
      [page.beforeId ?? Number.MAX_SAFE_INTEGER, page.limit + 1],
    );
  }
}
