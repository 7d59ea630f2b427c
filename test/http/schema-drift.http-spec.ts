import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source.js';
import { databaseSettings } from '../../src/database/database-settings.js';
import type { ArtifactBlobEntity } from '../../src/modules/artifacts/entities/artifact-blob.entity.js';
import type { ArtifactEntity } from '../../src/modules/artifacts/entities/artifact.entity.js';
import type { MultipartUploadEntity, MultipartUploadPartEntity } from '../../src/modules/artifacts/entities/multipart-upload.entity.js';
import type { ExperimentEntity, ExperimentTagEntity } from '../../src/modules/experiments/entities/experiment.entity.js';
import type { IdempotencyKeyEntity } from '../../src/modules/idempotency/entities/idempotency-key.entity.js';
import type { ModelVersionEntity, ModelVersionTagEntity } from '../../src/modules/model-registry/entities/model-version.entity.js';
import type {
  RegisteredModelAliasEntity,
  RegisteredModelEntity,
  RegisteredModelTagEntity,
} from '../../src/modules/model-registry/entities/registered-model.entity.js';
import type { MetricPointEntity, MetricRollupEntity, MetricSeriesEntity } from '../../src/modules/metrics/entities/metric.entity.js';
import type {
  LoggedModelArtifactEntity,
  LoggedModelEntity,
  LoggedModelKeyValueEntity,
  LoggedModelMetricEntity,
  RunModelOutputEntity,
} from '../../src/modules/logged-models/entities/logged-model.entity.js';
import type { ParamEntity } from '../../src/modules/params/entities/param.entity.js';
import type { DatasetEntity, RunInputEntity } from '../../src/modules/runs/entities/run-input.entity.js';
import type { RunEntity, RunTagEntity } from '../../src/modules/runs/entities/run.entity.js';
import { createTestStorage, TestStorage } from '../support/database.js';

/**
 * The migrations are the only description of the schema (README, "Architecture"): no TypeORM
 * entity is registered, and the row types under src/modules/<feature>/entities/ are plain
 * interfaces. This test holds the row types to the migrated tables, on the database under test.
 */

type ValueKind<Value> = [NonNullable<Value>] extends [number] ? 'number' : [NonNullable<Value>] extends [string] ? 'text' : never;
type ColumnDescription<Value> = null extends Value ? `${ValueKind<Value>} | null` : ValueKind<Value>;
/** Every property of a row type with its kind and nullability; the compiler checks it against the row type. */
type ColumnsOf<Row> = { [Column in keyof Row]-?: ColumnDescription<Row[Column]> };

function rowType<Row>(columns: ColumnsOf<Row>): Record<string, string> {
  return columns;
}

