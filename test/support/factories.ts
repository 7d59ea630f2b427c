import { randomBytes } from 'node:crypto';
import type supertest from 'supertest';

/** Unique names so tests never collide, whatever order they run in. */
export function uniqueName(prefix = 'exp'): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

export interface ExperimentBody {
  id: string;
  name: string;
  config: Record<string, unknown> | null;
  lifecycle_stage: string;
  created_at: string;
  updated_at: string;
  run_count: number;
  last_activity_at: string | null;
}

export interface RunBody {
  id: string;
  experiment_id: string;
  name: string;
  status: string;
  status_reason: string | null;
  lifecycle_stage: string;
  created_at: string;
  started_at: string | null;
  ended_at: string | null;
  updated_at: string;
}

type Agent = () => supertest.Agent;

/** Test-data builders over the real HTTP API; each asserts the write succeeded. */
export function factories(http: Agent, headers: Record<string, string> = {}) {
  return {
    async experiment(overrides: { name?: string; config?: Record<string, unknown> } = {}): Promise<ExperimentBody> {
      const response = await http()
        .post('/api/v1/experiments')
        .set(headers)
        .send({ name: uniqueName(), ...overrides })
        .expect(201);
      return response.body as ExperimentBody;
    },
    async run(experimentId?: string, overrides: { name?: string } = {}): Promise<RunBody> {
      const experiment = experimentId ?? (await this.experiment()).id;
      const response = await http()
        .post('/api/v1/runs')
        .set(headers)
        .send({ experiment_id: experiment, ...overrides })
        .expect(201);
      return response.body as RunBody;
    },
    async runningRun(experimentId?: string): Promise<RunBody> {
      const run = await this.run(experimentId);
      const response = await http().post(`/api/v1/runs/${run.id}/start`).set(headers).expect(200);
      return response.body as RunBody;
    },
  };
}

export interface ArtifactUploadBody {
  key: string;
  hash: string;
  size_bytes: number;
}

/** Uploads `bytes` as a multipart artifact (key defaults to the file name) and asserts 201. */
export async function uploadArtifact(
  http: Agent,
  runId: string,
  bytes: Buffer,
  options: { key?: string; fileName?: string; contentType?: string; headers?: Record<string, string> } = {},
): Promise<ArtifactUploadBody> {
  const fileName = options.fileName ?? (options.key ? (options.key.split('/').pop() ?? 'file') : 'file.bin');
  let request = http()
    .post(`/api/v1/runs/${runId}/artifacts`)
    .set(options.headers ?? {});
  if (options.key !== undefined) {
    request = request.field('key', options.key);
  }
  const response = await request
    .attach('file', bytes, { filename: fileName, contentType: options.contentType ?? 'application/octet-stream' })
    .expect(201);
  return response.body as ArtifactUploadBody;
}

export type RunStatusName = 'pending' | 'running' | 'success' | 'failed' | 'cancelled';

/**
 * A new run of `experimentId` brought to `status` through the API, asserting every step:
 * success and failed go through running; cancelled is reached straight from pending.
 */
export async function runInStatus(
  http: Agent,
  experimentId: string,
  status: RunStatusName,
  headers: Record<string, string> = {},
): Promise<RunBody> {
  const created = await http().post('/api/v1/runs').set(headers).send({ experiment_id: experimentId }).expect(201);
  let run = created.body as RunBody;
  if (status === 'pending') {
    return run;
  }
  if (status !== 'cancelled') {
    run = (await http().post(`/api/v1/runs/${run.id}/start`).set(headers).expect(200)).body as RunBody;
    if (status === 'running') {
      return run;
    }
  }
  return (await http().post(`/api/v1/runs/${run.id}/complete`).set(headers).send({ status }).expect(200)).body as RunBody;
}

export interface ListPage<T> {
  items: T[];
  next_page_token?: string;
}

/**
 * Reads a paged list endpoint to its end, `maxResults` at a time, following next_page_token;
 * asserts every page answered 200 and gives up after `maxPages` pages (a token that never ends).
 */
export async function collectPages<T>(
  http: Agent,
  path: string,
  field: string,
  maxResults: number,
  options: { headers?: Record<string, string>; maxPages?: number } = {},
): Promise<{ items: T[]; pages: ListPage<T>[] }> {
  const pages: ListPage<T>[] = [];
  let token: string | undefined;
  do {
    if (pages.length >= (options.maxPages ?? 1000)) {
      throw new Error(`${path}: still a next_page_token after ${pages.length} pages`);
    }
    const query: Record<string, string | number> = { max_results: maxResults };
    if (token !== undefined) {
      query.page_token = token;
    }
    const response = await http()
      .get(path)
      .set(options.headers ?? {})
      .query(query)
      .expect(200);
    const body = response.body as Record<string, unknown>;
    const page: ListPage<T> = { items: body[field] as T[] };
    if (typeof body.next_page_token === 'string') {
      page.next_page_token = body.next_page_token;
    }
    pages.push(page);
    token = page.next_page_token;
  } while (token !== undefined);
  return { items: pages.flatMap((page) => page.items), pages };
}

/** A metric point as the API returns it. */
export interface MetricPointBody {
  key: string;
  step: number;
  value: number | string;
  timestamp: string;
}

/**
 * `count` points of one key on consecutive steps from `firstStep` (default 0), ready to send:
 * value = `value(step)` (default step / 100), timestamp = 1,000,000 + step ms.
 */
export function metricPoints(
  key: string,
  count: number,
  options: { firstStep?: number; value?: (step: number) => number } = {},
): { key: string; step: number; value: number; timestamp: number }[] {
  const first = options.firstStep ?? 0;
  const valueOf = options.value ?? ((step: number) => step / 100);
  return Array.from({ length: count }, (_unused, index) => {
    const step = first + index;
    return { key, step, value: valueOf(step), timestamp: 1_000_000 + step };
  });
}

/** A run parameter as the API returns it. */
export interface ParamBody {
  key: string;
  value: string | number | boolean;
}
