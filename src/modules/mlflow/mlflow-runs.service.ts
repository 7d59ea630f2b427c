import { Injectable } from '@nestjs/common';
import { ConflictError, InvalidRequestError, NotFoundError, ResourceNotFoundError } from '../../common/errors.js';
import { newPublicId } from '../../common/ids.js';
import { keyProblem } from '../../common/validation.js';
import { SqlClient, SqlExecutor } from '../../database/sql-client.js';
import { ExperimentEntity } from '../experiments/entities/experiment.entity.js';
import { ExperimentsService } from '../experiments/experiments.service.js';
import { ChangeFeedService } from '../live/change-feed.service.js';
import { ChangeKind } from '../live/run-change.js';
import { MetricRepository, StoredPoint } from '../metrics/metric.repository.js';
import { metricValueJson } from '../metrics/metric-value-json.js';
import { decodeHistoryCursor, encodeHistoryCursor, metricKeysOf } from '../metrics/metrics.service.js';
import { MAX_PARAM_VALUE_LENGTH } from '../params/dto/param.dto.js';
import { ParamRepository } from '../params/param.repository.js';
import { RunEntity } from '../runs/entities/run.entity.js';
import { DatasetInput, RunInputRepository } from '../runs/run-input.repository.js';
import { randomRunName } from '../runs/run-names.js';
import { RunRepository } from '../runs/run.repository.js';
import { RunsService } from '../runs/runs.service.js';
import { TelemetryService } from '../telemetry/telemetry.service.js';
import {
  MlflowEmpty,
  MlflowMetric,
  MlflowRun,
  MlflowRunInfo,
  MlflowRunStatus,
  MlflowTag,
  MlflowViewType,
  RUN_STATUS_NUMBERS,
  VIEW_TYPE_NUMBERS,
} from './dto/mlflow.dto.js';
import { MlflowHistoryRepository } from './mlflow-history.repository.js';
import { MlflowRunDataRepository } from './mlflow-run-data.repository.js';
import { nonEmpty, RUN_STATUS, runInfoJson, runJson } from './mlflow-json.js';
import {
  MlflowFields,
  objectList,
  optionalEnum,
  optionalInt64,
  optionalString,
  requiredDouble,
  requiredString,
  runIdOf,
  stringList,
  tagList,
} from './mlflow-request.js';

/** MLflow's limits (mlflow/utils/validation.py), so a server that enforces them takes normal client traffic. */
const MAX_BATCH_METRICS = 1000;
const MAX_BATCH_PARAMS = 100;
const MAX_BATCH_TAGS = 100;
const MAX_BATCH_ENTITIES = 1000;
const MAX_TAG_VALUE_LENGTH = 8000;
const MAX_RUN_NAME_LENGTH = 250;
const MAX_SEARCH_RESULTS = 50_000;
const MAX_BULK_RUNS = 100;
const MAX_BULK_INTERVAL_RESULTS = 2500;
const RUN_NAME_TAG = 'mlflow.runName';
const USER_TAG = 'mlflow.user';

function checkKey(kind: string, key: string): void {
  const problem = keyProblem(key);
  if (problem) {
    throw new InvalidRequestError(`Invalid ${kind} name: '${key}': ${problem}`);
  }
}

function checkTag(tag: MlflowTag): void {
  checkKey('tag', tag.key);
  if (tag.value.length > MAX_TAG_VALUE_LENGTH) {
    throw new InvalidRequestError(`Tag '${tag.key}': value must be at most ${MAX_TAG_VALUE_LENGTH} characters, got ${tag.value.length}`);
  }
  // The tag is the run's name: it obeys the name's limit.
  if (tag.key === RUN_NAME_TAG && tag.value.length > MAX_RUN_NAME_LENGTH) {
    throw new InvalidRequestError(
      `Tag '${RUN_NAME_TAG}' (the run name): must be at most ${MAX_RUN_NAME_LENGTH} characters, got ${tag.value.length}`,
    );
  }
}

function checkParam(param: MlflowTag): void {
  checkKey('parameter', param.key);
  if (param.value.length > MAX_PARAM_VALUE_LENGTH) {
    throw new InvalidRequestError(
      `Param '${param.key}': value must be at most ${MAX_PARAM_VALUE_LENGTH} characters, got ${param.value.length}`,
    );
  }
}

