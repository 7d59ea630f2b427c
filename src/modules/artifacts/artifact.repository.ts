import { Injectable } from '@nestjs/common';
import { SqlClient } from '../../database/sql-client.js';
import { isUniqueViolation } from '../../database/sql-errors.js';
import { ArtifactEntity } from './entities/artifact.entity.js';

const COLUMNS = 'id, run_id, path, hash, size_bytes, content_type, created_at';

@Injectable()
export class ArtifactRepository {
  constructor(private readonly sql: SqlClient) {}

  findByPath(runId: number, path: string): Promise<ArtifactEntity | undefined> {
    return this.sql.queryOne<ArtifactEntity>(`SELECT ${COLUMNS} FROM artifacts WHERE run_id = ? AND path = ?`, [runId, path]);
  }

  /** Records the artifact; returns the row already at that path instead if there is one. */
  async insertOrGet(artifact: Omit<ArtifactEntity, 'id'>): Promise<{ row: ArtifactEntity; created: boolean }> {
    try {
      const row = await this.sql.queryOne<ArtifactEntity>(
        `INSERT INTO artifacts (run_id, path, hash, size_bytes, content_type, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING ${COLUMNS}`,
        [artifact.run_id, artifact.path, artifact.hash, artifact.size_bytes, artifact.content_type, artifact.created_at],
      );
      if (!row) {
        throw new Error('INSERT … RETURNING gave no row');
      }
      return { row, created: true };
    } catch (error) {
      if (!isUniqueViolation(error)) {
        throw error;
      }
      const existing = await this.findByPath(artifact.run_id, artifact.path);
      if (!existing) {
        throw error;
      }
      return { row: existing, created: false };
    }
  }

  /** Artifacts of a run by path, `limit + 1` rows after `afterPath`. */
  listByRun(runId: number, page: { afterPath?: string; limit: number }): Promise<ArtifactEntity[]> {
    return this.sql.query<ArtifactEntity>(`SELECT ${COLUMNS} FROM artifacts WHERE run_id = ? AND path > ? ORDER BY path LIMIT ?`, [
      runId,
      page.afterPath ?? '',
      page.limit + 1,
    ]);
  }
}
