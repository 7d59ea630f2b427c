import { Injectable } from '@nestjs/common';
import { SqlClient } from '../../database/sql-client.js';
import { forUpdate } from '../../database/transaction-locks.js';
import { isUniqueViolation } from '../../database/sql-errors.js';
import { ArtifactEntity } from './entities/artifact.entity.js';

const COLUMNS = 'id, run_id, path, hash, size_bytes, content_type, created_at';

/** Where a listing starts: after a key, or at a key (inclusive). */
export interface PathBound {
  path: string;
  inclusive: boolean;
}

/**
 * The first key after every key inside a folder, given the folder as a prefix ending in `/`:
 * paths sort bytewise on both dialects (`C` collation on PostgreSQL, BINARY on SQLite) and `0`
 * is the byte after `/`, so `name/` ≤ key < `name0` holds exactly for the keys inside `name/`.
 */
export function folderEnd(folderPrefix: string): string {
  if (!folderPrefix.endsWith('/')) {
    throw new Error('a folder prefix ends with /');
  }
  return `${folderPrefix.slice(0, -1)}0`;
}

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

  /**
   * Records the artifact, replacing whatever was at its path; returns the new row and the hash
   * the path held before (undefined if it was free), whose blob may now be unreferenced.
   */
  replace(artifact: Omit<ArtifactEntity, 'id'>): Promise<{ row: ArtifactEntity; previousHash?: string }> {
    return this.sql.transaction(async (tx) => {
      const lock = forUpdate(tx);
      const previous = await tx.queryOne<{ hash: string }>(`SELECT hash FROM artifacts WHERE run_id = ? AND path = ?${lock}`, [
        artifact.run_id,
        artifact.path,
      ]);
      const row = await tx.queryOne<ArtifactEntity>(
        `INSERT INTO artifacts (run_id, path, hash, size_bytes, content_type, created_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (run_id, path) DO UPDATE SET hash = excluded.hash, size_bytes = excluded.size_bytes,
           content_type = excluded.content_type, created_at = excluded.created_at
         RETURNING ${COLUMNS}`,
        [artifact.run_id, artifact.path, artifact.hash, artifact.size_bytes, artifact.content_type, artifact.created_at],
      );
      if (!row) {
        throw new Error('INSERT … RETURNING gave no row');
      }
      return { row, previousHash: previous?.hash };
    });
  }

  /** Removes the artifact at `path`; returns the hash it referred to, or undefined if there was none. */
  async deleteByPath(runId: number, path: string): Promise<string | undefined> {
    const row = await this.sql.queryOne<{ hash: string }>('DELETE FROM artifacts WHERE run_id = ? AND path = ? RETURNING hash', [
      runId,
      path,
    ]);
    return row?.hash;
  }

  /**
   * Removes the artifact at `path` and every artifact inside the folder `path/` ('' for every
   * artifact of the run); returns their hashes.
   */
  async deleteFileOrFolder(runId: number, path: string): Promise<string[]> {
    if (path === '') {
      const all = await this.sql.query<{ hash: string }>('DELETE FROM artifacts WHERE run_id = ? RETURNING hash', [runId]);
      return all.map((row) => row.hash);
    }
    const folder = `${path}/`;
    const rows = await this.sql.query<{ hash: string }>(
      'DELETE FROM artifacts WHERE run_id = ? AND (path = ? OR (path >= ? AND path < ?)) RETURNING hash',
      [runId, path, folder, folderEnd(folder)],
    );
    return rows.map((row) => row.hash);
  }

  /** Whether any artifact of the run lies inside the folder `folder/`. */
  async hasFolder(runId: number, folder: string): Promise<boolean> {
    const prefix = `${folder}/`;
    const row = await this.sql.queryOne<{ one: number }>(
      'SELECT 1 AS one FROM artifacts WHERE run_id = ? AND path >= ? AND path < ? LIMIT 1',
      [runId, prefix, folderEnd(prefix)],
    );
    return row !== undefined;
  }

  /** Up to `limit` artifacts of a run in key order, starting at `from`. */
  listFrom(runId: number, from: PathBound, limit: number): Promise<ArtifactEntity[]> {
    const comparison = from.inclusive ? '>=' : '>';
    return this.sql.query<ArtifactEntity>(
      `SELECT ${COLUMNS} FROM artifacts WHERE run_id = ? AND path ${comparison} ? ORDER BY path LIMIT ?`,
      [runId, from.path, limit],
    );
  }
}