/** Table name → the columns its row type declares. */
const ROW_TYPES: Record<string, Record<string, string>> = {
  experiments: rowType<ExperimentEntity>({
    id: 'number',
    public_id: 'text',
    name: 'text',
    config: 'text | null',
    artifact_location: 'text',
    lifecycle_stage: 'text',
    created_at: 'number',
    updated_at: 'number',
    deleted_at: 'number | null',
  }),
  experiment_tags: rowType<ExperimentTagEntity>({ experiment_id: 'number', key: 'text', value: 'text' }),
  runs: rowType<RunEntity>({
    id: 'number',
    public_id: 'text',
    experiment_id: 'number',
    name: 'text',
    status: 'text',
    status_reason: 'text | null',
    lifecycle_stage: 'text',
    user_id: 'text | null',
    created_at: 'number',
    started_at: 'number | null',
    ended_at: 'number | null',
    updated_at: 'number',
    deleted_at: 'number | null',
    last_activity_at: 'number | null',
  }),
  run_tags: rowType<RunTagEntity>({ run_id: 'number', key: 'text', value: 'text' }),
  params: rowType<ParamEntity>({ run_id: 'number', key: 'text', value: 'text', value_type: 'text' }),
  metric_series: rowType<MetricSeriesEntity>({
    id: 'number',
    run_id: 'number',
    key: 'text',
    point_count: 'number',
    last_step: 'number | null',
    last_timestamp: 'number | null',
    last_value: 'number | null',
    last_is_nan: 'number | null',
  }),
  metric_points: rowType<MetricPointEntity>({
    series_id: 'number',
    step: 'number',
    timestamp: 'number',
    value: 'number',
    is_nan: 'number',
  }),
  metric_rollups: rowType<MetricRollupEntity>({
    series_id: 'number',
    level: 'number',
    bucket: 'number',
    first_step: 'number',
    last_step: 'number',
    point_count: 'number',
    nan_count: 'number',
    min_value: 'number | null',
    max_value: 'number | null',
    last_timestamp: 'number',
    last_value: 'number',
    last_is_nan: 'number',
  }),
  artifacts: rowType<ArtifactEntity>({
    id: 'number',
    run_id: 'number',
    path: 'text',
    hash: 'text',
    size_bytes: 'number',
    content_type: 'text',
    created_at: 'number',
  }),
  artifact_blobs: rowType<ArtifactBlobEntity>({
    hash: 'text',
    size_bytes: 'number',
    pending_uploads: 'number',
    pinned_until: 'number',
    created_at: 'number',
  }),
  datasets: rowType<DatasetEntity>({
    id: 'number',
    experiment_id: 'number',
    name: 'text',
    digest: 'text',
    source_type: 'text',
    source: 'text',
    schema: 'text | null',
    profile: 'text | null',
    created_at: 'number',
  }),
  run_inputs: rowType<RunInputEntity>({ run_id: 'number', dataset_id: 'number', tags: 'text' }),
  idempotency_keys: rowType<IdempotencyKeyEntity>({
    key: 'text',
    fingerprint: 'text',
    status: 'number',
    body: 'text',
    created_at: 'number',
  }),
  multipart_uploads: rowType<MultipartUploadEntity>({
    upload_id: 'text',
    run_id: 'number',
    path: 'text',
    num_parts: 'number',
    part_secret: 'text',
    completing_since: 'number | null',
    created_at: 'number',
    expires_at: 'number',
  }),
  multipart_upload_parts: rowType<MultipartUploadPartEntity>({
    upload_id: 'text',
    part_number: 'number',
    staged_name: 'text',
    hash: 'text',
    size_bytes: 'number',
    uploaded_at: 'number',
  }),
  registered_models: rowType<RegisteredModelEntity>({
    id: 'number',
    name: 'text',
    description: 'text | null',
    user_id: 'text | null',
    last_version: 'number',
    created_at: 'number',
    updated_at: 'number',
  }),
  registered_model_tags: rowType<RegisteredModelTagEntity>({ model_id: 'number', key: 'text', value: 'text' }),
  registered_model_aliases: rowType<RegisteredModelAliasEntity>({ model_id: 'number', alias: 'text', version_id: 'number' }),
  model_versions: rowType<ModelVersionEntity>({
    id: 'number',
    model_id: 'number',
    version: 'number',
    source: 'text',
    storage_location: 'text',
    run_id: 'text | null',
    run_link: 'text | null',
    logged_model_id: 'text | null',
    description: 'text | null',
    current_stage: 'text',
    status: 'text',
    user_id: 'text | null',
    created_at: 'number',
    updated_at: 'number',
  }),
  model_version_tags: rowType<ModelVersionTagEntity>({ version_id: 'number', key: 'text', value: 'text' }),
  logged_models: rowType<LoggedModelEntity>({
    model_id: 'text',
    experiment_id: 'number',
    name: 'text',
    artifact_location: 'text',
    status: 'text',
    status_message: 'text | null',
    model_type: 'text | null',
    source_run_id: 'text | null',
    lifecycle_stage: 'text',
    created_at: 'number',
    updated_at: 'number',
  }),
  logged_model_tags: rowType<LoggedModelKeyValueEntity>({ model_id: 'text', key: 'text', value: 'text' }),
  logged_model_params: rowType<LoggedModelKeyValueEntity>({ model_id: 'text', key: 'text', value: 'text' }),
  logged_model_metrics: rowType<LoggedModelMetricEntity>({
    model_id: 'text',
    key: 'text',
    step: 'number',
    timestamp: 'number',
    run_id: 'text',
    dataset_name: 'text',
    dataset_digest: 'text',
    value: 'number',
    is_nan: 'number',
  }),
  logged_model_artifacts: rowType<LoggedModelArtifactEntity>({
    model_id: 'text',
    path: 'text',
    hash: 'text',
    size_bytes: 'number',
    content_type: 'text',
    created_at: 'number',
  }),
  run_model_outputs: rowType<RunModelOutputEntity>({ run_id: 'number', model_id: 'text', step: 'number' }),
};

