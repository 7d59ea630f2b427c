import { Injectable } from '@nestjs/common';
import { SqlClient, SqlExecutor } from '../../database/sql-client.js';
import { forUpdate } from '../../database/transaction-locks.js';
import { folderEnd, PathBound } from '../artifacts/artifact.repository.js';
import {
  LoggedModelArtifactEntity,
  LoggedModelEntity,
  LoggedModelKeyValueEntity,
  LoggedModelMetricEntity,
  LoggedModelStatus,
} from './entities/logged-model.entity.js';

const MODEL_COLUMNS =
  'model_id, experiment_id, name, artifact_location, status, status_message, model_type, source_run_id, lifecycle_stage, created_at, updated_at';
const ARTIFACT_COLUMNS = 'model_id, path, hash, size_bytes, content_type, created_at';

function placeholders(count: number): string {
  return Array.from({ length: count }, () => '?').join(', ');
}

export interface KeyValue {
  key: string;
  value: string;
}

/** The SQL of logged models, their tags, params, metrics, artifacts and the runs that output them; the same on both databases. */
@Injectable()
export class LoggedModelRepository {
  constructor(private readonly sql: SqlClient) {}

  /** Stores a new model with its first tags and params, all or nothing. */
  insert(model: LoggedModelEntity, tags: readonly KeyValue[], params: readonly KeyValue[]): Promise<void> {
    return this.sql.transaction(async (tx) => {
      await tx.execute(`INSERT INTO logged_models (${MODEL_COLUMNS}) VALUES (${placeholders(11)})`, [
        model.model_id,
        model.experiment_id,
        model.name,
        model.artifact_location,
        model.status,
        model.status_message,
        model.model_type,
        model.source_run_id,
        model.lifecycle_stage,
        model.created_at,
        model.updated_at,
      ]);
      await this.upsertKeyValues(tx, 'logged_model_tags', model.model_id, tags);
      await this.upsertKeyValues(tx, 'logged_model_params', model.model_id, params);
    });
  }

  findById(modelId: string): Promise<LoggedModelEntity | undefined> {
    return this.sql.queryOne<LoggedModelEntity>(`SELECT ${MODEL_COLUMNS} FROM logged_models WHERE model_id = ?`, [modelId]);
  }

  /** The active models of these experiments (internal ids), newest first. */
  listActiveIn(experimentIds: readonly number[]): Promise<LoggedModelEntity[]> {
    if (experimentIds.length === 0) {
      return Promise.resolve([]);
    }
    return this.sql.query<LoggedModelEntity>(
      `SELECT ${MODEL_COLUMNS} FROM logged_models
       WHERE experiment_id IN (${placeholders(experimentIds.length)}) AND lifecycle_stage = 'active'
       ORDER BY created_at DESC, model_id`,
      [...experimentIds],
    );
  }

  tagsOf(modelIds: readonly string[]): Promise<LoggedModelKeyValueEntity[]> {
    return this.keyValuesOf('logged_model_tags', modelIds);
  }

  paramsOf(modelIds: readonly string[]): Promise<LoggedModelKeyValueEntity[]> {
    return this.keyValuesOf('logged_model_params', modelIds);
  }

  metricsOf(modelIds: readonly string[]): Promise<LoggedModelMetricEntity[]> {
    if (modelIds.length === 0) {
      return Promise.resolve([]);
    }
    return this.sql.query<LoggedModelMetricEntity>(
      `SELECT model_id, key, step, timestamp, run_id, dataset_name, dataset_digest, value, is_nan FROM logged_model_metrics
       WHERE model_id IN (${placeholders(modelIds.length)}) ORDER BY model_id, key, step, timestamp`,
      [...modelIds],
    );
  }

  async setStatus(modelId: string, status: LoggedModelStatus, at: number): Promise<void> {
    await this.sql.execute('UPDATE logged_models SET status = ?, updated_at = ? WHERE model_id = ?', [status, at, modelId]);
  }

