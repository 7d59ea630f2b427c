import { CallHandler, CanActivate, ExecutionContext, ForbiddenException, NestInterceptor } from '@nestjs/common';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import { factories } from '../support/factories.js';
import { startTestApp, TestApp } from '../support/test-app.js';

/**
 * Metric writes go straight to their route, past Express's scan of the route table
 * (src/http/hot-write-lane.ts), with or without an Idempotency-Key: these tests send each
 * request both ways (without a key, and with one, which the idempotency interceptor handles)
 * and expect the same answer.
 */
describe('the hot write lane answers exactly as the normal path does', () => {
  let server: TestApp;
  let make: ReturnType<typeof factories>;
  let key = 0;

  beforeAll(async () => {
    server = await startTestApp({ authType: 'api_key', apiKeys: ['lane-key-1-0123456789'], maxJsonBodySize: 64 * 1024, maxBatchPoints: 5 });
    make = factories(server.http, { Authorization: 'Bearer lane-key-1-0123456789' });
  });
  afterAll(() => server.close());

  /** The same request without an Idempotency-Key and with one. */
  async function bothWays(path: string, body: string, headers: Record<string, string> = {}) {
    const send = (extra: Record<string, string>) => {
      const request = server.http().post(path).set('Content-Type', 'application/json').set(headers).set(extra);
      return request.send(body);
    };
    const hot = await send({});
    const normal = await send({ 'Idempotency-Key': `lane-${++key}` });
    return { hot, normal };
  }

  const bearer = { Authorization: 'Bearer lane-key-1-0123456789' };

  it.each([
    ['a v1 point', (run: string) => `/api/v1/runs/${run}/metrics`, '{"key":"loss","step":1,"value":0.5,"timestamp":1700000000000}'],
    [
      'a v1 batch',
      (run: string) => `/api/v1/runs/${run}/metrics/batch`,
      '{"metrics":[{"key":"loss","step":2,"value":0.25,"timestamp":1700000000000}]}',
    ],
    ['an MLflow log-metric', () => '/api/2.0/mlflow/runs/log-metric', 'MLFLOW_METRIC'],
    ['an MLflow log-batch', () => '/api/2.0/mlflow/runs/log-batch', 'MLFLOW_BATCH'],
  ])('succeeds the same way for %s', async (_what, pathOf, template) => {
    const run = await make.runningRun();
    const body =
      template === 'MLFLOW_METRIC'
        ? JSON.stringify({ run_id: run.id, key: 'loss', value: 0.5, timestamp: 1, step: 1 })
        : template === 'MLFLOW_BATCH'
          ? JSON.stringify({ run_id: run.id, metrics: [{ key: 'loss', value: 'NaN', timestamp: 1, step: 1 }] })
          : template;
    const { hot, normal } = await bothWays(pathOf(run.id), body, bearer);
    expect(hot.status).toBe(normal.status);
    expect(hot.body).toEqual(normal.body);
    expect(hot.headers['content-type']).toMatch(/^application\/json/);
    expect(hot.headers['x-request-id']).toEqual(expect.any(String));
  });

  it.each([
    ['no API key', {}, '{"key":"loss","step":1,"value":1}'],
    ['a wrong API key', { Authorization: 'Bearer nope' }, '{"key":"loss","step":1,"value":1}'],
    ['malformed JSON', bearer, '{"key":'],
    ['an invalid point', bearer, '{"key":"loss","step":-1,"value":1}'],
    ['an unknown field', bearer, '{"key":"loss","step":1,"value":1,"extra":true}'],
    ['a non-object body', bearer, '[1,2]'],
    ['a bare JSON string', bearer, '"loss"'],
    ['an empty body', bearer, ''],
    ['a body that is not the gzip it claims to be', { ...bearer, 'Content-Encoding': 'gzip' }, '{"key":"loss","step":1,"value":1}'],
  ])('fails the same way for %s', async (_what, headers, body) => {
    const run = await make.runningRun();
    const { hot, normal } = await bothWays(`/api/v1/runs/${run.id}/metrics`, body, headers);
    expect(hot.status).toBeGreaterThanOrEqual(400);
    expect({ status: hot.status, body: hot.body, challenge: hot.headers['www-authenticate'] }).toEqual({
      status: normal.status,
      body: normal.body,
      challenge: normal.headers['www-authenticate'],
    });
  });

  it('reads a gzip-compressed body as the normal path does, and stores its points', async () => {
    const run = await make.runningRun();
    // fetch rather than supertest, which re-encodes a Buffer body sent as application/json.
    const send = async (step: number, extra: Record<string, string>) => {
      const response = await fetch(`${server.url}/api/v1/runs/${run.id}/metrics/batch`, {
        method: 'POST',
        headers: { ...bearer, ...extra, 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' },
        body: gzipSync(JSON.stringify({ metrics: [{ key: 'zipped', step, value: step / 10, timestamp: 1700000000000 }] })),
      });
      return { status: response.status, body: await response.json() };
    };
    const hot = await send(1, {});
    const normal = await send(2, { 'Idempotency-Key': `lane-${++key}` });
    expect(hot).toEqual({ status: 201, body: normal.body });
    expect(normal.status).toBe(201);
    const stored = await server.http().get(`/api/v1/runs/${run.id}/metrics?key=zipped`).set(bearer).expect(200);
    expect((stored.body.metrics as { step: number }[]).map((point) => point.step)).toEqual([1, 2]);
  });

  it('fails the same way for an unknown run, a batch over the point limit and a body over the size limit', async () => {
    const missing = await bothWays('/api/v1/runs/run-missing/metrics/batch', '{"metrics":[]}', bearer);
    expect(missing.hot.status).toBe(404);
    expect(missing.hot.body).toEqual(missing.normal.body);
    const run = await make.runningRun();
    const six = JSON.stringify({ metrics: Array.from({ length: 6 }, (_, step) => ({ key: 'loss', step, value: 1 })) });
    const tooMany = await bothWays(`/api/v1/runs/${run.id}/metrics/batch`, six, bearer);
    expect(tooMany.hot.status).toBe(413);
    expect(tooMany.hot.body).toEqual(tooMany.normal.body);
    const huge = JSON.stringify({ metrics: [{ key: 'x'.repeat(70 * 1024), step: 1, value: 1 }] });
    const tooBig = await bothWays(`/api/v1/runs/${run.id}/metrics/batch`, huge, bearer);
    expect(tooBig.hot.status).toBe(413);
    expect(tooBig.hot.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(tooBig.normal.status).toBe(413);
    // And nothing of those was stored.
    const stored = await server.http().get(`/api/v1/runs/${run.id}/metrics?key=loss`).set(bearer).expect(200);
    expect(stored.body.metrics).toEqual([]);
  });

  it('echoes a sane incoming x-request-id, as the normal path does', async () => {
    const run = await make.runningRun();
    const response = await server
      .http()
      .post(`/api/v1/runs/${run.id}/metrics`)
      .set(bearer)
      .set('x-request-id', 'trace-123')
      .send({ key: 'loss', step: 1, value: 1 })
      .expect(201);
    expect(response.headers['x-request-id']).toBe('trace-123');
  });
});

describe('the hot write lane with CORS on', () => {
  it('answers cross-origin writes with the CORS headers', async () => {
    const server = await startTestApp({ cors: true });
    try {
      const run = await factories(server.http).runningRun();
      const response = await server
        .http()
        .post(`/api/v1/runs/${run.id}/metrics`)
        .set('Origin', 'https://dash.example')
        .send({ key: 'loss', step: 1, value: 1 })
        .expect(201);
      expect(response.headers['access-control-allow-origin']).toBe('https://dash.example');
    } finally {
      await server.close();
    }
  });

  it('adds the CORS headers to writes without an Origin too (Vary: Origin keeps caches apart), as the normal path does', async () => {
    const server = await startTestApp({ cors: true });
    try {
      const run = await factories(server.http).runningRun();
      const response = await server.http().post(`/api/v1/runs/${run.id}/metrics`).send({ key: 'loss', step: 1, value: 1 }).expect(201);
      expect(response.headers.vary).toBe('Origin');
      expect(response.headers['access-control-expose-headers']).toContain('x-request-id');
    } finally {
      await server.close();
    }
  });
});

/**
 * Parity: one table of bad requests, sent to every route the lane serves on a server with the
 * lane and on one without it (--disable-hot-write-lane, so every request takes the normal
 * path), must get the same status and the same body.
 */
describe('the hot write lane and the normal path give bad requests the same answer', () => {
  const KEY = 'parity-key-0123456789';
  let withLane: TestApp;
  let withoutLane: TestApp;
  const runs = new Map<TestApp, string>();

  beforeAll(async () => {
    const settings = { authType: 'api_key' as const, apiKeys: [KEY], maxJsonBodySize: 64 * 1024, maxBatchPoints: 5, authFailureLimit: 0 };
    withLane = await startTestApp(settings);
    withoutLane = await startTestApp({ ...settings, disableHotWriteLane: true });
    for (const server of [withLane, withoutLane]) {
      runs.set(server, (await factories(server.http, { Authorization: `Bearer ${KEY}` }).runningRun()).id);
    }
  });
  afterAll(async () => {
    await withLane.close();
    await withoutLane.close();
  });

  const bearer = { Authorization: `Bearer ${KEY}` };
  const RUN = '<run>';
  /** The four routes the lane serves; `<run>` becomes each server's own running run. */
  const routes = [
    { name: 'v1 point', path: `/api/v1/runs/${RUN}/metrics`, valid: '{"key":"loss","step":1,"value":1}' },
    { name: 'v1 batch', path: `/api/v1/runs/${RUN}/metrics/batch`, valid: '{"metrics":[{"key":"loss","step":1,"value":1}]}' },
    {
      name: 'MLflow log-metric',
      path: '/api/2.0/mlflow/runs/log-metric',
      valid: `{"run_id":"${RUN}","key":"loss","value":1,"timestamp":1,"step":1}`,
    },
    { name: 'MLflow log-batch', path: '/ajax-api/2.0/mlflow/runs/log-batch', valid: `{"run_id":"${RUN}","metrics":[]}` },
  ];
  interface BadRequest {
    what: string;
    /** The Authorization header to send instead of the valid key; null sends none. */
    authorization?: string | null;
    headers?: Record<string, string>;
    /** The body; `VALID` is the route's own valid body. */
    body: string | Buffer;
    /** Replaces the run id in the path (v1 routes) or the body (MLflow routes). */
    run?: string;
  }
  const deep = '['.repeat(5000) + ']'.repeat(5000);
  const table: BadRequest[] = [
    { what: 'no key and a malformed body', authorization: null, body: '{"key":' },
    { what: 'no key and a body over the JSON limit', authorization: null, body: 'x'.repeat(70 * 1024) },
    { what: 'a wrong key and a valid body', authorization: 'Bearer wrong-key-0123456789', body: 'VALID' },
    { what: 'Basic with a wrong password', authorization: `Basic ${Buffer.from('u:nope').toString('base64')}`, body: 'VALID' },
    { what: 'malformed JSON', body: '{"key":' },
    { what: 'an empty body', body: '' },
    { what: 'a JSON array', body: '[1,2]' },
    { what: 'a bare JSON string', body: '"loss"' },
    { what: 'a JSON number', body: '3' },
    { what: 'JSON null', body: 'null' },
    { what: 'an unknown field', body: '{"key":"loss","step":1,"value":1,"extra":true,"run_id":"x","metrics":[]}' },
    { what: 'a NUL in a string', body: '{"key":"lo\\u0000ss","step":1,"value":1,"run_id":"r\\u0000"}' },
    { what: 'a lone surrogate', body: '{"key":"\\ud800","step":1,"value":1,"run_id":"\\ud800"}' },
    { what: 'bytes that are not UTF-8', body: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]) },
    { what: 'nesting 5,000 levels deep', body: `{"metrics":${deep},"key":${deep}}` },
    { what: 'a body over the JSON limit', body: JSON.stringify({ key: 'x'.repeat(70 * 1024), metrics: [], run_id: 'x' }) },
    { what: 'a gzip body that is not gzip', headers: { 'Content-Encoding': 'gzip' }, body: 'VALID' },
    { what: 'an unsupported content encoding', headers: { 'Content-Encoding': 'compress' }, body: 'VALID' },
    { what: 'a malformed %-escape in the run id', body: 'VALID', run: 'run-%zz' },
    { what: 'an encoded NUL in the run id', body: 'VALID', run: 'run%00' },
    { what: 'an unknown run', body: 'VALID', run: 'run-does-not-exist' },
  ];
  const cases = routes.flatMap((route) => table.map((bad) => [`${route.name}: ${bad.what}`, route, bad] as const));

  async function send(server: TestApp, route: (typeof routes)[number], bad: BadRequest) {
    const runId = runs.get(server) ?? '';
    const isV1 = route.path.includes(RUN);
    const pathRun = isV1 ? (bad.run ?? runId) : runId;
    const bodyRun = isV1 ? runId : (bad.run ?? runId);
    const body = bad.body === 'VALID' ? route.valid.replace(RUN, bodyRun) : bad.body;
    const encoded = typeof body === 'string' ? Buffer.from(body) : body;
    // fetch, not supertest, so bytes go out exactly as written.
    const response = await fetch(`${server.url}${route.path.replace(RUN, pathRun)}`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        ...(bad.authorization === undefined ? bearer : bad.authorization === null ? {} : { Authorization: bad.authorization }),
        ...bad.headers,
      },
      body: encoded,
    });
    const text = await response.text();
    return { status: response.status, body: text.replaceAll(runId, RUN), challenge: response.headers.get('www-authenticate') };
  }

  it.each(cases)('%s', async (_name, route, bad) => {
    const lane = await send(withLane, route, bad);
    const normal = await send(withoutLane, route, bad);
    expect(lane.status).toBeGreaterThanOrEqual(400);
    expect(lane.status).toBeLessThan(500);
    expect(lane).toEqual(normal);
  });

  it('stored none of those points on either server', async () => {
    for (const server of [withLane, withoutLane]) {
      const stored = await server
        .http()
        .get(`/api/v1/runs/${runs.get(server)}/metrics`)
        .set(bearer)
        .expect(200);
      expect(stored.body.metrics).toEqual([]);
    }
  });
});

