import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A model version made from an MLflow 3 logged model (`mlflow.register_model("models:/m-…")`)
 * remembers that model: `logged_model_id` is MLflow's `model_id` of the version (the name
 * `model_id` is taken by the reference to `registered_models`). Like `run_id` it is not a
 * foreign key: the logged model may be deleted while the version stays.
 */
export class ModelVersionLoggedModel1795766400900 implements MigrationInterface {
  name = 'ModelVersionLoggedModel1795766400900';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE model_versions ADD COLUMN logged_model_id TEXT NULL');
    await queryRunner.query('CREATE INDEX model_versions_by_logged_model ON model_versions (logged_model_id)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX model_versions_by_logged_model');
    await queryRunner.query('ALTER TABLE model_versions DROP COLUMN logged_model_id');
  }
}
