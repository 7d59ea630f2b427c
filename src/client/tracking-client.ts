import { TrackingError } from './errors.js';
import { backoffDelay, DEFAULT_RETRY, retryAfterMs, RetryPolicy, sleep } from './retry.js';
import type {
  Artifact,
  CompletionStatus,
  Experiment,
  MetricPoint,
  Page,
  PageOptions,
  Param,
  ParamValue,
  Run,
  StoredMetricPoint,
} from './types.js';
import { RunLogger, TrackRunOptions } from './run-logger.js';

export interface TrackingClientOptions {
  /** Sent as `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Per attempt; default 30 s. */
  timeoutMs?: number;
  /** Retries of transient failures; `{ maxAttempts: 1 }` turns them off. */
  retry?: Partial<RetryPolicy>;
  /** A fetch to use instead of the global one (tests, proxies). */
  fetch?: typeof fetch;
}

/** Bytes to upload: anything fetch accepts as a body that can be sent again on a retry, or a stream (sent once). */
export type UploadSource = Blob | ArrayBuffer | Uint8Array | string | ReadableStream<Uint8Array>;

interface RequestOptions {
  query?: Record<string, string | number | undefined>;
  json?: unknown;
  body?: UploadSource;
  contentType?: string;
  /** POST/PUT writes carry one Idempotency-Key for all their attempts, so a retry is never applied twice. */
  idempotencyKey?: string;
  /** When set, the response is returned as is (downloads). */
  raw?: boolean;
  signal?: AbortSignal;
}

function newIdempotencyKey(): string {
  return globalThis.crypto.randomUUID();
}

function encodeKey(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}

function isReplayable(body: UploadSource | undefined): boolean {
  return !(typeof ReadableStream !== 'undefined' && body instanceof ReadableStream);
}

/**
 * The client of entrenar-tracking's /api/v1, for Node 22.12+ and browsers, with nothing but the
 * platform's fetch. Every write carries an Idempotency-Key that stays the same across retries,
 * so retried requests are never stored twice. Transient failures (network errors, timeouts,
 * 429 honouring Retry-After, 502/503/504) are retried with exponential backoff and jitter.
 *
 *     const client = new TrackingClient('http://localhost:5000', { apiKey });
 *     const exp = await client.createExperiment('my-experiment');
 */
export class TrackingClient {
  readonly baseUrl: string;
  private readonly apiKey?: string;
  private readonly timeoutMs: number;
  private readonly retry: RetryPolicy;
  private readonly fetchImpl: typeof fetch;

  constructor(baseUrl: string, options: TrackingClientOptions = {}) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.apiKey = options.apiKey;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  // Experiments

  createExperiment(name: string, config?: Record<string, unknown>): Promise<Experiment> {
    return this.write<Experiment>('POST', '/api/v1/experiments', { name, ...(config === undefined ? {} : { config }) });
  }

  getExperiment(id: string): Promise<Experiment> {
    return this.read<Experiment>(`/api/v1/experiments/${encodeURIComponent(id)}`);
  }

  /** One page of active experiments, newest first; `name` finds the one with that exact name. */
  async listExperiments(options: PageOptions & { name?: string } = {}): Promise<Page<Experiment>> {
    const page = await this.read<{ experiments: Experiment[]; next_page_token?: string }>('/api/v1/experiments', {
      max_results: options.maxResults,
      page_token: options.pageToken,
      name: options.name,
    });
    return { items: page.experiments, nextPageToken: page.next_page_token };
  }

  // Runs

  createRun(experimentId: string, options: { name?: string } = {}): Promise<Run> {
    return this.write<Run>('POST', '/api/v1/runs', {
      experiment_id: experimentId,
      ...(options.name === undefined ? {} : { name: options.name }),
    });
  }

  startRun(runId: string): Promise<Run> {
    return this.write<Run>('POST', `/api/v1/runs/${encodeURIComponent(runId)}/start`, {});
  }

  completeRun(runId: string, status: CompletionStatus, reason?: string): Promise<Run> {
    return this.write<Run>('POST', `/api/v1/runs/${encodeURIComponent(runId)}/complete`, {
      status,
      ...(reason === undefined ? {} : { reason }),
    });
  }

  getRun(runId: string): Promise<Run> {
    return this.read<Run>(`/api/v1/runs/${encodeURIComponent(runId)}`);
  }

