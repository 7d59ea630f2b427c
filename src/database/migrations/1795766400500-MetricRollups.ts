import { MigrationInterface, QueryRunner } from 'typeorm';

/** As of this migration: level L summarises steps in buckets of 16^L steps (16 … about a million). */
const ROLLUP_LEVELS = [1, 2, 3, 4, 5];
const ROLLUP_FACTOR = 16;

/**
 * Summaries of every metric series at coarser step resolutions, kept current at ingestion, so
 * a chart of any range of a series of any length reads a bounded number of rows. Each row is
 * one bucket of 16^level steps: its first and last step, point and NaN counts, min, max and
 * the last point (greatest step, timestamp, value).
 */
export class MetricRollups1795766400500 implements MigrationInterface {
  name = 'MetricRollups1795766400500';

  async up(queryRunner: QueryRunner): Promise<void> {
    const postgres = queryRunner.connection.options.type === 'postgres';
    const bigint = postgres ? 'BIGINT' : 'INTEGER';
    const real = postgres ? 'DOUBLE PRECISION' : 'REAL';
    const small = postgres ? 'SMALLINT' : 'INTEGER';
    await queryRunner.query(`CREATE TABLE metric_rollups (
      series_id ${bigint} NOT NULL,
      level ${small} NOT NULL,
      bucket ${bigint} NOT NULL,
      first_step ${bigint} NOT NULL,
      last_step ${bigint} NOT NULL,
      point_count ${bigint} NOT NULL,
      nan_count ${bigint} NOT NULL,
      min_value ${real} NULL,
      max_value ${real} NULL,
      last_timestamp ${bigint} NOT NULL,
      last_value ${real} NOT NULL,
      last_is_nan ${small} NOT NULL,
      PRIMARY KEY (series_id, level, bucket)
    )${postgres ? '' : ' WITHOUT ROWID'}`);
    // Summaries of the points already stored (floor division that also holds for negative steps).
    for (const level of ROLLUP_LEVELS) {
      const width = ROLLUP_FACTOR ** level;
      const bucket = `((step - (((step % ${width}) + ${width}) % ${width})) / ${width})`;
      await queryRunner.query(`INSERT INTO metric_rollups
        (series_id, level, bucket, first_step, last_step, point_count, nan_count, min_value, max_value, last_timestamp, last_value, last_is_nan)
        SELECT g.series_id, ${level}, g.bucket, g.first_step, g.last_step, g.point_count, g.nan_count, g.min_value, g.max_value,
               l.timestamp, l.value, l.is_nan
        FROM (
          SELECT series_id, ${bucket} AS bucket, MIN(step) AS first_step, MAX(step) AS last_step, COUNT(*) AS point_count,
                 SUM(is_nan) AS nan_count,
                 MIN(CASE WHEN is_nan = 0 THEN value END) AS min_value, MAX(CASE WHEN is_nan = 0 THEN value END) AS max_value
          FROM metric_points GROUP BY series_id, ${bucket}
        ) g
        JOIN (
          SELECT series_id, ${bucket} AS bucket, timestamp, value, is_nan,
                 ROW_NUMBER() OVER (PARTITION BY series_id, ${bucket} ORDER BY step DESC, timestamp DESC, value DESC) AS position
          FROM metric_points
        ) l ON l.series_id = g.series_id AND l.bucket = g.bucket AND l.position = 1`);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE metric_rollups');
  }
}