  async markDeleted(modelId: string, at: number): Promise<void> {
    await this.sql.execute("UPDATE logged_models SET lifecycle_stage = 'deleted', updated_at = ? WHERE model_id = ?", [at, modelId]);
  }

  upsertTags(modelId: string, tags: readonly KeyValue[], at: number): Promise<void> {
    return this.sql.transaction(async (tx) => {
      await this.upsertKeyValues(tx, 'logged_model_tags', modelId, tags);
      await tx.execute('UPDATE logged_models SET updated_at = ? WHERE model_id = ?', [at, modelId]);
    });
  }

  /**
   * Rewrites one tag from its current value (undefined when unset) in one transaction that
   * first locks the model's row, so concurrent rewrites of the same model take turns.
   */
  rewriteTag(modelId: string, key: string, at: number, next: (current: string | undefined) => string): Promise<void> {
    return this.sql.transaction(async (tx) => {
      await tx.execute('UPDATE logged_models SET updated_at = ? WHERE model_id = ?', [at, modelId]);
      const current = await tx.queryOne<{ value: string }>('SELECT value FROM logged_model_tags WHERE model_id = ? AND key = ?', [
        modelId,
        key,
      ]);
      await this.upsertKeyValues(tx, 'logged_model_tags', modelId, [{ key, value: next(current?.value) }]);
    });
  }

  upsertParams(modelId: string, params: readonly KeyValue[], at: number): Promise<void> {
    return this.sql.transaction(async (tx) => {
      await this.upsertKeyValues(tx, 'logged_model_params', modelId, params);
      await tx.execute('UPDATE logged_models SET updated_at = ? WHERE model_id = ?', [at, modelId]);
    });
  }

  /** Removes one tag; returns whether there was one. */
  async deleteTag(modelId: string, key: string): Promise<boolean> {
    return (await this.sql.execute('DELETE FROM logged_model_tags WHERE model_id = ? AND key = ?', [modelId, key])) > 0;
  }

  /** Records metric points of models, 100 rows a statement; an exact repeat of a point keeps one row, its value the latest. */
  async upsertMetrics(points: readonly LoggedModelMetricEntity[]): Promise<void> {
    // One statement may not touch a row twice (PostgreSQL refuses it): the last of equal points wins.
    const unique = [
      ...new Map(
        points.map((point) => [
          JSON.stringify([point.model_id, point.key, point.step, point.timestamp, point.run_id, point.dataset_name, point.dataset_digest]),
          point,
        ]),
      ).values(),
    ];
    const rowsPerStatement = 100;
    for (let start = 0; start < unique.length; start += rowsPerStatement) {
      const chunk = unique.slice(start, start + rowsPerStatement);
      await this.sql.execute(
        `INSERT INTO logged_model_metrics (model_id, key, step, timestamp, run_id, dataset_name, dataset_digest, value, is_nan)
         VALUES ${chunk.map(() => `(${placeholders(9)})`).join(', ')}
         ON CONFLICT (model_id, key, step, timestamp, run_id, dataset_name, dataset_digest)
         DO UPDATE SET value = excluded.value, is_nan = excluded.is_nan`,
        chunk.flatMap((point) => [
          point.model_id,
          point.key,
          point.step,
          point.timestamp,
          point.run_id,
          point.dataset_name,
          point.dataset_digest,
          point.value,
          point.is_nan,
        ]),
      );
    }
  }

  /** Which models of these ids exist (any lifecycle stage). */
  async existingIds(modelIds: readonly string[]): Promise<Set<string>> {
    if (modelIds.length === 0) {
      return new Set();
    }
    const rows = await this.sql.query<{ model_id: string }>(
      `SELECT model_id FROM logged_models WHERE model_id IN (${placeholders(modelIds.length)})`,
      [...modelIds],
    );
    return new Set(rows.map((row) => row.model_id));
  }