/** One metric of log-metric or log-batch: NaN and ±Infinity allowed, timestamp defaulting to now. */
function parseMetric(fields: MlflowFields, now: number): StoredPoint {
  const key = requiredString(fields, 'key');
  checkKey('metric', key);
  const value = requiredDouble(fields, 'value', `value of metric '${key}'`);
  const timestamp = optionalInt64(fields, 'timestamp') ?? now;
  if (timestamp < 0) {
    throw new InvalidRequestError(`Metric '${key}': timestamp must be ≥ 0, got ${timestamp}`);
  }
  const step = optionalInt64(fields, 'step') ?? 0;
  const isNan = Number.isNaN(value);
  return { key, step, timestamp, value: isNan ? 0 : value, isNan };
}

/**
 * At most `limit` of the indices 0..count-1, spread evenly and in order: the first and the last
 * are always among them (with a limit of 1, only the last: where the series ended).
 */
export function evenlySpacedIndices(count: number, limit: number): number[] {
  if (count <= limit) {
    return Array.from({ length: count }, (_unused, index) => index);
  }
  if (limit <= 1) {
    return count > 0 && limit === 1 ? [count - 1] : [];
  }
  // The spacing is at least 1 when count > limit, so rounding never repeats an index.
  const spacing = (count - 1) / (limit - 1);
  return Array.from({ length: limit }, (_unused, slot) => Math.round(slot * spacing));
}

function parseParam(fields: MlflowFields): MlflowTag {
  const key = requiredString(fields, 'key');
  const raw = fields.value;
  // The proto field is a string; a client that sends a number or boolean means its text.
  const value = typeof raw === 'number' || typeof raw === 'boolean' ? String(raw) : (optionalString(fields, 'value') ?? '');
  return { key, value };
}

/** MLflow's limits on dataset inputs (mlflow/utils/validation.py `_validate_dataset_inputs`). */
const DATASET_FIELD_LIMITS: Readonly<Record<'name' | 'digest' | 'source' | 'schema' | 'profile', number>> = {
  name: 500,
  digest: 36,
  source: 65_535,
  schema: 1_048_575,
  profile: 16_777_215,
};
const MAX_INPUT_TAG_KEY_LENGTH = 255;
const MAX_INPUT_TAG_VALUE_LENGTH = 500;

function checkLength(what: string, value: string | null, limit: number): void {
  if (value !== null && value.length > limit) {
    throw new InvalidRequestError(`${what}: must be at most ${limit} characters, got ${value.length}`);
  }
}

/** One entry of log-inputs' `datasets`: a dataset and its input tags, within MLflow's limits. */
function parseDatasetInput(input: MlflowFields): DatasetInput {
  const dataset = input.dataset;
  if (dataset === null || typeof dataset !== 'object' || Array.isArray(dataset)) {
    throw new InvalidRequestError("Missing value for required parameter 'datasets.dataset'");
  }
  const fieldsOf = dataset as MlflowFields;
  const parsed: DatasetInput = {
    dataset: {
      name: requiredString(fieldsOf, 'name'),
      digest: requiredString(fieldsOf, 'digest'),
      source_type: requiredString(fieldsOf, 'source_type'),
      source: requiredString(fieldsOf, 'source'),
      schema: optionalString(fieldsOf, 'schema') ?? null,
      profile: optionalString(fieldsOf, 'profile') ?? null,
    },
    tags: tagList(input),
  };
  for (const [field, limit] of Object.entries(DATASET_FIELD_LIMITS) as [keyof typeof DATASET_FIELD_LIMITS, number][]) {
    checkLength(`Dataset ${field}`, parsed.dataset[field], limit);
  }
  for (const tag of parsed.tags) {
    checkLength('Input tag key', tag.key, MAX_INPUT_TAG_KEY_LENGTH);
    checkLength(`Input tag '${tag.key}' value`, tag.value, MAX_INPUT_TAG_VALUE_LENGTH);
  }
  return parsed;
}

/** What a log-batch changed: metrics, params, tags, and the status (the name) when it sets `mlflow.runName`. */
function batchChangeKinds(points: number, params: number, tags: readonly MlflowTag[]): ChangeKind[] {
  const kinds: ChangeKind[] = [];
  if (points > 0) {
    kinds.push('metrics');
  }
  if (params > 0) {
    kinds.push('params');
  }
  if (tags.length > 0) {
    kinds.push('tags');
  }
  if (tags.some((tag) => tag.key === RUN_NAME_TAG)) {
    kinds.push('status');
  }
  return kinds;
}

