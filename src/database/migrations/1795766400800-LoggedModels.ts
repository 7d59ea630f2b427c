import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * MLflow 3 logged models (`mlflow.<flavor>.log_model`): a model belongs to an experiment, may
 * name the run that produced it, and owns an artifact folder of its own
 * (`<experiment location>/models/<model_id>/artifacts`). Its tags and params are key/value rows;
 * `logged_model_metrics` holds the metric points logged with `model_id` (also kept on the run);
 * `logged_model_artifacts` maps the model's artifact keys to blobs, as `artifacts` does for
 * runs (the garbage collector counts both as references). `run_model_outputs` records which
 * models a run produced (`runs/outputs`). A deleted model keeps its rows
 * (`lifecycle_stage = 'deleted'`), as MLflow does.
 */
export class LoggedModels1795766400800 implements MigrationInterface {
  name = 'LoggedModels1795766400800';

  async up(queryRunner: QueryRunner): Promise<void> {
    const postgres = queryRunner.connection.options.type === 'postgres';
    const bigint = postgres ? 'BIGINT' : 'INTEGER';
    const real = postgres ? 'DOUBLE PRECISION' : 'REAL';
    const small = postgres ? 'SMALLINT' : 'INTEGER';
    const key = postgres ? 'TEXT COLLATE "C"' : 'TEXT';
    const withoutRowid = postgres ? '' : ' WITHOUT ROWID';
    await queryRunner.query(`CREATE TABLE logged_models (
      model_id TEXT NOT NULL PRIMARY KEY,
      experiment_id ${bigint} NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
      name TEXT NOT NULL,
      artifact_location TEXT NOT NULL,
      status TEXT NOT NULL,
      status_message TEXT NULL,
      model_type TEXT NULL,
      source_run_id TEXT NULL,
      lifecycle_stage TEXT NOT NULL,
      created_at ${bigint} NOT NULL,
      updated_at ${bigint} NOT NULL
    )${withoutRowid}`);
    await queryRunner.query('CREATE INDEX logged_models_by_experiment ON logged_models (experiment_id, created_at)');
    await queryRunner.query('CREATE INDEX logged_models_by_source_run ON logged_models (source_run_id)');
    for (const table of ['logged_model_tags', 'logged_model_params']) {
      await queryRunner.query(`CREATE TABLE ${table} (
        model_id TEXT NOT NULL REFERENCES logged_models (model_id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (model_id, key)
      )${withoutRowid}`);
    }
    await queryRunner.query(`CREATE TABLE logged_model_metrics (
      model_id TEXT NOT NULL REFERENCES logged_models (model_id) ON DELETE CASCADE,
      key TEXT NOT NULL,
      step ${bigint} NOT NULL,
      timestamp ${bigint} NOT NULL,
      run_id TEXT NOT NULL,
      dataset_name TEXT NOT NULL,
      dataset_digest TEXT NOT NULL,
      value ${real} NOT NULL,
      is_nan ${small} NOT NULL,
      PRIMARY KEY (model_id, key, step, timestamp, run_id, dataset_name, dataset_digest)
    )${withoutRowid}`);
    await queryRunner.query(`CREATE TABLE logged_model_artifacts (
      model_id TEXT NOT NULL REFERENCES logged_models (model_id) ON DELETE CASCADE,
      path ${key} NOT NULL,
      hash TEXT NOT NULL,
      size_bytes ${bigint} NOT NULL,
      content_type TEXT NOT NULL,
      created_at ${bigint} NOT NULL,
      PRIMARY KEY (model_id, path)
    )${withoutRowid}`);
    await queryRunner.query('CREATE INDEX logged_model_artifacts_by_hash ON logged_model_artifacts (hash)');
    await queryRunner.query(`CREATE TABLE run_model_outputs (
      run_id ${bigint} NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
      model_id TEXT NOT NULL,
      step ${bigint} NOT NULL,
      PRIMARY KEY (run_id, model_id)
    )${withoutRowid}`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE run_model_outputs');
    await queryRunner.query('DROP TABLE logged_model_artifacts');
    await queryRunner.query('DROP TABLE logged_model_metrics');
    await queryRunner.query('DROP TABLE logged_model_params');
    await queryRunner.query('DROP TABLE logged_model_tags');
    await queryRunner.query('DROP TABLE logged_models');
  }
}