describe('the migrations are the only schema', () => {
  let storage: TestStorage;
  let dataSource: DataSource;

  beforeAll(async () => {
    storage = await createTestStorage();
    const options = dataSourceOptions(databaseSettings({ databaseUrl: storage.databaseUrl, dataDir: storage.dataDir }));
    dataSource = await new DataSource(options).initialize();
    await dataSource.runMigrations({ transaction: 'each' });
  });

  afterAll(async () => {
    await dataSource.destroy();
    await storage.dispose();
  });

  it('TypeORM registers no entity, so migration:generate would write no statement after the migrations', async () => {
    expect(dataSource.entityMetadatas.map((entity) => entity.tableName)).toEqual([]);
    const pending = await dataSource.driver.createSchemaBuilder().log();
    // One statement a line, so a failure prints every one of them (jest shortens long arrays).
    expect(pending.upQueries.map((query) => `${query.query};`).join('\n')).toBe('');
  });

  it('every migrated table has a row type whose columns, value kinds and nullability match it', async () => {
    expect(await migratedColumns(dataSource)).toEqual(ROW_TYPES);
  });
});

/** Table → column → 'number' | 'text', with ' | null' when the column accepts NULL. */
async function migratedColumns(dataSource: DataSource): Promise<Record<string, Record<string, string>>> {
  const columns: { table: string; column: string; type: string; nullable: boolean }[] = [];
  if (dataSource.options.type === 'postgres') {
    const rows: { table_name: string; column_name: string; data_type: string; is_nullable: 'YES' | 'NO' }[] = await dataSource.query(
      `SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns WHERE table_schema = 'public'`,
    );
    for (const row of rows) {
      columns.push({ table: row.table_name, column: row.column_name, type: row.data_type, nullable: row.is_nullable === 'YES' });
    }
  } else {
    const tables: { name: string }[] = await dataSource.query(
      `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`,
    );
    for (const { name } of tables) {
      const rows: { name: string; type: string; notnull: number; pk: number }[] = await dataSource.query(`PRAGMA table_info("${name}")`);
      for (const row of rows) {
        // An INTEGER PRIMARY KEY is the rowid, never NULL, though the pragma reports no NOT NULL for it.
        columns.push({ table: name, column: row.name, type: row.type, nullable: row.notnull === 0 && row.pk === 0 });
      }
    }
  }
  const byTable: Record<string, Record<string, string>> = {};
  for (const { table, column, type, nullable } of columns) {
    if (table === 'migrations') {
      continue; // TypeORM's own record of the applied migrations
    }
    const kind = valueKind(type);
    byTable[table] = { ...byTable[table], [column]: nullable ? `${kind} | null` : kind };
  }
  return byTable;
}

/** The TypeScript kind a column's values are read as; an unknown SQL type is shown as itself, so the test names it. */
function valueKind(sqlType: string): string {
  const type = sqlType.toLowerCase();
  if (['integer', 'bigint', 'smallint', 'real', 'double precision'].includes(type)) {
    return 'number';
  }
  return type === 'text' ? 'text' : type;
}