interface RunContext {
  run: RunEntity;
  experiment: ExperimentEntity;
}

/** MLflow's run, metric and param endpoints over our runs: the same rows /api/v1 shows. */
@Injectable()
export class MlflowRunsService {
  constructor(
    private readonly sql: SqlClient,
    private readonly runs: RunRepository,
    private readonly runsService: RunsService,
    private readonly experimentsService: ExperimentsService,
    private readonly params: ParamRepository,
    private readonly metrics: MetricRepository,
    private readonly inputs: RunInputRepository,
    private readonly history: MlflowHistoryRepository,
    private readonly runData: MlflowRunDataRepository,
    private readonly telemetry: TelemetryService,
    private readonly changes: ChangeFeedService,
  ) {}

  async create(fields: MlflowFields): Promise<{ run: MlflowRun }> {
    const experiment = await this.experimentsService.require(optionalString(fields, 'experiment_id') || '0');
    if (experiment.lifecycle_stage !== 'active') {
      throw new InvalidRequestError(`The experiment ${experiment.public_id} must be in the 'active' state to create runs in it`);
    }
    const tags = tagList(fields);
    tags.forEach(checkTag);
    const runName = optionalString(fields, 'run_name') || undefined;
    const taggedName = tags.findLast((tag) => tag.key === RUN_NAME_TAG)?.value;
    if (runName !== undefined && taggedName !== undefined && runName !== taggedName) {
      throw new InvalidRequestError(
        `Both 'run_name' (${runName}) and the tag '${RUN_NAME_TAG}' (${taggedName}) were given and they differ`,
      );
    }
    const name = runName ?? taggedName ?? randomRunName();
    if (name.length > MAX_RUN_NAME_LENGTH) {
      throw new InvalidRequestError(`run_name: must be at most ${MAX_RUN_NAME_LENGTH} characters`);
    }
    const userId = optionalString(fields, 'user_id') || tags.findLast((tag) => tag.key === USER_TAG)?.value || null;
    const now = Date.now();
    const startTime = optionalInt64(fields, 'start_time') ?? now;
    const run = await this.sql.transaction(async (tx) => {
      const created = await this.runs.insert(
        {
          public_id: newPublicId('run'),
          experiment_id: experiment.id,
          name,
          status: 'running',
          status_reason: null,
          lifecycle_stage: 'active',
          user_id: userId,
          created_at: now,
          started_at: startTime,
          ended_at: null,
          updated_at: now,
          deleted_at: null,
          last_activity_at: now,
        },
        tx,
      );
      await this.runs.upsertTags(created.id, [...tags.filter((tag) => tag.key !== RUN_NAME_TAG), { key: RUN_NAME_TAG, value: name }], tx);
      return created;
    });
    this.changes.runChanged(run, ['created']);
    return { run: await this.runJsonOf({ run, experiment }) };
  }

  async get(fields: MlflowFields): Promise<{ run: MlflowRun }> {
    return { run: await this.runJsonOf(await this.context(runIdOf(fields))) };
  }

  /** Sets status, end time and name as given: MLflow's UpdateRun has no transition rules. */
  async update(fields: MlflowFields): Promise<{ run_info: MlflowRunInfo }> {
    const { run, experiment } = await this.writableContext(runIdOf(fields));
    const status = optionalEnum<MlflowRunStatus>(fields, 'status', RUN_STATUS_NUMBERS);
    const endTime = optionalInt64(fields, 'end_time');
    const runName = optionalString(fields, 'run_name') || undefined;
    if (runName !== undefined && runName.length > MAX_RUN_NAME_LENGTH) {
      throw new InvalidRequestError(`run_name: must be at most ${MAX_RUN_NAME_LENGTH} characters`);
    }
    await this.sql.transaction(async (tx) => {
      await this.runs.update(run.id, { status: status && RUN_STATUS[status], endedAt: endTime, name: runName, at: Date.now() }, tx);
      if (runName !== undefined) {
        await this.runs.upsertTags(run.id, [{ key: RUN_NAME_TAG, value: runName }], tx);
      }
    });
    this.changes.runChanged(run, runName === undefined ? ['status'] : ['status', 'tags']);
    const updated = await this.runs.findByPublicId(run.public_id);
    return { run_info: runInfoJson(updated ?? run, experiment) };
  }

