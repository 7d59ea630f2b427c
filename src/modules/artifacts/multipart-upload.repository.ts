import { Injectable } from '@nestjs/common';
import { SqlClient } from '../../database/sql-client.js';
import { forUpdate } from '../../database/transaction-locks.js';
import { MultipartUploadEntity, MultipartUploadPartEntity } from './entities/multipart-upload.entity.js';

const UPLOAD_COLUMNS = 'upload_id, run_id, path, num_parts, part_secret, completing_since, created_at, expires_at';
const PART_COLUMNS = 'upload_id, part_number, staged_name, hash, size_bytes, uploaded_at';

/** What recording a part did: the staged file it replaced (a retried part), or why it could not. */
export type RecordPartOutcome = { recorded: true; replacedName?: string } | { recorded: false; reason: 'gone' | 'completing' };

/**
 * The `multipart_uploads` and `multipart_upload_parts` tables. An upload being completed holds a
 * claim (`completing_since`) that keeps its parts fixed; a claim older than the lease given is
 * treated as abandoned (the process that held it died).
 */
@Injectable()
export class MultipartUploadRepository {
  constructor(private readonly sql: SqlClient) {}

  async insert(upload: MultipartUploadEntity): Promise<void> {
    await this.sql.execute(`INSERT INTO multipart_uploads (${UPLOAD_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, [
      upload.upload_id,
      upload.run_id,
      upload.path,
      upload.num_parts,
      upload.part_secret,
      upload.completing_since,
      upload.created_at,
      upload.expires_at,
    ]);
  }

  find(uploadId: string): Promise<MultipartUploadEntity | undefined> {
    return this.sql.queryOne<MultipartUploadEntity>(`SELECT ${UPLOAD_COLUMNS} FROM multipart_uploads WHERE upload_id = ?`, [uploadId]);
  }

  parts(uploadId: string): Promise<MultipartUploadPartEntity[]> {
    return this.sql.query<MultipartUploadPartEntity>(
      `SELECT ${PART_COLUMNS} FROM multipart_upload_parts WHERE upload_id = ? ORDER BY part_number`,
      [uploadId],
    );
  }

  /** Bytes received for the upload's other parts (a retried part replaces its earlier bytes). */
  async bytesOfOtherParts(uploadId: string, partNumber: number): Promise<number> {
    const row = await this.sql.queryOne<{ total: number | null }>(
      'SELECT SUM(size_bytes) AS total FROM multipart_upload_parts WHERE upload_id = ? AND part_number <> ?',
      [uploadId, partNumber],
    );
    return Number(row?.total ?? 0);
  }

  /**
   * Records a received part, replacing an earlier attempt of the same part number (and saying
   * which staged file that was), unless the upload is gone or being completed. The upload's row
   * is locked (SQLite: the transaction excludes every other writer), so two attempts at the same
   * part are recorded one after the other, each seeing the one before; and a completion's claim
   * either waits until this part is in (and then assembles it) or comes first (and this part is
   * refused): a claimed upload's parts never change.
   */
  recordPart(part: MultipartUploadPartEntity, now: number, claimLeaseMs: number): Promise<RecordPartOutcome> {
    return this.sql.transaction(async (tx): Promise<RecordPartOutcome> => {
      const lock = forUpdate(tx);
      const upload = await tx.queryOne<{ completing_since: number | null }>(
        `SELECT completing_since FROM multipart_uploads WHERE upload_id = ?${lock}`,
        [part.upload_id],
      );
      if (!upload) {
        return { recorded: false, reason: 'gone' };
      }
      if (upload.completing_since !== null && upload.completing_since > now - claimLeaseMs) {
        return { recorded: false, reason: 'completing' };
      }
      const previous = await tx.queryOne<{ staged_name: string }>(
        'SELECT staged_name FROM multipart_upload_parts WHERE upload_id = ? AND part_number = ?',
        [part.upload_id, part.part_number],
      );
      await tx.execute(
        `INSERT INTO multipart_upload_parts (${PART_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (upload_id, part_number) DO UPDATE SET staged_name = excluded.staged_name, hash = excluded.hash,
           size_bytes = excluded.size_bytes, uploaded_at = excluded.uploaded_at`,
        [part.upload_id, part.part_number, part.staged_name, part.hash, part.size_bytes, part.uploaded_at],
      );
      return { recorded: true, replacedName: previous?.staged_name };
    });
  }

  /** Claims the upload for completion; false if it is gone or another completion holds a live claim. */
  async claimForCompletion(uploadId: string, now: number, claimLeaseMs: number): Promise<boolean> {
    const changed = await this.sql.execute(
      'UPDATE multipart_uploads SET completing_since = ? WHERE upload_id = ? AND (completing_since IS NULL OR completing_since <= ?)',
      [now, uploadId, now - claimLeaseMs],
    );
    return changed > 0;
  }

  /** Gives a claim back (the completion failed), so the client may retry or abort. */
  async releaseClaim(uploadId: string): Promise<void> {
    await this.sql.execute('UPDATE multipart_uploads SET completing_since = NULL WHERE upload_id = ?', [uploadId]);
  }

  /** Deletes the upload and its parts' rows; true if it was there. */
  async delete(uploadId: string): Promise<boolean> {
    return (await this.sql.execute('DELETE FROM multipart_uploads WHERE upload_id = ?', [uploadId])) > 0;
  }

  /** Deletes the upload unless a live claim holds it; says which happened. */
  async deleteUnlessClaimed(uploadId: string, now: number, claimLeaseMs: number): Promise<'deleted' | 'gone' | 'completing'> {
    const changed = await this.sql.execute(
      'DELETE FROM multipart_uploads WHERE upload_id = ? AND (completing_since IS NULL OR completing_since <= ?)',
      [uploadId, now - claimLeaseMs],
    );
    if (changed > 0) {
      return 'deleted';
    }
    return (await this.find(uploadId)) ? 'completing' : 'gone';
  }

  /** Up to `limit` uploads whose time is up, leaving alone those a live completion claims. */
  async expiredIds(now: number, claimLeaseMs: number, limit: number): Promise<string[]> {
    const rows = await this.sql.query<{ upload_id: string }>(
      `SELECT upload_id FROM multipart_uploads
       WHERE expires_at < ? AND (completing_since IS NULL OR completing_since <= ?) ORDER BY expires_at LIMIT ?`,
      [now, now - claimLeaseMs, limit],
    );
    return rows.map((row) => row.upload_id);
  }

  /** Which of these uploads exist. */
  async existingIds(uploadIds: readonly string[]): Promise<Set<string>> {
    const existing = new Set<string>();
    for (let start = 0; start < uploadIds.length; start += 500) {
      const batch = uploadIds.slice(start, start + 500);
      const rows = await this.sql.query<{ upload_id: string }>(
        `SELECT upload_id FROM multipart_uploads WHERE upload_id IN (${batch.map(() => '?').join(', ')})`,
        batch,
      );
      for (const row of rows) {
        existing.add(row.upload_id);
      }
    }
    return existing;
  }
}
