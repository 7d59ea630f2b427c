import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes for MLflow-style run search (src/modules/runs/search/), each kept because EXPLAIN
 * and bench/search.ts showed it used:
 *
 * - runs_by_experiment_start, both databases: the default search order (start_time DESC with
 *   runs never started last, then run_id) straight from the index, so the first page of an
 *   experiment's runs reads one page of rows instead of sorting all of them.
 * - params and run_tags by (key, value), PostgreSQL only: its planner (which has statistics)
 *   finds `params.lr = '0.01'` or `tags.mlflow.parentRunId = '…'` through them instead of
 *   scanning every param or tag of every run. SQLite probes each run's (run_id, key) primary
 *   key instead and never chooses them, so they would only cost writes there.
 *
 * No index on metric_series (key, last_value): latest values change on every logged batch, an
 * index on them would cost every ingestion (and PostgreSQL's HOT updates), and SQLite without
 * statistics used one for a correlated subquery per run, making a search seconds slower.
 */
export class RunSearchIndexes1795766400100 implements MigrationInterface {
  name = 'RunSearchIndexes1795766400100';

  async up(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.options.type === 'postgres') {
      await queryRunner.query(
        'CREATE INDEX runs_by_experiment_start ON runs (experiment_id, started_at DESC NULLS LAST, public_id COLLATE "C")',
      );
      await queryRunner.query('CREATE INDEX params_by_key_value ON params (key, value)');
      await queryRunner.query('CREATE INDEX run_tags_by_key_value ON run_tags (key, value)');
    } else {
      // SQLite: NULLs are the smallest values, so DESC already puts runs never started last.
      await queryRunner.query('CREATE INDEX runs_by_experiment_start ON runs (experiment_id, started_at DESC, public_id)');
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.options.type === 'postgres') {
      await queryRunner.query('DROP INDEX run_tags_by_key_value');
      await queryRunner.query('DROP INDEX params_by_key_value');
    }
    await queryRunner.query('DROP INDEX runs_by_experiment_start');
  }
}
