// The workloads of issue #6, spoken in MLflow's REST API (/api/2.0/mlflow/...), which every
// server under test serves, so that one client drives all of them the same way.
import { randomUUID } from 'node:crypto';
import { percentile } from '../support.js';
import { Client, closedLoop, HttpError, LoopStats, timedRepeats } from './http-client.js';
import { DirectDatabase, insertHistory, insertSearchRuns, StepRange } from './mlflow-store.js';
import { MLFLOW_API } from './servers.js';

export interface Settings {
  warmupSeconds: number;
  seconds: number;
  historyPoints: number;
  searchRuns: number;
  readSeconds: number;
  /** Time the API seeding of workloads 4 and 5 may take on a server whose database can be topped up directly. */
  seedSeconds: number;
  ingestionClients: number;
  chattyClients: number;
  churnClients: number;
  seedClients: number;
}

export const BATCH_METRICS = 1000;
const BATCH_KEYS = ['loss', 'accuracy', 'lr', 'grad_norm', 'val_loss', 'val_accuracy', 'tokens_per_s', 'gpu_mem', 'epoch', 'throughput'];
const STEPS_PER_BATCH = BATCH_METRICS / BATCH_KEYS.length;
const HISTORY_KEY = 'loss';
export const HISTORY_PAGE = 25_000;
const CHURN_PARAMS = 10;
const LEARNING_RATES = ['0.1', '0.01', '0.001', '0.0001'];
const OPTIMIZERS = ['adam', 'sgd'];
export const SEARCH_FILTER = "metrics.acc > 0.5 and params.lr = '0.01'";
export const SEARCH_ORDER = 'metrics.acc DESC';
export const SEARCH_PAGE = 100;
export const SERIES_POINTS = 1000;

export interface Throughput {
  perSecond: number;
  operations: number;
  errors: number;
  firstError?: string;
  p50Ms: number;
  p99Ms: number;
}

export interface WorkloadError {
  error: string;
}

export interface IngestionResult extends Throughput {
  metricsPerSecond: number;
}

export interface SeedFigures {
  /** Items (points or runs) stored through the API, and how long that took. */
  viaApi: number;
  seconds: number;
  /** Items inserted straight into the database after BENCH_SEED_SECONDS (MLflow's schema only). */
  direct: number;
}

export interface HistoryResult {
  seed: SeedFigures & { metricsPerSecond: number };
  /** Whole history through the client's paging (max_results=25000 + page_token), median of the reads. */
  allPagesSeconds: number;
  allPagesReads: number;
  pagesPerRead: number;
  pointsPerRead: number;
  /** One request with max_results=25000 (the first page). */
  pageP50Ms: number;
  pageP95Ms: number;
  pageReads: number;
  pagePoints: number;
  notes: string[];
}

export interface SearchResult {
  seed: SeedFigures & { runsPerSecond: number };
  p50Ms: number;
  p95Ms: number;
  calls: number;
  /** The first page equals the expected 100 runs (by their acc values, in order). */
  verified: boolean;
  notes: string[];
}

export interface SeriesResult {
  p50Ms?: number;
  p95Ms?: number;
  calls?: number;
  note?: string;
}

/** A fixed pseudo-random sequence, so every server gets the same data. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

export class MlflowApi {
  constructor(readonly http: Client) {}

  async createExperiment(name: string): Promise<string> {
    const body = await this.http.json<{ experiment_id: string }>('POST', `${MLFLOW_API}/experiments/create`, { name });
    return body.experiment_id;
  }

  async createRun(experimentId: string): Promise<string> {
    const body = await this.http.expectOk(
      'POST',
      `${MLFLOW_API}/runs/create`,
      `{"experiment_id":"${experimentId}","start_time":${Date.now()}}`,
    );
    return (JSON.parse(body) as { run: { info: { run_id: string } } }).run.info.run_id;
  }

  async post(rpc: string, body: string): Promise<void> {
    await this.http.expectOk('POST', `${MLFLOW_API}/${rpc}`, body);
  }
}

/** 1,000 metrics: 100 steps × 10 keys from `firstStep`, as JSON text written directly (cheap for the client). */
function batchBody(runId: string, firstStep: number): string {
  const now = Date.now();
  const parts: string[] = [];
  for (let offset = 0; offset < STEPS_PER_BATCH; offset++) {
    for (const key of BATCH_KEYS) {
      parts.push(`{"key":"${key}","value":${Math.random()},"timestamp":${now},"step":${firstStep + offset}}`);
    }
  }
  return `{"run_id":"${runId}","metrics":[${parts.join(',')}]}`;
}

function throughput(stats: LoopStats, perOperation = 1): Throughput {
  return {
    perSecond: (stats.operations * perOperation) / stats.seconds,
    operations: stats.operations,
    errors: stats.errors,
    firstError: stats.firstError,
    p50Ms: percentile(stats.latenciesMs, 50),
    p99Ms: percentile(stats.latenciesMs, 99),
  };
}

