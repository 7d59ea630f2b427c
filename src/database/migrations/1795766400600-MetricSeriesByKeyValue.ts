import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Latest metric values by key, for PostgreSQL only: a search filtered and ordered on a metric
 * ("metrics.acc > 0.5 … ORDER BY metrics.acc DESC") walks it in value order and stops after a
 * page instead of sorting every run of the experiment. SQLite gains nothing from it and has
 * planned worse with such an index (see run-search.sql.ts), so it does not get it.
 */
export class MetricSeriesByKeyValue1795766400600 implements MigrationInterface {
  name = 'MetricSeriesByKeyValue1795766400600';

  async up(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.options.type === 'postgres') {
      await queryRunner.query('CREATE INDEX metric_series_by_key_value ON metric_series (key, last_value)');
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.options.type === 'postgres') {
      await queryRunner.query('DROP INDEX metric_series_by_key_value');
    }
  }
}