/**
 * The lane is the normal route table's handler, not a copy: a guard and an interceptor added to
 * the app (app.useGlobalGuards / useGlobalInterceptors) apply to the requests the lane takes,
 * and idempotent writes (the TypeScript client sends an Idempotency-Key with every write) take
 * the lane with the idempotency service's semantics unchanged. The lane's own counter on
 * /metrics shows which requests it took.
 */
describe('the hot write lane runs the app’s guards, interceptors and idempotency', () => {
  const KEY = 'guard-key-0123456789';
  const bearer = { Authorization: `Bearer ${KEY}` };
  /** What the dummy guard saw, per server: `METHOD path`. */
  const guarded = new Map<TestApp, string[]>();
  let withLane: TestApp;
  let withoutLane: TestApp;
  const runs = new Map<TestApp, string>();

  async function startWithGuard(disableHotWriteLane: boolean): Promise<TestApp> {
    const seen: string[] = [];
    const guard: CanActivate = {
      canActivate(context: ExecutionContext) {
        const request = context.switchToHttp().getRequest<IncomingMessage>();
        seen.push(`${request.method} ${request.url}`);
        if (request.headers['x-test-refuse'] !== undefined) {
          throw new ForbiddenException('refused by the test guard');
        }
        return true;
      },
    };
    const interceptor: NestInterceptor = {
      intercept(context: ExecutionContext, next: CallHandler) {
        context.switchToHttp().getResponse<ServerResponse>().setHeader('x-test-intercepted', context.getHandler().name);
        return next.handle();
      },
    };
    const server = await startTestApp(
      { authType: 'api_key', apiKeys: [KEY], disableHotWriteLane },
      {
        configure: (app) => {
          app.useGlobalGuards(guard);
          app.useGlobalInterceptors(interceptor);
        },
      },
    );
    guarded.set(server, seen);
    return server;
  }

  beforeAll(async () => {
    withLane = await startWithGuard(false);
    withoutLane = await startWithGuard(true);
    for (const server of [withLane, withoutLane]) {
      runs.set(server, (await factories(server.http, bearer).runningRun()).id);
    }
  });
  afterAll(async () => {
    await withLane.close();
    await withoutLane.close();
  });

  /** The lane's count of the requests it took for `route`, from /metrics. */
  async function laneCount(server: TestApp, route: string): Promise<number> {
    const text = (await server.http().get('/metrics').set(bearer).expect(200)).text;
    const line = text.split('\n').find((candidate) => candidate.startsWith(`entrenar_hot_write_lane_requests_total{route="${route}"}`));
    return line === undefined ? 0 : Number(line.split(' ').pop());
  }

  const writes = [
    {
      route: '/api/v1/runs/:runId/metrics',
      path: (run: string) => `/api/v1/runs/${run}/metrics`,
      body: () => ({ key: 'g', step: 1, value: 1 }),
    },
    {
      route: '/api/v1/runs/:runId/metrics/batch',
      path: (run: string) => `/api/v1/runs/${run}/metrics/batch`,
      body: () => ({ metrics: [{ key: 'g', step: 2, value: 1 }] }),
    },
    {
      route: '/api/2.0/mlflow/runs/log-metric',
      path: () => '/api/2.0/mlflow/runs/log-metric',
      body: (run: string) => ({ run_id: run, key: 'g', value: 1, timestamp: 1, step: 3 }),
    },
    {
      route: '/ajax-api/2.0/mlflow/runs/log-batch',
      path: () => '/ajax-api/2.0/mlflow/runs/log-batch',
      body: (run: string) => ({ run_id: run, metrics: [] }),
    },
  ];

  it.each(writes)(
    'applies the global guard and interceptor to $route on the lane, as on the normal path',
    async ({ route, path, body }) => {
      const answers = [];
      for (const server of [withLane, withoutLane]) {
        const run = runs.get(server) ?? '';
        const lanesBefore = await laneCount(server, route);
        guarded.get(server)?.splice(0);
        const allowed = await server.http().post(path(run)).set(bearer).send(body(run));
        const refused = await server.http().post(path(run)).set(bearer).set('x-test-refuse', '1').send(body(run));
        expect(guarded.get(server)).toEqual([`POST ${path(run)}`, `POST ${path(run)}`]);
        expect(allowed.status).toBeLessThan(300);
        expect(allowed.headers['x-test-intercepted']).toEqual(expect.any(String));
        expect(refused.status).toBeGreaterThanOrEqual(400);
        expect(refused.status).toBeLessThan(500);
        expect(refused.text).toContain('refused by the test guard');
        expect(await laneCount(server, route)).toBe(lanesBefore + (server === withLane ? 2 : 0));
        answers.push({ allowed: [allowed.status, allowed.headers['x-test-intercepted']], refused: [refused.status, refused.body] });
      }
      expect(answers[0]).toEqual(answers[1]);
    },
  );

  it('takes idempotent writes on the lane: a replay gets the stored answer, a reused key with another body is refused', async () => {
    const route = '/api/v1/runs/:runId/metrics';
    const outcomes = [];
    for (const server of [withLane, withoutLane]) {
      const run = runs.get(server) ?? '';
      const lanesBefore = await laneCount(server, route);
      const send = (step: number) =>
        server
          .http()
          .post(`/api/v1/runs/${run}/metrics`)
          .set(bearer)
          .set('Idempotency-Key', 'idem-lane-1')
          .send({ key: 'idem', step, value: 0.5, timestamp: 1700000000000 });
      const first = await send(1);
      const replay = await send(1);
      const conflict = await send(2);
      expect(first.status).toBe(201);
      expect(first.headers['idempotent-replayed']).toBeUndefined();
      expect(replay.status).toBe(201);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.body).toEqual(first.body);
      expect(conflict.status).toBe(409);
      expect(await laneCount(server, route)).toBe(lanesBefore + (server === withLane ? 3 : 0));
      const stored = await server.http().get(`/api/v1/runs/${run}/metrics?key=idem`).set(bearer).expect(200);
      expect((stored.body.metrics as { step: number }[]).map((point) => point.step)).toEqual([1]);
      outcomes.push([first.body, replay.body, conflict.body]);
    }
    expect(outcomes[0]).toEqual(outcomes[1]);
  });
});

