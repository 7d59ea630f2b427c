import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The registry of stored artifact blobs, which makes garbage collection safe against concurrent
 * uploads. One row per blob in the artifact store: `pending_uploads` counts uploads that have
 * committed (or are about to commit) the blob but not yet recorded their `artifacts` row, and
 * `pinned_until` bounds how long such a pending reference protects the blob if its upload died.
 * The collector deletes a blob only inside a transaction that holds its row locked and sees no
 * pending upload and no `artifacts` row (see ArtifactGarbageCollector). Existing blobs are
 * registered from the `artifacts` table.
 */
export class ArtifactBlobs1795766400200 implements MigrationInterface {
  name = 'ArtifactBlobs1795766400200';

  async up(queryRunner: QueryRunner): Promise<void> {
    const postgres = queryRunner.connection.options.type === 'postgres';
    const bigint = postgres ? 'BIGINT' : 'INTEGER';
    const withoutRowid = postgres ? '' : ' WITHOUT ROWID';
    await queryRunner.query(`CREATE TABLE artifact_blobs (
      hash TEXT NOT NULL PRIMARY KEY,
      size_bytes ${bigint} NOT NULL,
      pending_uploads ${bigint} NOT NULL DEFAULT 0,
      pinned_until ${bigint} NOT NULL DEFAULT 0,
      created_at ${bigint} NOT NULL
    )${withoutRowid}`);
    await queryRunner.query(
      `INSERT INTO artifact_blobs (hash, size_bytes, pending_uploads, pinned_until, created_at)
       SELECT hash, MAX(size_bytes), 0, 0, MIN(created_at) FROM artifacts GROUP BY hash`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE artifact_blobs');
  }
}
