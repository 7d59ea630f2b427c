import { Injectable } from '@nestjs/common';
import { InvalidRequestError } from '../../common/errors.js';
import { keyProblem } from '../../common/validation.js';
import { ExperimentEntity } from '../experiments/entities/experiment.entity.js';
import { DEFAULT_EXPERIMENT_ID, ExperimentsService } from '../experiments/experiments.service.js';
import { StoredPoint } from '../metrics/metric.store.js';
import { metricValueJson } from '../metrics/metric-value-json.js';
import { encodeHistoryCursor, MetricsService } from '../metrics/metrics.service.js';
import { LoggedModelsService, ModelMetricPoint } from '../logged-models/logged-models.service.js';
import { MAX_PARAM_VALUE_LENGTH } from '../params/dto/param.dto.js';
import { ParamsService } from '../params/params.service.js';
import { RunBatchService } from '../run-batch/run-batch.service.js';
import { MAX_RUN_NAME_LENGTH } from '../runs/dto/run.dto.js';
import { RunEntity } from '../runs/entities/run.entity.js';
import { DatasetInput } from '../runs/run-input.repository.js';
import { RUN_NAME_TAG, RunsService } from '../runs/runs.service.js';
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
import { MlflowRunDataStore } from './mlflow-run-data.store.js';
import { inMlflowTerms } from './mlflow-errors.js';
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
const MAX_SEARCH_RESULTS = 50_000;
const MAX_BULK_RUNS = 100;
const MAX_BULK_INTERVAL_RESULTS = 2500;
/** The UI's get-history-bulk: at most this many points in one answer (mlflow/server/handlers.py). */
const MAX_BULK_HISTORY_RESULTS = 25_000;
const USER_TAG = 'mlflow.user';

function checkKey(kind: string, key: string): void {
  const problem = keyProblem(key);
  if (problem) {
    throw new InvalidRequestError(`Invalid ${kind} name: '${key}': ${problem}`);
  }
}