  async recordOutputs(runId: number, outputs: readonly { modelId: string; step: number }[]): Promise<void> {
    for (const output of outputs) {
      await this.sql.execute(
        'INSERT INTO run_model_outputs (run_id, model_id, step) VALUES (?, ?, ?) ON CONFLICT (run_id, model_id) DO UPDATE SET step = excluded.step',
        [runId, output.modelId, output.step],
      );
    }
  }

  outputsOf(runId: number): Promise<{ model_id: string; step: number }[]> {
    return this.sql.query<{ model_id: string; step: number }>(
      'SELECT model_id, step FROM run_model_outputs WHERE run_id = ? ORDER BY model_id',
      [runId],
    );
  }

  findArtifact(modelId: string, path: string): Promise<LoggedModelArtifactEntity | undefined> {
    return this.sql.queryOne<LoggedModelArtifactEntity>(
      `SELECT ${ARTIFACT_COLUMNS} FROM logged_model_artifacts WHERE model_id = ? AND path = ?`,
      [modelId, path],
    );
  }

  /** Records the file, replacing whatever was at its path; returns the hash the path held before, if any. */
  replaceArtifact(artifact: LoggedModelArtifactEntity): Promise<{ previousHash?: string }> {
    return this.sql.transaction(async (tx) => {
      const previous = await tx.queryOne<{ hash: string }>(
        `SELECT hash FROM logged_model_artifacts WHERE model_id = ? AND path = ?${forUpdate(tx)}`,
        [artifact.model_id, artifact.path],
      );
      await tx.execute(
        `INSERT INTO logged_model_artifacts (${ARTIFACT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (model_id, path) DO UPDATE SET hash = excluded.hash, size_bytes = excluded.size_bytes,
           content_type = excluded.content_type, created_at = excluded.created_at`,
        [artifact.model_id, artifact.path, artifact.hash, artifact.size_bytes, artifact.content_type, artifact.created_at],
      );
      return { previousHash: previous?.hash };
    });
  }

  /** Removes the file `path` and everything in the folder `path/` ('' for all of the model's files); returns their hashes. */
  async deleteArtifacts(modelId: string, path: string): Promise<string[]> {
    if (path === '') {
      const all = await this.sql.query<{ hash: string }>('DELETE FROM logged_model_artifacts WHERE model_id = ? RETURNING hash', [modelId]);
      return all.map((row) => row.hash);
    }
    const folder = `${path}/`;
    const rows = await this.sql.query<{ hash: string }>(
      'DELETE FROM logged_model_artifacts WHERE model_id = ? AND (path = ? OR (path >= ? AND path < ?)) RETURNING hash',
      [modelId, path, folder, folderEnd(folder)],
    );
    return rows.map((row) => row.hash);
  }

  /** Up to `limit` files of a model in key order, starting at `from`. */
  listArtifactsFrom(modelId: string, from: PathBound, limit: number): Promise<LoggedModelArtifactEntity[]> {
    const comparison = from.inclusive ? '>=' : '>';
    return this.sql.query<LoggedModelArtifactEntity>(
      `SELECT ${ARTIFACT_COLUMNS} FROM logged_model_artifacts WHERE model_id = ? AND path ${comparison} ? ORDER BY path LIMIT ?`,
      [modelId, from.path, limit],
    );
  }

  private keyValuesOf(table: string, modelIds: readonly string[]): Promise<LoggedModelKeyValueEntity[]> {
    if (modelIds.length === 0) {
      return Promise.resolve([]);
    }
    return this.sql.query<LoggedModelKeyValueEntity>(
      `SELECT model_id, key, value FROM ${table} WHERE model_id IN (${placeholders(modelIds.length)}) ORDER BY model_id, key`,
      [...modelIds],
    );
  }

  private async upsertKeyValues(tx: SqlExecutor, table: string, modelId: string, entries: readonly KeyValue[]): Promise<void> {
    for (const entry of entries) {
      await tx.execute(
        `INSERT INTO ${table} (model_id, key, value) VALUES (?, ?, ?) ON CONFLICT (model_id, key) DO UPDATE SET value = excluded.value`,
        [modelId, entry.key, entry.value],
      );
    }
  }
}
