import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When a run last showed it was alive (a write or a heartbeat), so runs whose process died can
 * be marked failed instead of staying "running" forever; indexed for the sweep over running runs.
 */
export class RunActivity1795766400300 implements MigrationInterface {
  name = 'RunActivity1795766400300';

  async up(queryRunner: QueryRunner): Promise<void> {
    const bigint = queryRunner.connection.options.type === 'postgres' ? 'BIGINT' : 'INTEGER';
    await queryRunner.query(`ALTER TABLE runs ADD COLUMN last_activity_at ${bigint} NULL`);
    await queryRunner.query(`CREATE INDEX runs_running_by_activity ON runs (status, last_activity_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX runs_running_by_activity');
    await queryRunner.query('ALTER TABLE runs DROP COLUMN last_activity_at');
  }
}