  async delete(fields: MlflowFields): Promise<MlflowEmpty> {
    const { run } = await this.context(runIdOf(fields));
    await this.runs.setLifecycle(run.id, 'deleted', Date.now());
    this.changes.runChanged(run, ['deleted']);
    return {};
  }

  async restore(fields: MlflowFields): Promise<MlflowEmpty> {
    const { run } = await this.context(runIdOf(fields));
    await this.runs.setLifecycle(run.id, 'active', Date.now());
    // Back in the lists, as if created: pages add it again.
    this.changes.runChanged(run, ['created']);
    return {};
  }

  async logMetric(fields: MlflowFields): Promise<MlflowEmpty> {
    const target = await this.runsService.requireWritable(runIdOf(fields));
    const point = parseMetric(fields, Date.now());
    await this.metrics.appendPoints(target.id, [point]);
    this.telemetry.countMetricPoints('mlflow', 1);
    this.changes.runChanged(target, ['metrics'], [point.key]);
    return {};
  }

  async logParam(fields: MlflowFields): Promise<MlflowEmpty> {
    const runId = runIdOf(fields);
    const param = parseParam(fields);
    checkParam(param);
    const target = await this.runsService.requireWritable(runId);
    await this.sql.transaction((tx) => this.storeParams(target.id, runId, [param], tx));
    this.changes.runChanged(target, ['params']);
    return {};
  }

  async setTag(fields: MlflowFields): Promise<MlflowEmpty> {
    const runId = runIdOf(fields);
    const tag = { key: requiredString(fields, 'key'), value: optionalString(fields, 'value') ?? '' };
    checkTag(tag);
    const target = await this.runsService.requireWritable(runId);
    await this.sql.transaction((tx) => this.storeTags(target.id, [tag], tx));
    this.changes.runChanged(target, tag.key === RUN_NAME_TAG ? ['tags', 'status'] : ['tags']);
    return {};
  }

  async deleteTag(fields: MlflowFields): Promise<MlflowEmpty> {
    const runId = runIdOf(fields);
    const key = requiredString(fields, 'key');
    const target = await this.runsService.requireWritable(runId);
    if (!(await this.runs.deleteTag(target.id, key))) {
      throw new ResourceNotFoundError(`No tag with name: ${key} in run with id ${runId}`);
    }
    this.changes.runChanged(target, ['tags']);
    return {};
  }

  /**
   * Params, metrics and tags of one request in one transaction: unlike MLflow's server, a
   * batch that fails stores nothing, so a client's retry cannot meet half a batch.
   */
  async logBatch(fields: MlflowFields): Promise<MlflowEmpty> {
    const runId = runIdOf(fields);
    const rawMetrics = objectList(fields, 'metrics');
    const rawParams = objectList(fields, 'params');
    const rawTags = objectList(fields, 'tags');
    if (rawMetrics.length > MAX_BATCH_METRICS || rawParams.length > MAX_BATCH_PARAMS || rawTags.length > MAX_BATCH_TAGS) {
      throw new InvalidRequestError(
        `A batch logging request can contain at most ${MAX_BATCH_METRICS} metrics, ${MAX_BATCH_PARAMS} params and ${MAX_BATCH_TAGS} tags; ` +
          `got ${rawMetrics.length} metrics, ${rawParams.length} params and ${rawTags.length} tags`,
      );
    }
    if (rawMetrics.length + rawParams.length + rawTags.length > MAX_BATCH_ENTITIES) {
      throw new InvalidRequestError(`A batch logging request can contain at most ${MAX_BATCH_ENTITIES} metrics, params and tags in total`);
    }
    const now = Date.now();
    const points = rawMetrics.map((metric) => parseMetric(metric, now));
    const params = rawParams.map(parseParam);
    params.forEach(checkParam);
    const seen = new Set<string>();
    for (const param of params) {
      if (seen.has(param.key)) {
        throw new InvalidRequestError(`Duplicate parameter keys have been submitted: '${param.key}'`);
      }
      seen.add(param.key);
    }
    const tags = rawTags.map((tag) => ({ key: requiredString(tag, 'key'), value: optionalString(tag, 'value') ?? '' }));
    tags.forEach(checkTag);
    const target = await this.runsService.requireWritable(runId);
    if (params.length === 0 && tags.length === 0) {
      // Metrics only, the training loop's usual batch: the append is atomic on its own, and
      // without an outer transaction it takes the faster synchronous path.
      await this.metrics.appendPoints(target.id, points);
      this.telemetry.countMetricPoints('mlflow', points.length);
      if (points.length > 0) {
        this.changes.runChanged(target, ['metrics'], metricKeysOf(points));
      }
      return {};
    }
    await this.sql.transaction(async (tx) => {
      await this.storeParams(target.id, runId, params, tx);
      await this.metrics.appendPoints(target.id, points, tx);
      await this.storeTags(target.id, tags, tx);
    });
    this.telemetry.countMetricPoints('mlflow', points.length);
    this.changes.runChanged(target, batchChangeKinds(points.length, params.length, tags), metricKeysOf(points));
    return {};
  }

