import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { InvalidRequestError, ResourceNotFoundError } from '../../common/errors.js';
import { decodePageToken, encodePageToken } from '../../common/paging.js';
import { ExperimentEntity } from '../experiments/entities/experiment.entity.js';
import { ExperimentsService } from '../experiments/experiments.service.js';
import { ExperimentNotActiveError } from '../runs/run-errors.js';
import { randomRunName } from '../runs/run-names.js';
import { RunsService } from '../runs/runs.service.js';
import {
  LoggedModelArtifactEntity,
  LoggedModelEntity,
  LoggedModelMetricEntity,
  LoggedModelStatus,
} from './entities/logged-model.entity.js';
import { KeyValue, LoggedModelRepository } from './logged-model.repository.js';
import { modelComparator, ModelOrder, parseModelFilter, SearchableModel } from './logged-model-search.js';
import { isLaterPoint } from '../metrics/point-order.js';

/** A logged model with everything MLflow shows of it. */
export interface LoggedModelView {
  model: LoggedModelEntity;
  experimentPublicId: string;
  tags: KeyValue[];
  params: KeyValue[];
  metrics: LoggedModelMetricEntity[];
}

export interface NewLoggedModel {
  experimentId: string;
  name?: string;
  modelType?: string;
  sourceRunId?: string;
  tags: KeyValue[];
  params: KeyValue[];
}

export interface ModelSearch {
  experimentIds: string[];
  filter?: string;
  orderBy: ModelOrder[];
  maxResults: number;
  pageToken?: string;
}

/** A metric point logged to a run with a `model_id`. */
export interface ModelMetricPoint {
  modelId: string;
  key: string;
  value: number;
  timestamp: number;
  step: number;
  datasetName?: string;
  datasetDigest?: string;
}

export class LoggedModelNotFoundError extends ResourceNotFoundError {
  constructor(readonly modelId: string) {
    super(`Logged model with ID '${modelId}' not found.`);
  }
}

export const MAX_MODEL_SEARCH_RESULTS = 1000;

function isOffsetCursor(value: Record<string, unknown>): value is { o: number; f: string } {
  return Number.isSafeInteger(value.o) && typeof value.f === 'string';
}

/** `m-` and 128 random bits in hex: MLflow's form of a logged model id. */
/** The logged model's tag listing the registered model versions made from it (MLflow's name). */
export const MODEL_VERSIONS_TAG = 'mlflow.modelVersions';

/** The entries of an `mlflow.modelVersions` tag, kept as they are; a value that is not a JSON list counts as none. */
function parseModelVersionsTag(value: string | undefined): unknown[] {
  if (value === undefined) {
    return [];
  }
  try {
    const parsed: unknown = JSON.parse(value);
    return Array.isArray(parsed) ? parsed : [];
  } catch {
    return [];
  }
}

function isVersionEntry(entry: unknown, name: string, version: number): boolean {
  if (typeof entry !== 'object' || entry === null) {
    return false;
  }
  const fields = entry as { name?: unknown; version?: unknown };
  return fields.name === name && fields.version === version;
}

function newModelId(): string {
  return `m-${randomBytes(16).toString('hex')}`;
}

/** The latest value of each metric key, by the series' own rule (`isLaterPoint`); NaN as NaN. */
function latestMetrics(points: readonly LoggedModelMetricEntity[]): Map<string, number> {
  const latest = new Map<string, LoggedModelMetricEntity>();
  for (const point of points) {
    const seen = latest.get(point.key);
    if (!seen || isLaterPoint(point.step, point.timestamp, point.value, seen.step, seen.timestamp, seen.value)) {
      latest.set(point.key, point);
    }
  }
  return new Map([...latest].map(([key, point]) => [key, point.is_nan ? NaN : point.value]));
}

function groupBy<T extends { model_id: string }>(rows: readonly T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const group = groups.get(row.model_id);
    if (group) {
      group.push(row);
    } else {
      groups.set(row.model_id, [row]);
    }
  }
  return groups;
}

/**
 * The rules of MLflow 3 logged models: created PENDING in an active experiment with an artifact
 * folder of their own, finalized READY or FAILED, soft-deleted; tags and params are key/value
 * sets (a key again replaces its value); metrics logged with a `model_id` are kept per model.
 */
@Injectable()
export class LoggedModelsService {
  constructor(
    private readonly models: LoggedModelRepository,
    private readonly experiments: ExperimentsService,
    private readonly runs: RunsService,
  ) {}