/**
 * Workload 1: runs/log-batch with 1,000 metrics per request from 4 concurrent clients, each on
 * its own run. `runIds` may be fake for the bare HTTP ceiling. Returns the points stored too.
 */
export async function ingestion(api: MlflowApi, settings: Settings, runIds: string[]): Promise<IngestionResult & { pointsSent: number }> {
  const steps = runIds.map(() => 0);
  let pointsSent = 0;
  const stats = await closedLoop(runIds.length, settings.warmupSeconds * 1000, settings.seconds * 1000, async (client) => {
    const body = batchBody(runIds[client], steps[client]);
    steps[client] += STEPS_PER_BATCH;
    await api.post('runs/log-batch', body);
    pointsSent += BATCH_METRICS;
  });
  const result = throughput(stats, BATCH_METRICS);
  return { ...result, metricsPerSecond: result.perSecond, pointsSent };
}

/** Workload 2: runs/log-metric, one point per request, 32 concurrent clients on one run (a key each). */
export async function chatty(api: MlflowApi, settings: Settings, runId: string): Promise<Throughput & { pointsSent: number }> {
  const steps = Array.from({ length: settings.chattyClients }, () => 0);
  let pointsSent = 0;
  const stats = await closedLoop(settings.chattyClients, settings.warmupSeconds * 1000, settings.seconds * 1000, async (client) => {
    const step = steps[client]++;
    await api.post(
      'runs/log-metric',
      `{"run_id":"${runId}","key":"client_${client}","value":${Math.random()},"timestamp":${Date.now()},"step":${step}}`,
    );
    pointsSent += 1;
  });
  return { ...throughput(stats), pointsSent };
}

/**
 * Workload 3: run churn. One operation = runs/create, one runs/log-batch with 10 params (what
 * mlflow.log_params sends), runs/update to FINISHED; 4 concurrent clients.
 */
export async function churn(api: MlflowApi, settings: Settings, experimentId: string): Promise<Throughput> {
  let serial = 0;
  const stats = await closedLoop(settings.churnClients, settings.warmupSeconds * 1000, settings.seconds * 1000, async () => {
    const runId = await api.createRun(experimentId);
    const id = serial++;
    const params = Array.from({ length: CHURN_PARAMS }, (_, index) => `{"key":"param_${index}","value":"value-${id}-${index}"}`);
    await api.post('runs/log-batch', `{"run_id":"${runId}","params":[${params.join(',')}]}`);
    await api.post('runs/update', `{"run_id":"${runId}","status":"FINISHED","end_time":${Date.now()}}`);
  });
  return throughput(stats);
}

/** Counts occurrences of `needle` (cheaper than parsing 25,000 points just to count them). */
function countOccurrences(haystack: string, needle: string): number {
  let count = 0;
  for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, at + needle.length)) {
    count++;
  }
  return count;
}

function nextPageToken(text: string): string | undefined {
  const at = text.lastIndexOf('"next_page_token"');
  if (at === -1) {
    return undefined;
  }
  const match = /^"next_page_token"\s*:\s*"([^"]*)"/.exec(text.slice(at));
  return match && match[1].length > 0 ? match[1] : undefined;
}

/**
 * Runs `work` with `clients` concurrent workers over the items 0..count-1; after `stopAt`
 * (performance.now() time) no new item is started. Returns the items done.
 */
async function parallel(clients: number, count: number, work: (index: number) => Promise<void>, stopAt = Infinity): Promise<Set<number>> {
  let next = 0;
  const done = new Set<number>();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < count && performance.now() < stopAt) {
        const index = next++;
        await work(index);
        done.add(index);
      }
    }),
  );
  return done;
}

/** Contiguous runs of the indices in 0..count-1 that are not in `done`. */
function missingRanges(count: number, done: Set<number>): StepRange[] {
  const ranges: StepRange[] = [];
  for (let index = 0; index < count; index++) {
    if (done.has(index)) {
      continue;
    }
    const last = ranges[ranges.length - 1];
    if (last && last.to === index) {
      last.to = index + 1;
    } else {
      ranges.push({ from: index, to: index + 1 });
    }
  }
  return ranges;
}

/** A server's own database, when the harness may top seed data up in it (see mlflow-store.ts). */
export interface SeedTarget {
  direct?: DirectDatabase;
}

/**
 * Workload 4: a metric of `historyPoints` points (seeded by log-batch, 1,000 per request, 4
 * clients, timed), then reads of one 25,000-point page and of the whole history the way
 * MLflow's client pages it.
 */
