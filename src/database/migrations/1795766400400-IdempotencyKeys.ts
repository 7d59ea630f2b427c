import { MigrationInterface, QueryRunner } from 'typeorm';

/** Outcomes of requests sent with an Idempotency-Key, kept at least 24 hours for replays. */
export class IdempotencyKeys1795766400400 implements MigrationInterface {
  name = 'IdempotencyKeys1795766400400';

  async up(queryRunner: QueryRunner): Promise<void> {
    const postgres = queryRunner.connection.options.type === 'postgres';
    const bigint = postgres ? 'BIGINT' : 'INTEGER';
    await queryRunner.query(`CREATE TABLE idempotency_keys (
      key TEXT NOT NULL PRIMARY KEY,
      fingerprint TEXT NOT NULL,
      status INTEGER NOT NULL,
      body TEXT NOT NULL,
      created_at ${bigint} NOT NULL
    )`);
    await queryRunner.query('CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE idempotency_keys');
  }
}
