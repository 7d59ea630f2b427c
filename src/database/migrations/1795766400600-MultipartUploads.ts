import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * MLflow multipart uploads in progress (`mlflow-artifacts/mpu/…`): one row per upload, created
 * by `create` and removed by `complete`, `abort` or the garbage collector once `expires_at` has
 * passed, and one row per part received. The bytes of the parts live in the artifact store's
 * upload staging area; these rows say which staged file holds each part and its SHA-256 (the
 * ETag the client must send back), so any replica sharing the database and the store can take
 * a part or complete the upload. `completing_since` marks an upload whose parts are being
 * assembled (no part may change meanwhile).
 */
export class MultipartUploads1795766400600 implements MigrationInterface {
  name = 'MultipartUploads1795766400600';

  async up(queryRunner: QueryRunner): Promise<void> {
    const postgres = queryRunner.connection.options.type === 'postgres';
    const bigint = postgres ? 'BIGINT' : 'INTEGER';
    const key = postgres ? 'TEXT COLLATE "C"' : 'TEXT';
    const withoutRowid = postgres ? '' : ' WITHOUT ROWID';
    await queryRunner.query(`CREATE TABLE multipart_uploads (
      upload_id TEXT NOT NULL PRIMARY KEY,
      run_id ${bigint} NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
      path ${key} NOT NULL,
      num_parts INTEGER NOT NULL,
      part_secret TEXT NOT NULL,
      completing_since ${bigint} NULL,
      created_at ${bigint} NOT NULL,
      expires_at ${bigint} NOT NULL
    )${withoutRowid}`);
    await queryRunner.query('CREATE INDEX multipart_uploads_by_run ON multipart_uploads (run_id)');
    await queryRunner.query('CREATE INDEX multipart_uploads_by_expiry ON multipart_uploads (expires_at)');
    await queryRunner.query(`CREATE TABLE multipart_upload_parts (
      upload_id TEXT NOT NULL REFERENCES multipart_uploads (upload_id) ON DELETE CASCADE,
      part_number INTEGER NOT NULL,
      staged_name TEXT NOT NULL,
      hash TEXT NOT NULL,
      size_bytes ${bigint} NOT NULL,
      uploaded_at ${bigint} NOT NULL,
      PRIMARY KEY (upload_id, part_number)
    )${withoutRowid}`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE multipart_upload_parts');
    await queryRunner.query('DROP TABLE multipart_uploads');
  }
}