export async function history(
  api: MlflowApi,
  settings: Settings,
  runId: string,
  phase: PhaseHook,
  target: SeedTarget,
): Promise<HistoryResult> {
  const notes: string[] = [];
  const base = Date.now();
  const requests = Math.ceil(settings.historyPoints / BATCH_METRICS);
  phase('history-seed', 'start');
  const seedStarted = performance.now();
  const stopAt = target.direct ? seedStarted + settings.seedSeconds * 1000 : Infinity;
  const done = await parallel(
    settings.seedClients,
    requests,
    async (index) => {
      const parts: string[] = [];
      for (let step = index * BATCH_METRICS; step < Math.min(settings.historyPoints, (index + 1) * BATCH_METRICS); step++) {
        // Timestamps grow with the step, so MLflow's (timestamp, step) order is step order too.
        parts.push(`{"key":"${HISTORY_KEY}","value":${Math.random()},"timestamp":${base + step},"step":${step}}`);
      }
      await api.post('runs/log-batch', `{"run_id":"${runId}","metrics":[${parts.join(',')}]}`);
    },
    stopAt,
  );
  const seedSeconds = (performance.now() - seedStarted) / 1000;
  phase('history-seed', 'end');
  const viaApi = Math.min(settings.historyPoints, done.size * BATCH_METRICS);
  let direct = 0;
  if (done.size < requests && target.direct) {
    const ranges = missingRanges(requests, done).map((range) => ({
      from: range.from * BATCH_METRICS,
      to: Math.min(settings.historyPoints, range.to * BATCH_METRICS),
    }));
    direct = await insertHistory(target.direct, runId, HISTORY_KEY, base, ranges);
  }

  const pagePath = (token?: string) =>
    `${MLFLOW_API}/metrics/get-history?run_id=${runId}&metric_key=${HISTORY_KEY}&max_results=${HISTORY_PAGE}` +
    (token ? `&page_token=${encodeURIComponent(token)}` : '');

  // The first page, checked once in full.
  const first = JSON.parse(await api.http.expectOk('GET', pagePath())) as {
    metrics?: { step: string | number }[];
    next_page_token?: string;
  };
  const pagePoints = first.metrics?.length ?? 0;
  if (Number(first.metrics?.[0]?.step) !== 0) {
    notes.push(`history not in step order (its first point has step ${first.metrics?.[0]?.step})`);
  }
  // A server that ignores max_results answers the whole history as "a page": a few reads are
  // enough to show that (the figure is not comparable and the table says so).
  const wholeHistory = pagePoints > HISTORY_PAGE;

  phase('history-page', 'start');
  const pageTimings = await timedRepeats(
    wholeHistory ? 0 : 2,
    wholeHistory ? 1 : 5,
    wholeHistory ? 3 : 200,
    settings.readSeconds * 1000,
    async () => {
      // Timed to the last byte received.
      await api.http.expectOk('GET', pagePath());
    },
  );
  phase('history-page', 'end');

  let pagesPerRead = 0;
  let pointsPerRead = 0;
  phase('history-all', 'start');
  const fullTimings = await timedRepeats(0, 1, 3, settings.readSeconds * 1000, async () => {
    let token: string | undefined;
    let pages = 0;
    let points = 0;
    do {
      const text = await api.http.expectOk('GET', pagePath(token));
      const previous = token;
      token = nextPageToken(text);
      points += countOccurrences(text, '"step"');
      pages++;
      if (token !== undefined && token === previous) {
        throw new Error(`get-history returned the same page token twice (${token})`);
      }
    } while (token !== undefined && pages < 10_000);
    pagesPerRead = pages;
    pointsPerRead = points;
  });
  phase('history-all', 'end');
  if (pointsPerRead !== settings.historyPoints) {
    notes.push(`all pages held ${pointsPerRead.toLocaleString('en-US')} points, not ${settings.historyPoints.toLocaleString('en-US')}`);
  }
  return {
    seed: { viaApi, seconds: seedSeconds, direct, metricsPerSecond: viaApi / seedSeconds },
    allPagesSeconds: percentile(fullTimings, 50) / 1000,
    allPagesReads: fullTimings.length,
    pagesPerRead,
    pointsPerRead,
    pageP50Ms: percentile(pageTimings, 50),
    pageP95Ms: percentile(pageTimings, 95),
    pageReads: pageTimings.length,
    pagePoints,
    notes,
  };
}

interface SearchSeedRun {
  lr: string;
  optimizer: string;
  acc: number;
}

/** The runs workload 5 seeds, the same for every server. */
export function searchRuns(count: number): SearchSeedRun[] {
  const next = random(42);
  return Array.from({ length: count }, () => ({
    lr: LEARNING_RATES[Math.floor(next() * LEARNING_RATES.length)],
    optimizer: OPTIMIZERS[Math.floor(next() * OPTIMIZERS.length)],
    acc: Math.round(next() * 1e6) / 1e6,
  }));
}

