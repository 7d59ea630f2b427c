import { Injectable } from '@nestjs/common';
import { SqlClient } from '../../database/sql-client.js';
import { forUpdate } from '../../database/transaction-locks.js';

/**
 * The `artifact_blobs` registry: which blobs the store holds and which uploads are about to
 * refer to them. Every method is one statement or one transaction, the same on both dialects.
 */
@Injectable()
export class ArtifactBlobRepository {
  constructor(private readonly sql: SqlClient) {}

  /**
   * Registers a pending reference to `hash` (creating its row if needed) that protects the blob
   * from collection until `unpin`, or until `pinnedUntil` if the upload dies first. Waits for a
   * collection of the same blob that holds the row lock; if that removed the row, a new one is
   * made, and the upload's commit writes the blob again.
   */
  async pin(hash: string, sizeBytes: number, now: number, pinnedUntil: number): Promise<void> {
    await this.sql.execute(
      `INSERT INTO artifact_blobs (hash, size_bytes, pending_uploads, pinned_until, created_at) VALUES (?, ?, 1, ?, ?)
       ON CONFLICT (hash) DO UPDATE SET pending_uploads = artifact_blobs.pending_uploads + 1,
         pinned_until = CASE WHEN excluded.pinned_until > artifact_blobs.pinned_until THEN excluded.pinned_until ELSE artifact_blobs.pinned_until END`,
      [hash, sizeBytes, pinnedUntil, now],
    );
  }

  /** Drops one pending reference to `hash` (the upload recorded its row, or gave up). */
  async unpin(hash: string): Promise<void> {
    await this.sql.execute('UPDATE artifact_blobs SET pending_uploads = pending_uploads - 1 WHERE hash = ? AND pending_uploads > 0', [
      hash,
    ]);
  }

  /**
   * Up to `limit` hashes, after `afterHash` in order, that look collectable: no artifact refers
   * to them and no upload holds a live pending reference. `deleteIfUnreferenced` checks again
   * under the row lock before anything is deleted.
   */
  async collectableHashes(now: number, afterHash: string, limit: number): Promise<string[]> {
    const rows = await this.sql.query<{ hash: string }>(
      `SELECT b.hash FROM artifact_blobs b
       WHERE b.hash > ? AND (b.pending_uploads = 0 OR b.pinned_until < ?)
         AND NOT EXISTS (SELECT 1 FROM artifacts a WHERE a.hash = b.hash)
         AND NOT EXISTS (SELECT 1 FROM logged_model_artifacts m WHERE m.hash = b.hash)
       ORDER BY b.hash LIMIT ?`,
      [afterHash, now, limit],
    );
    return rows.map((row) => row.hash);
  }

  /**
   * Deletes the blob `hash` (through `deleteBytes`) and its row, in one transaction that holds
   * the row locked, if no artifact refers to it and no upload holds a live pending reference.
   * An upload's `pin` waits for that lock, so it either comes first (and the blob stays) or
   * after the blob is gone (and its commit writes it again): a blob is never deleted under an
   * upload that is about to refer to it. If `deleteBytes` fails the transaction rolls back and
   * the row stays for the next pass. Returns whether the blob was deleted. (A PostgreSQL retry
   * after a deadlock runs `deleteBytes` again, which is harmless: deleting is idempotent.)
   */
  deleteIfUnreferenced(hash: string, now: number, deleteBytes: () => Promise<void>): Promise<boolean> {
    return this.sql.transaction(async (tx) => {
      // Lock the row first: the reference check below then sees every artifact row committed
      // before the lock was granted (see forUpdate).
      const lock = forUpdate(tx);
      const blob = await tx.queryOne<{ pending_uploads: number; pinned_until: number }>(
        `SELECT pending_uploads, pinned_until FROM artifact_blobs WHERE hash = ?${lock}`,
        [hash],
      );
      if (!blob || (blob.pending_uploads > 0 && blob.pinned_until >= now)) {
        return false;
      }
      // A run's artifact or a logged model's artifact keeps the blob.
      const referenced = await tx.queryOne<{ one: number }>(
        `SELECT 1 AS one FROM artifacts WHERE hash = ?
         UNION ALL SELECT 1 AS one FROM logged_model_artifacts WHERE hash = ? LIMIT 1`,
        [hash, hash],
      );
      if (referenced) {
        return false;
      }
      await deleteBytes();
      await tx.execute('DELETE FROM artifact_blobs WHERE hash = ?', [hash]);
      return true;
    });
  }
}