  async create(input: NewLoggedModel): Promise<LoggedModelView> {
    const experiment = await this.experiments.require(input.experimentId);
    if (experiment.lifecycle_stage !== 'active') {
      throw new ExperimentNotActiveError(experiment.public_id);
    }
    if (input.sourceRunId !== undefined) {
      await this.runs.requireReadable(input.sourceRunId);
    }
    const modelId = newModelId();
    const now = Date.now();
    const model: LoggedModelEntity = {
      model_id: modelId,
      experiment_id: experiment.id,
      name: input.name ?? randomRunName(),
      artifact_location: `${experiment.artifact_location.replace(/\/+$/, '')}/models/${modelId}/artifacts`,
      status: 'pending',
      status_message: null,
      model_type: input.modelType ?? null,
      source_run_id: input.sourceRunId ?? null,
      lifecycle_stage: 'active',
      created_at: now,
      updated_at: now,
    };
    await this.models.insert(model, input.tags, input.params);
    return this.view(model, experiment);
  }

  /** The model, or NOT_FOUND; a deleted model only when `allowDeleted`. */
  async get(modelId: string, allowDeleted = false): Promise<LoggedModelView> {
    return this.view(await this.require(modelId, allowDeleted));
  }

  async require(modelId: string, allowDeleted = false): Promise<LoggedModelEntity> {
    const model = await this.models.findById(modelId);
    if (!model || (model.lifecycle_stage === 'deleted' && !allowDeleted)) {
      throw new LoggedModelNotFoundError(modelId);
    }
    return model;
  }

  async finalize(modelId: string, status: LoggedModelStatus): Promise<LoggedModelView> {
    if (status === 'pending') {
      throw new InvalidRequestError(`A logged model can only be finalized as READY or FAILED, got PENDING`, 'INVALID_PARAMETER_VALUE');
    }
    await this.require(modelId);
    await this.models.setStatus(modelId, status, Date.now());
    return this.get(modelId);
  }

  async delete(modelId: string): Promise<void> {
    await this.require(modelId);
    await this.models.markDeleted(modelId, Date.now());
  }

  async setTags(modelId: string, tags: KeyValue[]): Promise<void> {
    await this.require(modelId);
    await this.models.upsertTags(modelId, tags, Date.now());
  }

  /**
   * Adds a registered model version to the model's `mlflow.modelVersions` tag (a JSON list of
   * `{"name", "version"}`, each version once), as MLflow does when a version is made from it.
   */
  async recordModelVersion(modelId: string, name: string, version: number): Promise<void> {
    await this.require(modelId);
    await this.models.rewriteTag(modelId, MODEL_VERSIONS_TAG, Date.now(), (current) => {
      const listed = parseModelVersionsTag(current);
      return JSON.stringify(listed.some((entry) => isVersionEntry(entry, name, version)) ? listed : [...listed, { name, version }]);
    });
  }

  async deleteTag(modelId: string, key: string): Promise<void> {
    await this.require(modelId);
    if (!(await this.models.deleteTag(modelId, key))) {
      throw new ResourceNotFoundError(`No tag with key '${key}' found for logged model with ID '${modelId}'.`);
    }
  }

  async logParams(modelId: string, params: KeyValue[]): Promise<void> {
    await this.require(modelId);
    await this.models.upsertParams(modelId, params, Date.now());
  }

  /**
   * Keeps the points a run logged with a `model_id` for their models too (the run keeps them as
   * well). A point naming no model of this server stays on the run only: MLflow's server takes
   * any `model_id` here without checking it, and clients send ids of models logged elsewhere.
   */
  async recordMetrics(runId: string, points: readonly ModelMetricPoint[]): Promise<void> {
    if (points.length === 0) {
      return;
    }
    const existing = await this.models.existingIds([...new Set(points.map((point) => point.modelId))]);
    const known = points.filter((point) => existing.has(point.modelId));
    if (known.length === 0) {
      return;
    }
    await this.models.upsertMetrics(
      known.map((point) => ({
        model_id: point.modelId,
        key: point.key,
        step: point.step,
        timestamp: point.timestamp,
        run_id: runId,
        dataset_name: point.datasetName ?? '',
        dataset_digest: point.datasetDigest ?? '',
        value: Number.isNaN(point.value) ? 0 : point.value,
        is_nan: Number.isNaN(point.value) ? 1 : 0,
      })),
    );
  }

  /** Records that the run produced these models (MLflow's `runs/outputs`). */
  async recordOutputs(runId: string, outputs: readonly { modelId: string; step: number }[]): Promise<void> {
    const run = await this.runs.requireWritable(runId);
    const existing = await this.models.existingIds(outputs.map((output) => output.modelId));
    const unknown = outputs.find((output) => !existing.has(output.modelId));
    if (unknown) {
      throw new LoggedModelNotFoundError(unknown.modelId);
    }
    await this.models.recordOutputs(run.id, outputs);
  }

  async outputsOf(runInternalId: number): Promise<{ modelId: string; step: number }[]> {
    return (await this.models.outputsOf(runInternalId)).map((row) => ({ modelId: row.model_id, step: row.step }));
  }