  /** One page of an experiment's active runs, newest first. */
  async listRuns(experimentId: string, options: PageOptions = {}): Promise<Page<Run>> {
    const page = await this.read<{ runs: Run[]; next_page_token?: string }>(
      `/api/v1/experiments/${encodeURIComponent(experimentId)}/runs`,
      {
        max_results: options.maxResults,
        page_token: options.pageToken,
      },
    );
    return { items: page.runs, nextPageToken: page.next_page_token };
  }

  /** Tells the server a running run is alive (any write does the same). */
  async heartbeat(runId: string): Promise<void> {
    await this.write<unknown>('POST', `/api/v1/runs/${encodeURIComponent(runId)}/heartbeat`, {});
  }

  // Metrics and params

  logMetric(runId: string, key: string, step: number, value: number, timestamp?: string | number): Promise<StoredMetricPoint> {
    return this.write<StoredMetricPoint>('POST', `/api/v1/runs/${encodeURIComponent(runId)}/metrics`, {
      key,
      step,
      value,
      ...(timestamp === undefined ? {} : { timestamp }),
    });
  }

  /** Stores all points or none; the whole batch is one idempotent write. */
  async logMetrics(runId: string, points: readonly MetricPoint[], idempotencyKey?: string): Promise<{ accepted: number }> {
    return this.write<{ accepted: number }>(
      'POST',
      `/api/v1/runs/${encodeURIComponent(runId)}/metrics/batch`,
      { metrics: points },
      idempotencyKey,
    );
  }

  /** With `key`, a page of that metric's history in step order; without, the latest point of every key. */
  async getMetrics(
    runId: string,
    options: PageOptions & { key?: string; startStep?: number; endStep?: number } = {},
  ): Promise<Page<StoredMetricPoint>> {
    const page = await this.read<{ metrics: StoredMetricPoint[]; next_page_token?: string }>(
      `/api/v1/runs/${encodeURIComponent(runId)}/metrics`,
      {
        key: options.key,
        start_step: options.startStep,
        end_step: options.endStep,
        max_results: options.maxResults,
        page_token: options.pageToken,
      },
    );
    return { items: page.metrics, nextPageToken: page.next_page_token };
  }

  logParam(runId: string, key: string, value: ParamValue): Promise<Param> {
    return this.write<Param>('POST', `/api/v1/runs/${encodeURIComponent(runId)}/params`, { key, value });
  }

  async getParams(runId: string, options: PageOptions = {}): Promise<Page<Param>> {
    const page = await this.read<{ params: Param[]; next_page_token?: string }>(`/api/v1/runs/${encodeURIComponent(runId)}/params`, {
      max_results: options.maxResults,
      page_token: options.pageToken,
    });
    return { items: page.params, nextPageToken: page.next_page_token };
  }

  // Artifacts

  /**
   * Uploads bytes as the run's artifact `key` (a `/` makes folders), streamed as the body of a
   * PUT. A Blob, buffer or string is retried on transient failures; a ReadableStream is sent once.
   * For files on disk in Node, see `uploadArtifactFile` in `entrenar-tracking/client/node`.
   */
  uploadArtifact(
    runId: string,
    key: string,
    source: UploadSource,
    options: { contentType?: string; overwrite?: boolean } = {},
  ): Promise<Artifact> {
    return this.request<Artifact>('PUT', `/api/v1/runs/${encodeURIComponent(runId)}/artifacts/${encodeKey(key)}`, {
      body: source,
      contentType: options.contentType ?? 'application/octet-stream',
      query: options.overwrite ? { overwrite: 'true' } : undefined,
      idempotencyKey: newIdempotencyKey(),
    });
  }

  /** The artifact's bytes as a stream (the response body), with its size when the server sent one. */
  async downloadArtifact(
    runId: string,
    key: string,
  ): Promise<{ body: ReadableStream<Uint8Array>; sizeBytes?: number; contentType?: string }> {
    const response = await this.request<Response>('GET', `/api/v1/runs/${encodeURIComponent(runId)}/artifacts/${encodeKey(key)}`, {
      raw: true,
    });
    const length = response.headers.get('content-length');
    if (!response.body) {
      throw new TrackingError(
        'INTERNAL_ERROR',
        'the server sent no body',
        response.status,
        response.headers.get('x-request-id') ?? undefined,
      );
    }
    return {
      body: response.body,
      sizeBytes: length === null ? undefined : Number(length),
      contentType: response.headers.get('content-type') ?? undefined,
    };
  }