  async logInputs(fields: MlflowFields): Promise<MlflowEmpty> {
    const datasets = objectList(fields, 'datasets').map(parseDatasetInput);
    const { run } = await this.writableContext(runIdOf(fields));
    await this.inputs.record(run.id, run.experiment_id, datasets, Date.now());
    return {};
  }

  async search(fields: MlflowFields): Promise<{ runs?: MlflowRun[]; next_page_token?: string }> {
    const maxResults = optionalInt64(fields, 'max_results') ?? 1000;
    if (maxResults < 1 || maxResults > MAX_SEARCH_RESULTS) {
      throw new InvalidRequestError(`max_results: must be between 1 and ${MAX_SEARCH_RESULTS}, got ${maxResults}`);
    }
    const page = await this.runsService.searchRuns({
      experimentIds: stringList(fields, 'experiment_ids'),
      filter: optionalString(fields, 'filter') || undefined,
      orderBy: stringList(fields, 'order_by'),
      viewType: optionalEnum<MlflowViewType>(fields, 'run_view_type', VIEW_TYPE_NUMBERS) ?? 'ACTIVE_ONLY',
      maxResults,
      pageToken: optionalString(fields, 'page_token') || undefined,
    });
    return { runs: nonEmpty(await this.runsJsonOf(page.runs)), next_page_token: page.nextPageToken };
  }

  /**
   * The whole history (or one page of it) in step order; no max_results means everything. The
   * answer comes back as JSON text: the page is rendered where it is read (see
   * MetricRepository.historyJson), since building and stringifying a page of points object by
   * object was most of the cost of reading a long history.
   */
  async metricHistoryJson(fields: MlflowFields): Promise<string> {
    const runId = runIdOf(fields);
    const key = requiredString(fields, 'metric_key');
    const maxResults = optionalInt64(fields, 'max_results');
    if (maxResults !== undefined && maxResults < 1) {
      throw new InvalidRequestError(`max_results: must be a positive integer, got ${maxResults}`);
    }
    const target = await this.runsService.requireReadable(runId);
    const after = decodeHistoryCursor(optionalString(fields, 'page_token') || undefined);
    const seriesId = await this.metrics.seriesIdOf(target.id, key);
    if (seriesId === undefined) {
      return '{}';
    }
    const page = await this.metrics.historyJson(seriesId, key, { after, limit: maxResults });
    const parts: string[] = [];
    if (page.count > 0) {
      parts.push(`"metrics":[${page.items}]`);
    }
    if (page.last) {
      parts.push(`"next_page_token":${JSON.stringify(encodeHistoryCursor(page.last))}`);
    }
    return `{${parts.join(',')}}`;
  }