  async search(query: ModelSearch): Promise<{ models: LoggedModelView[]; nextPageToken?: string }> {
    if (query.maxResults < 1 || query.maxResults > MAX_MODEL_SEARCH_RESULTS) {
      throw new InvalidRequestError(`max_results: must be between 1 and ${MAX_MODEL_SEARCH_RESULTS}, got ${query.maxResults}`);
    }
    const matches = parseModelFilter(query.filter);
    const compare = modelComparator(query.orderBy);
    // The page token holds the offset and the query it belongs to, so a token of another query is refused.
    const fingerprint = JSON.stringify([query.experimentIds, query.filter ?? '', query.orderBy]);
    const cursor = decodePageToken(query.pageToken, isOffsetCursor);
    if (cursor && cursor.f !== fingerprint) {
      throw new InvalidRequestError('page_token: belongs to another search', 'INVALID_PARAMETER_VALUE');
    }
    const experiments = await Promise.all(query.experimentIds.map((id) => this.experiments.require(id)));
    const byId = new Map(experiments.map((experiment) => [experiment.id, experiment]));
    const rows = await this.models.listActiveIn(experiments.map((experiment) => experiment.id));
    const ids = rows.map((row) => row.model_id);
    const [tags, params, metrics] = await Promise.all([this.models.tagsOf(ids), this.models.paramsOf(ids), this.models.metricsOf(ids)]);
    const tagsBy = groupBy(tags);
    const paramsBy = groupBy(params);
    const metricsBy = groupBy(metrics);
    const candidates = rows
      .map((model): SearchableModel => ({
        model,
        experimentPublicId: byId.get(model.experiment_id)?.public_id ?? '',
        tags: new Map((tagsBy.get(model.model_id) ?? []).map((tag) => [tag.key, tag.value])),
        params: new Map((paramsBy.get(model.model_id) ?? []).map((param) => [param.key, param.value])),
        metrics: latestMetrics(metricsBy.get(model.model_id) ?? []),
      }))
      .filter(matches)
      .sort(compare);
    const offset = cursor?.o ?? 0;
    const page = candidates.slice(offset, offset + query.maxResults);
    const end = offset + page.length;
    return {
      models: page.map(({ model, experimentPublicId }) => ({
        model,
        experimentPublicId,
        tags: (tagsBy.get(model.model_id) ?? []).map(({ key, value }) => ({ key, value })),
        params: (paramsBy.get(model.model_id) ?? []).map(({ key, value }) => ({ key, value })),
        metrics: metricsBy.get(model.model_id) ?? [],
      })),
      nextPageToken: end < candidates.length ? encodePageToken({ o: end, f: fingerprint }) : undefined,
    };
  }

  /* The model's files (its artifact folder), for the artifact proxy. */

  /** The model a write to its files goes to: it must exist and not be deleted. */
  requireForArtifacts(modelId: string): Promise<LoggedModelEntity> {
    return this.require(modelId);
  }

  findArtifact(modelId: string, key: string): Promise<LoggedModelArtifactEntity | undefined> {
    return this.models.findArtifact(modelId, key);
  }

  recordArtifact(artifact: LoggedModelArtifactEntity): Promise<{ previousHash?: string }> {
    return this.models.replaceArtifact(artifact);
  }

  removeArtifacts(modelId: string, key: string): Promise<string[]> {
    return this.models.deleteArtifacts(modelId, key);
  }

  listArtifactsFrom(modelId: string, from: { path: string; inclusive: boolean }, limit: number): Promise<LoggedModelArtifactEntity[]> {
    return this.models.listArtifactsFrom(modelId, from, limit);
  }

  /**
   * The model (deleted or not) whose experiment's artifact location `isLocation` accepts, or
   * undefined: how the artifact proxy tells `<location>/models/<model_id>/artifacts/…` from a
   * path that only looks like one.
   */
  async findInLocation(
    modelId: string,
    isLocation: (experimentArtifactLocation: string) => boolean,
  ): Promise<LoggedModelEntity | undefined> {
    const model = await this.models.findById(modelId);
    if (!model) {
      return undefined;
    }
    const experiment = await this.experiments.requireById(model.experiment_id);
    return isLocation(experiment.artifact_location) ? model : undefined;
  }

  private async view(model: LoggedModelEntity, experiment?: ExperimentEntity): Promise<LoggedModelView> {
    const owner = experiment ?? (await this.experiments.requireById(model.experiment_id));
    const ids = [model.model_id];
    const [tags, params, metrics] = await Promise.all([this.models.tagsOf(ids), this.models.paramsOf(ids), this.models.metricsOf(ids)]);
    return {
      model,
      experimentPublicId: owner.public_id,
      tags: tags.map(({ key, value }) => ({ key, value })),
      params: params.map(({ key, value }) => ({ key, value })),
      metrics,
    };
  }
}
