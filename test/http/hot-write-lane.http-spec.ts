import { gzipSync } from 'node:zlib';
import { factories } from '../support/factories.js';
import { startTestApp, TestApp } from '../support/test-app.js';

/**
 * Metric writes are answered by a short cut past Express and Nest (src/http/hot-write-lane.ts)
 * unless they carry an Idempotency-Key (or come cross-origin): these tests send each request
 * both ways and expect the same answer, so the two paths cannot drift apart.
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

  /** The same request through the lane (no Idempotency-Key) and through Nest (with one). */
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
  it('leaves cross-origin writes to the normal path, which adds the CORS headers', async () => {
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
});
