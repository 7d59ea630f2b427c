import { SqlClient } from '../../database/sql-client.js';
import { MetricSeriesEntity } from '../metrics/entities/metric.entity.js';
import { ParamEntity, ParamValueType } from '../params/entities/param.entity.js';
import { DatasetInput } from '../runs/run-input.repository.js';
import type { RunData } from './mlflow-json.js';
import { MlflowRunDataStore } from './mlflow-run-data.store.js';

type ParamCells = [key: string, value: string, valueType: ParamValueType];
type TagCells = [key: string, value: string];
/** A float8 arrives as a JSON number, or as a string for ±Infinity and NaN. */
type MetricCells = [id: number, key: string, pointCount: number, step: number, timestamp: number, value: number | string, isNan: number];
type InputCells = [
  tags: string,
  name: string,
  digest: string,
  sourceType: string,
  source: string,
  schema: string | null,
  profile: string | null,
];
type RunDataRow = [
  runId: number,
  params: ParamCells[] | null,
  tags: TagCells[] | null,
  metrics: MetricCells[] | null,
  inputs: InputCells[] | null,
];

/**
 * PostgreSQL: one statement, each run's parts gathered by index lookups into JSON arrays: a
 * search page used to cost four more statements, and the planner read the params of a 100-run
 * page with a sequential scan of the whole table.
 */
export class PostgresMlflowRunDataStore extends MlflowRunDataStore {
  constructor(private readonly sql: SqlClient) {
    super();
  }

  protected async dataOf(runIds: readonly number[]): Promise<Map<number, RunData>> {
    const rows = await this.sql.queryTuples<RunDataRow>(
      `SELECT ids.id,
         (SELECT json_agg(json_build_array(p.key, p.value, p.value_type) ORDER BY p.key)
            FROM params p WHERE p.run_id = ids.id),
         (SELECT json_agg(json_build_array(t.key, t.value) ORDER BY t.key)
            FROM run_tags t WHERE t.run_id = ids.id),
         (SELECT json_agg(json_build_array(m.id, m.key, m.point_count, m.last_step, m.last_timestamp, m.last_value, m.last_is_nan) ORDER BY m.key)
            FROM metric_series m WHERE m.run_id = ids.id AND m.last_step IS NOT NULL),
         (SELECT json_agg(json_build_array(ri.tags, d.name, d.digest, d.source_type, d.source, d.schema, d.profile) ORDER BY d.name, d.digest)
            FROM run_inputs ri JOIN datasets d ON d.id = ri.dataset_id WHERE ri.run_id = ids.id)
       FROM unnest(?::bigint[]) AS ids(id)`,
      [runIds],
    );
    const data = new Map<number, RunData>();
    for (const [runId, params, tags, metrics, inputs] of rows) {
      data.set(runId, {
        params: (params ?? []).map(([key, value, valueType]): ParamEntity => ({ run_id: runId, key, value, value_type: valueType })),
        tags: (tags ?? []).map(([key, value]) => ({ key, value })),
        metrics: (metrics ?? []).map(([id, key, pointCount, step, timestamp, value, isNan]): MetricSeriesEntity => ({
          id,
          run_id: runId,
          key,
          point_count: pointCount,
          last_step: step,
          last_timestamp: timestamp,
          last_value: Number(value),
          last_is_nan: isNan,
        })),
        inputs: (inputs ?? []).map(([tagsJson, name, digest, sourceType, source, schema, profile]): DatasetInput => ({
          dataset: { name, digest, source_type: sourceType, source, schema, profile },
          tags: JSON.parse(tagsJson) as DatasetInput['tags'],
        })),
      });
    }
    return data;
  }
}