/** What the search must return: acc of the first 100 matching runs, best first. */
function expectedSearch(runs: SearchSeedRun[]): number[] {
  return runs
    .filter((run) => run.acc > 0.5 && run.lr === '0.01')
    .map((run) => run.acc)
    .sort((a, b) => b - a)
    .slice(0, SEARCH_PAGE);
}

/**
 * Workload 5: `searchRuns` runs in a fresh experiment (runs/create + one log-batch with params
 * lr and optimizer and metric acc, 4 clients, timed), then runs/search with the filter
 * and order, 100 per page, one client.
 */
export async function search(
  api: MlflowApi,
  settings: Settings,
  phase: PhaseHook,
  target: SeedTarget,
): Promise<SearchResult & { pointsSent: number }> {
  const notes: string[] = [];
  const experimentId = await api.createExperiment(`bench-search-${Date.now()}`);
  const runs = searchRuns(settings.searchRuns);
  phase('search-seed', 'start');
  const seedStarted = performance.now();
  const base = Date.now();
  const stopAt = target.direct ? seedStarted + settings.seedSeconds * 1000 : Infinity;
  let templateRunId: string | undefined;
  const done = await parallel(
    settings.seedClients,
    runs.length,
    async (index) => {
      const run = runs[index];
      const runId = await api.createRun(experimentId);
      await api.post(
        'runs/log-batch',
        `{"run_id":"${runId}","params":[{"key":"lr","value":"${run.lr}"},{"key":"optimizer","value":"${run.optimizer}"}],` +
          `"metrics":[{"key":"acc","value":${run.acc},"timestamp":${base + index},"step":0}]}`,
      );
      templateRunId ??= runId;
    },
    stopAt,
  );
  const seedSeconds = (performance.now() - seedStarted) / 1000;
  phase('search-seed', 'end');
  let direct = 0;
  if (done.size < runs.length && target.direct && templateRunId !== undefined) {
    const rest = runs
      .map((run, index) => ({ ...run, index }))
      .filter((run) => !done.has(run.index))
      .map((run) => ({
        runId: randomUUID().replace(/-/g, ''),
        lr: run.lr,
        optimizer: run.optimizer,
        acc: run.acc,
        timestamp: base + run.index,
      }));
    await insertSearchRuns(target.direct, templateRunId, rest);
    direct = rest.length;
  }

  const body = JSON.stringify({
    experiment_ids: [experimentId],
    filter: SEARCH_FILTER,
    order_by: [SEARCH_ORDER],
    max_results: SEARCH_PAGE,
  });
  const answer = JSON.parse(await api.http.expectOk('POST', `${MLFLOW_API}/runs/search`, body)) as {
    runs?: { data?: { metrics?: { key: string; value: number }[]; params?: { key: string; value: string }[] } }[];
  };
  const got = (answer.runs ?? []).map((run) => Number(run.data?.metrics?.find((metric) => metric.key === 'acc')?.value));
  const expected = expectedSearch(runs);
  const verified = got.length === expected.length && got.every((value, index) => Math.abs(value - expected[index]) < 1e-9);
  if (!verified) {
    notes.push(`first page differs from the expected one (${got.length} runs; first acc ${got[0]} vs ${expected[0]})`);
  }
  phase('search', 'start');
  const timings = await timedRepeats(3, 5, 300, settings.readSeconds * 1000, async () => {
    await api.http.expectOk('POST', `${MLFLOW_API}/runs/search`, body);
  });
  phase('search', 'end');
  return {
    seed: { viaApi: done.size, seconds: seedSeconds, direct, runsPerSecond: done.size / seedSeconds },
    p50Ms: percentile(timings, 50),
    p95Ms: percentile(timings, 95),
    calls: timings.length,
    verified,
    notes,
    pointsSent: runs.length,
  };
}

/** entrenar's chart endpoint on the history metric: N=1000 buckets of the whole series. */
export async function series(http: Client, settings: Settings, runId: string, phase: PhaseHook): Promise<SeriesResult> {
  const path = `/api/v1/runs/${runId}/metrics/${HISTORY_KEY}/series?points=${SERIES_POINTS}`;
  const probe = await http.send('GET', path);
  if (probe.status === 404) {
    return { note: 'n/a (not implemented)' };
  }
  if (probe.status !== 200) {
    throw new HttpError(probe.status, 'GET', path, probe.body.toString('utf8'));
  }
  phase('series', 'start');
  const timings = await timedRepeats(5, 5, 500, settings.readSeconds * 1000, async () => {
    await http.expectOk('GET', path);
  });
  phase('series', 'end');
  return { p50Ms: percentile(timings, 50), p95Ms: percentile(timings, 95), calls: timings.length };
}

/** Called at the start and end of each timed phase (the profiling pass records the times). */
export type PhaseHook = (name: string, edge: 'start' | 'end') => void;