  /**
   * Histories of one key for several runs, each thinned to at most `max_results` points spread
   * evenly over its steps (first and last kept), as MLflow's UI asks for charts.
   */
  async metricHistoryBulkInterval(fields: MlflowFields): Promise<{ metrics?: MlflowMetric[] }> {
    const runIds = stringList(fields, 'run_ids');
    const key = requiredString(fields, 'metric_key');
    if (runIds.length === 0) {
      throw new InvalidRequestError("Missing value for required parameter 'run_ids'.");
    }
    if (runIds.length > MAX_BULK_RUNS) {
      throw new InvalidRequestError(`run_ids: at most ${MAX_BULK_RUNS} runs, got ${runIds.length}`);
    }
    const startStep = optionalInt64(fields, 'start_step');
    const endStep = optionalInt64(fields, 'end_step');
    if ((startStep === undefined) !== (endStep === undefined)) {
      throw new InvalidRequestError('start_step and end_step must be given together');
    }
    if (startStep !== undefined && endStep !== undefined && startStep > endStep) {
      throw new InvalidRequestError(`start_step (${startStep}) must not be greater than end_step (${endStep})`);
    }
    const maxResults = optionalInt64(fields, 'max_results') ?? MAX_BULK_INTERVAL_RESULTS;
    if (maxResults < 1 || maxResults > MAX_BULK_INTERVAL_RESULTS) {
      throw new InvalidRequestError(`max_results: must be between 1 and ${MAX_BULK_INTERVAL_RESULTS}, got ${maxResults}`);
    }
    const metrics: MlflowMetric[] = [];
    for (const runId of runIds) {
      const target = await this.runsService.requireReadable(runId);
      const seriesId = await this.metrics.seriesIdOf(target.id, key);
      if (seriesId === undefined) {
        continue;
      }
      const range = { startStep, endStep };
      const positions = evenlySpacedIndices(await this.history.countPoints(seriesId, range), maxResults);
      for (const [step, timestamp, value] of await this.history.pointsAt(seriesId, range, positions)) {
        metrics.push({ key, value: metricValueJson(value ?? 0, value === null), timestamp, step, run_id: runId });
      }
    }
    return { metrics: nonEmpty(metrics) };
  }

  /** Write-once params; MLflow clients only know strings, so equal text is the same value. */
  private async storeParams(runId: number, runPublicId: string, params: readonly MlflowTag[], tx: SqlExecutor): Promise<void> {
    for (const param of params) {
      const { stored } = await this.params.insertOrGet({ run_id: runId, key: param.key, value: param.value, value_type: 'string' }, tx);
      if (stored.value !== param.value) {
        throw new ConflictError(
          `Changing param values is not allowed. Param with key='${param.key}' was already logged with value='${stored.value}' ` +
            `for run ID='${runPublicId}'. Attempted logging new value '${param.value}'.`,
          'INVALID_PARAMETER_VALUE',
        );
      }
    }
  }

  /** Tags, keeping the run's name in step with `mlflow.runName`. */
  private async storeTags(runId: number, tags: readonly MlflowTag[], tx: SqlExecutor): Promise<void> {
    if (tags.length === 0) {
      return;
    }
    await this.runs.upsertTags(runId, tags, tx);
    const name = tags.findLast((tag) => tag.key === RUN_NAME_TAG)?.value;
    if (name !== undefined && name !== '') {
      await this.runs.update(runId, { name, at: Date.now() }, tx);
    }
  }

  private async context(runPublicId: string): Promise<RunContext> {
    const run = await this.runs.findByPublicId(runPublicId);
    if (!run) {
      throw new NotFoundError('Run', runPublicId);
    }
    const experiment = await this.experimentsService.requireById(run.experiment_id);
    return { run, experiment };
  }

  private async writableContext(runPublicId: string): Promise<RunContext> {
    const context = await this.context(runPublicId);
    if (context.run.lifecycle_stage !== 'active') {
      throw new InvalidRequestError(
        `The run ${runPublicId} must be in the 'active' state. Current state is ${context.run.lifecycle_stage}.`,
      );
    }
    return context;
  }

  private async runJsonOf(context: RunContext): Promise<MlflowRun> {
    const [json] = await this.runsJsonOf([context.run], new Map([[context.experiment.id, context.experiment]]));
    return json;
  }

  /** Runs with their data (params, tags, latest metrics, inputs), read for all of them at once. */
  private async runsJsonOf(runs: readonly RunEntity[], knownExperiments = new Map<number, ExperimentEntity>()): Promise<MlflowRun[]> {
    const data = await this.runData.dataFor(runs.map((run) => run.id));
    const experiments = new Map(knownExperiments);
    for (const run of runs) {
      if (!experiments.has(run.experiment_id)) {
        experiments.set(run.experiment_id, await this.experimentsService.requireById(run.experiment_id));
      }
    }
    return runs.map((run) =>
      runJson(
        run,
        experiments.get(run.experiment_id) as ExperimentEntity,
        data.get(run.id) ?? { metrics: [], params: [], tags: [], inputs: [] },
      ),
    );
  }
}