/**
 * Parity of the whole answer: the lane writes JSON responses itself (src/http/hot-write-lane.ts,
 * `leanJson`) and runs the app's middleware without Express's router, so every header (name,
 * case, order, value), the status and the body must be what the normal path sends: for the four
 * routes, with and without an Origin (CORS on) and an Idempotency-Key, for a write that succeeds
 * and one that fails.
 */
describe('the hot write lane sends the same status, headers and body as the normal path', () => {
  let withLane: TestApp;
  let withoutLane: TestApp;
  const runs = new Map<TestApp, string>();

  beforeAll(async () => {
    withLane = await startTestApp({ cors: true });
    withoutLane = await startTestApp({ cors: true, disableHotWriteLane: true });
    for (const server of [withLane, withoutLane]) {
      runs.set(server, (await factories(server.http).runningRun()).id);
    }
  });
  afterAll(async () => {
    await withLane.close();
    await withoutLane.close();
  });

  const RUN = '<run>';
  const routes = [
    { name: 'v1 point', path: `/api/v1/runs/${RUN}/metrics`, body: '{"key":"h","step":1,"value":1,"timestamp":1700000000000}' },
    {
      name: 'v1 batch',
      path: `/api/v1/runs/${RUN}/metrics/batch`,
      body: '{"metrics":[{"key":"h","step":1,"value":1,"timestamp":1700000000000}]}',
    },
    {
      name: 'MLflow log-metric',
      path: '/api/2.0/mlflow/runs/log-metric',
      body: `{"run_id":"${RUN}","key":"h","value":1,"timestamp":1,"step":1}`,
    },
    {
      name: 'MLflow log-batch',
      path: '/api/2.0/mlflow/runs/log-batch',
      body: `{"run_id":"${RUN}","metrics":[{"key":"h","value":1,"timestamp":1,"step":1}]}`,
    },
  ];
  const variants = [
    { what: 'a write', headers: {} },
    { what: 'a cross-origin write', headers: { Origin: 'https://app.example' } },
    { what: 'an idempotent write', headers: { 'Idempotency-Key': 'KEY' } },
    { what: 'a write to an unknown run', headers: {}, run: 'run-does-not-exist' },
    { what: 'a cross-origin write to an unknown run', headers: { Origin: 'https://app.example' }, run: 'run-does-not-exist' },
  ];
  const cases = routes.flatMap((route) => variants.map((variant) => [`${route.name}: ${variant.what}`, route, variant] as const));
  let keys = 0;

  /** The answer as sent: status, raw headers in order (Date and X-Request-Id values blanked), body. */
  function send(server: TestApp, path: string, body: string, headers: Record<string, string>) {
    return new Promise<{ status: number; headers: string[]; body: string }>((resolve, reject) => {
      const request = http.request(
        `${server.url}${path}`,
        { method: 'POST', headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), ...headers } },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            const raw = response.rawHeaders.map((value, index) =>
              index % 2 === 1 && /^(date|x-request-id)$/i.test(response.rawHeaders[index - 1]) ? '<varies>' : value,
            );
            resolve({ status: response.statusCode ?? 0, headers: raw, body: Buffer.concat(chunks).toString('utf8') });
          });
        },
      );
      request.on('error', reject);
      request.end(body);
    });
  }

  it.each(cases)('%s', async (_name, route, variant) => {
    const answers = [];
    const key = `parity-${++keys}`;
    for (const server of [withLane, withoutLane]) {
      const runId = runs.get(server) ?? '';
      const run = variant.run ?? runId;
      const headers = Object.fromEntries(Object.entries(variant.headers).map(([name, value]) => [name, value === 'KEY' ? key : value]));
      const answer = await send(server, route.path.replace(RUN, run), route.body.replace(RUN, run), headers);
      answers.push({ ...answer, body: answer.body.replaceAll(runId, RUN) });
    }
    expect(answers[0].status).toBe(variant.run === undefined ? (route.name.startsWith('v1') ? 201 : 200) : 404);
    expect(answers[0].headers).toContain('application/json; charset=utf-8');
    expect(answers[0]).toEqual(answers[1]);
  });
});