  async listArtifacts(runId: string, options: PageOptions = {}): Promise<Page<Artifact>> {
    const page = await this.read<{ artifacts: Artifact[]; next_page_token?: string }>(
      `/api/v1/runs/${encodeURIComponent(runId)}/artifacts`,
      {
        max_results: options.maxResults,
        page_token: options.pageToken,
      },
    );
    return { items: page.artifacts, nextPageToken: page.next_page_token };
  }

  // Training integration

  /**
   * Creates (or reuses) the experiment, creates and starts a run, logs `params`, and returns a
   * logger for the training loop: `log()` never blocks or throws; points go out in background
   * batches; `finish()` flushes and completes the run.
   */
  trackRun(options: TrackRunOptions): Promise<RunLogger> {
    return RunLogger.start(this, options);
  }

  /** The experiment with this name, created if there is none. */
  async ensureExperiment(name: string, config?: Record<string, unknown>): Promise<Experiment> {
    const found = await this.listExperiments({ name, maxResults: 1 });
    if (found.items.length > 0) {
      return found.items[0];
    }
    try {
      return await this.createExperiment(name, config);
    } catch (error) {
      // Someone else created it in between.
      if (error instanceof TrackingError && error.code === 'CONFLICT') {
        const again = await this.listExperiments({ name, maxResults: 1 });
        if (again.items.length > 0) {
          return again.items[0];
        }
      }
      throw error;
    }
  }

  // Transport

  private read<T>(path: string, query?: Record<string, string | number | undefined>): Promise<T> {
    return this.request<T>('GET', path, { query });
  }

  private write<T>(method: 'POST' | 'PUT', path: string, json: unknown, idempotencyKey: string = newIdempotencyKey()): Promise<T> {
    return this.request<T>(method, path, { json, idempotencyKey });
  }

  private async request<T>(method: string, path: string, options: RequestOptions): Promise<T> {
    const url = new URL(this.baseUrl + path);
    for (const [name, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) {
        url.searchParams.set(name, String(value));
      }
    }
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (this.apiKey) {
      headers.Authorization = `Bearer ${this.apiKey}`;
    }
    if (options.idempotencyKey) {
      headers['Idempotency-Key'] = options.idempotencyKey;
    }
    let body: RequestInit['body'];
    if (options.json !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(options.json);
    } else if (options.body !== undefined) {
      headers['Content-Type'] = options.contentType ?? 'application/octet-stream';
      body = options.body as RequestInit['body'];
    }
    const attempts = isReplayable(options.body) ? this.retry.maxAttempts : 1;
    for (let attempt = 1; ; attempt++) {
      const timeout = new AbortController();
      const timer = setTimeout(() => timeout.abort(), this.timeoutMs);
      let failure: TrackingError;
      let waitMs: number | undefined;
      try {
        const init: RequestInit & { duplex?: 'half' } = { method, headers, body, signal: timeout.signal };
        if (body instanceof ReadableStream) {
          init.duplex = 'half';
        }
        const response = await this.fetchImpl(url, init);
        if (response.ok) {
          if (options.raw) {
            return response as T;
          }
          const text = await response.text();
          return (text === '' ? {} : JSON.parse(text)) as T;
        }
        failure = await errorOf(response);
        waitMs = response.status === 429 ? retryAfterMs(response.headers.get('retry-after')) : undefined;
      } catch (error) {
        if (error instanceof TrackingError) {
          throw error;
        }
        failure = timeout.signal.aborted
          ? new TrackingError('TIMEOUT', `${method} ${path} took longer than ${this.timeoutMs} ms`, 0)
          : new TrackingError('NETWORK_ERROR', `${method} ${path} failed: ${error instanceof Error ? error.message : String(error)}`, 0);
      } finally {
        clearTimeout(timer);
      }
      if (!failure.transient || attempt >= attempts) {
        throw failure;
      }
      await sleep(Math.min(this.retry.maxDelayMs, waitMs ?? backoffDelay(this.retry, attempt)));
    }
  }
}

async function errorOf(response: Response): Promise<TrackingError> {
  const requestId = response.headers.get('x-request-id') ?? undefined;
  const text = await response.text().catch(() => '');
  try {
    const parsed = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    if (parsed.error && typeof parsed.error.code === 'string') {
      return new TrackingError(
        parsed.error.code,
        typeof parsed.error.message === 'string' ? parsed.error.message : '',
        response.status,
        requestId,
      );
    }
  } catch {
    // not our envelope: a proxy's page, for instance
  }
  return new TrackingError(`HTTP_${response.status}`, text.slice(0, 200) || response.statusText, response.status, requestId);
}