/** A tag within MLflow's limits (key rules, value length); also the rule for logged models' tags. */
export function checkTag(tag: MlflowTag): void {
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

/** A param within MLflow's limits (key rules, value length); also the rule for logged models' params. */
export function checkParam(param: MlflowTag): void {
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

/** The points that name a logged model (`model_id`, MLflow 3), with their dataset, for that model. */
function modelPointsOf(rawMetrics: readonly MlflowFields[], points: readonly StoredPoint[]): ModelMetricPoint[] {
  const modelPoints: ModelMetricPoint[] = [];
  rawMetrics.forEach((raw, index) => {
    const modelId = optionalString(raw, 'model_id');
    if (modelId) {
      const point = points[index];
      modelPoints.push({
        modelId,
        key: point.key,
        value: point.isNan ? NaN : point.value,
        timestamp: point.timestamp,
        step: point.step,
        datasetName: optionalString(raw, 'dataset_name') || undefined,
        datasetDigest: optionalString(raw, 'dataset_digest') || undefined,
      });
    }
  });
  return modelPoints;
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

export function parseParam(fields: MlflowFields): MlflowTag {
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

/** MLflow's run, metric and param endpoints: MLflow's requests to the domain services, their results to MLflow's JSON. */
@Injectable()
export class MlflowRunsService {
  constructor(
    private readonly runsService: RunsService,
    private readonly experimentsService: ExperimentsService,
    private readonly paramsService: ParamsService,
    private readonly metricsService: MetricsService,
    private readonly batches: RunBatchService,
    private readonly history: MlflowHistoryRepository,
    private readonly runData: MlflowRunDataStore,
    private readonly loggedModels: LoggedModelsService,
  ) {}

  async create(fields: MlflowFields): Promise<{ run: MlflowRun }> {
    const experiment = await this.experimentsService.require(optionalString(fields, 'experiment_id') || DEFAULT_EXPERIMENT_ID);
    const tags = tagList(fields);
    tags.forEach(checkTag);
    const runName = optionalString(fields, 'run_name') || undefined;
    const taggedName = tags.findLast((tag) => tag.key === RUN_NAME_TAG)?.value;
    if (runName !== undefined && taggedName !== undefined && runName !== taggedName) {
      throw new InvalidRequestError(
        `Both 'run_name' (${runName}) and the tag '${RUN_NAME_TAG}' (${taggedName}) were given and they differ`,
      );
    }
    const name = runName ?? taggedName;
    if (name !== undefined && name.length > MAX_RUN_NAME_LENGTH) {
      throw new InvalidRequestError(`run_name: must be at most ${MAX_RUN_NAME_LENGTH} characters`);
    }
    const userId = optionalString(fields, 'user_id') || tags.findLast((tag) => tag.key === USER_TAG)?.value || null;
    const startedAt = optionalInt64(fields, 'start_time');
    const created = await inMlflowTerms(this.runsService.createStarted(experiment, { name, userId, startedAt, tags }));
    // A new run holds only its tags: answered from what was written, not read back.
    return { run: runJson(created.run, experiment, { metrics: [], params: [], tags: created.tags, inputs: [] }) };
  }

  async get(fields: MlflowFields): Promise<{ run: MlflowRun }> {
    const run = await this.runsService.require(runIdOf(fields));
    const json = await this.runJsonOf(run);
    const outputs = await this.loggedModels.outputsOf(run.id);
    if (outputs.length > 0) {
      json.outputs = { model_outputs: outputs.map((output) => ({ model_id: output.modelId, step: output.step })) };
    }
    return { run: json };
  }

  /** Sets status, end time and name as given: MLflow's UpdateRun has no transition rules. */
  async update(fields: MlflowFields): Promise<{ run_info: MlflowRunInfo }> {
    const runId = runIdOf(fields);
    const status = optionalEnum<MlflowRunStatus>(fields, 'status', RUN_STATUS_NUMBERS);
    const endTime = optionalInt64(fields, 'end_time');
    const runName = optionalString(fields, 'run_name') || undefined;
    if (runName !== undefined && runName.length > MAX_RUN_NAME_LENGTH) {
      throw new InvalidRequestError(`run_name: must be at most ${MAX_RUN_NAME_LENGTH} characters`);
    }
    const updated = await inMlflowTerms(
      this.runsService.update(runId, { status: status && RUN_STATUS[status], endedAt: endTime, name: runName }),
    );
    return { run_info: runInfoJson(updated, await this.experimentsService.addressOf(updated.experiment_id)) };
  }

  async delete(fields: MlflowFields): Promise<MlflowEmpty> {
    await this.runsService.delete(runIdOf(fields));
    return {};
  }

  async restore(fields: MlflowFields): Promise<MlflowEmpty> {
    await this.runsService.restore(runIdOf(fields));
    return {};
  }

  async logMetric(fields: MlflowFields): Promise<MlflowEmpty> {
    const runId = runIdOf(fields);
    const point = parseMetric(fields, Date.now());
    await inMlflowTerms(this.metricsService.logPoints(runId, [point], 'mlflow'));
    await this.loggedModels.recordMetrics(runId, modelPointsOf([fields], [point]));
    return {};
  }

  async logParam(fields: MlflowFields): Promise<MlflowEmpty> {
    const runId = runIdOf(fields);
    const param = parseParam(fields);
    checkParam(param);
    await inMlflowTerms(this.paramsService.logTextParam(runId, param));
    return {};
  }

  async setTag(fields: MlflowFields): Promise<MlflowEmpty> {
    const runId = runIdOf(fields);
    const tag = { key: requiredString(fields, 'key'), value: optionalString(fields, 'value') ?? '' };
    checkTag(tag);
    await inMlflowTerms(this.runsService.setTags(runId, [tag]));
    return {};
  }

  async deleteTag(fields: MlflowFields): Promise<MlflowEmpty> {
    const runId = runIdOf(fields);
    const key = requiredString(fields, 'key');
    await inMlflowTerms(this.runsService.deleteTag(runId, key));
    return {};
  }

  /** Params, metrics and tags of one request, stored all or nothing (see RunBatchService.logBatch). */
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
    const tags = rawTags.map((tag) => ({ key: requiredString(tag, 'key'), value: optionalString(tag, 'value') ?? '' }));
    tags.forEach(checkTag);
    await inMlflowTerms(this.batches.logBatch(runId, { params, points, tags }, 'mlflow'));
    await this.loggedModels.recordMetrics(runId, modelPointsOf(rawMetrics, points));
    return {};
  }

  async logInputs(fields: MlflowFields): Promise<MlflowEmpty> {
    const datasets = objectList(fields, 'datasets').map(parseDatasetInput);
    await inMlflowTerms(this.runsService.logInputs(runIdOf(fields), datasets));
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
   * MetricStore.historyJson), since building and stringifying a page of points object by
   * object was most of the cost of reading a long history.
   */
  async metricHistoryJson(fields: MlflowFields): Promise<string> {
    const runId = runIdOf(fields);
    const key = requiredString(fields, 'metric_key');
    const maxResults = optionalInt64(fields, 'max_results');
    if (maxResults !== undefined && maxResults < 1) {
      throw new InvalidRequestError(`max_results: must be a positive integer, got ${maxResults}`);
    }
    const pageToken = optionalString(fields, 'page_token') || undefined;
    const page = await this.metricsService.historyJson(runId, key, { pageToken, limit: maxResults });
    if (page === undefined) {
      return '{}';
    }
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
      const seriesId = await this.metricsService.seriesIdOf(runId, key);
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

  /**
   * The UI's get-history-bulk (ajax-api only, outside MLflow's protos): the histories of one key
   * for several runs, each as get-history reads it, runs in id order as MLflow's SQL store
   * answers them (a run named twice counts once), at most `max_results` points in all (default
   * and ceiling 25,000). `metrics` is always there, as MLflow writes this answer by hand.
   */
  async metricHistoryBulk(fields: MlflowFields): Promise<{ metrics: MlflowMetric[] }> {
    const runIds = stringList(fields, 'run_id');
    if (runIds.length === 0) {
      throw new InvalidRequestError('GetMetricHistoryBulk request must specify at least one run_id.');
    }
    if (runIds.length > MAX_BULK_RUNS) {
      throw new InvalidRequestError(
        `GetMetricHistoryBulk request cannot specify more than ${MAX_BULK_RUNS} run_ids. Received ${runIds.length} run_ids.`,
      );
    }
    const key = optionalString(fields, 'metric_key');
    if (key === undefined) {
      throw new InvalidRequestError('GetMetricHistoryBulk request must specify a metric_key.');
    }
    const maxResults = optionalInt64(fields, 'max_results') ?? MAX_BULK_HISTORY_RESULTS;
    if (maxResults < 1) {
      throw new InvalidRequestError(`max_results: must be a positive integer, got ${maxResults}`);
    }
    const limit = Math.min(maxResults, MAX_BULK_HISTORY_RESULTS);
    const metrics: MlflowMetric[] = [];
    for (const runId of [...new Set(runIds)].sort()) {
      if (metrics.length >= limit) {
        break;
      }
      const points = (await this.metricsService.historyPoints(runId, key, limit - metrics.length)) ?? [];
      for (const [step, timestamp, value] of points) {
        metrics.push({ key, value: metricValueJson(value ?? 0, value === null), timestamp, step, run_id: runId });
      }
    }
    return { metrics };
  }

  private async runJsonOf(run: RunEntity, experiment?: ExperimentEntity): Promise<MlflowRun> {
    const [json] = await this.runsJsonOf([run], new Map(experiment ? [[experiment.id, experiment]] : []));
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
