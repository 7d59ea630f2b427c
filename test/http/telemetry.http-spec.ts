import { binaryPayload, bytesParser, eventually } from '../support/artifacts.js';
import { testDatabaseKind } from '../support/database.js';
import { factories, RunBody, uniqueName, uploadArtifact } from '../support/factories.js';
import { Exposition, parseExposition, sampleValue, samplesOf } from '../support/prometheus.js';
import { startTestApp, TestApp } from '../support/test-app.js';

type Scrape = Exposition & { text: string };

const REQUESTS = 'entrenar_http_requests_total';
const DURATIONS = 'entrenar_http_request_duration_seconds';
const POINTS = 'entrenar_metric_points_ingested_total';
const RECEIVED = 'entrenar_artifact_received_bytes_total';
const SENT = 'entrenar_artifact_sent_bytes_total';

async function scrapeOf(server: TestApp, headers: Record<string, string> = {}): Promise<Scrape> {
  const response = await server.http().get('/metrics').set(headers).expect(200);
  expect(response.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
  return { ...parseExposition(response.text), text: response.text };
}

const requestCount = (scrape: Exposition, labels: Record<string, string>) => sampleValue(scrape, REQUESTS, labels);
const durationCount = (scrape: Exposition, labels: Record<string, string>) => sampleValue(scrape, `${DURATIONS}_count`, labels);

const point = (step: number) => ({ key: 'loss', step, value: 1 / step, timestamp: 1_700_000_000_000 + step });
const mlflowPoint = (step: number) => ({ key: 'loss', value: 1 / step, timestamp: 1_700_000_000_000 + step, step });

describe('GET /metrics: Prometheus metrics of the server', () => {
  let server: TestApp;
  let make: ReturnType<typeof factories>;

  beforeAll(async () => {
    server = await startTestApp();
    make = factories(server.http);
  });
  afterAll(() => server.close());

  const scrape = () => scrapeOf(server);
  /**
   * A request is counted when its answer has finished on the server, which can be just after the
   * client has read it: scrape again until `ready` holds (or give up after 3 s), then assert.
   */
  const scrapeUntil = (ready: (scrape: Scrape) => boolean) => eventually(scrape, ready);

  const postJson = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    server.http().post(path).set('Content-Type', 'application/json').set(headers).send(JSON.stringify(body));
  const idempotent = () => ({ 'Idempotency-Key': uniqueName('key') });

  it('answers in the text exposition format: every line a comment or a well-formed sample of a typed family', async () => {
    const run = await make.runningRun();
    await postJson(`/api/v1/runs/${run.id}/metrics/batch`, { metrics: [point(1)] }).expect(201);
    const scraped = await scrape();
    expect(scraped.invalidLines).toEqual([]);
    expect(scraped.samples.length).toBeGreaterThan(20);
    expect(scraped.types.get(REQUESTS)).toBe('counter');
    expect(scraped.types.get(DURATIONS)).toBe('histogram');
    expect(scraped.types.get(POINTS)).toBe('counter');
    expect(scraped.types.get(RECEIVED)).toBe('counter');
    expect(scraped.types.get(SENT)).toBe('counter');
  });

  it("keeps Node's process metrics, event-loop lag among them", async () => {
    const scraped = await scrape();
    for (const name of [
      'nodejs_eventloop_lag_seconds',
      'nodejs_eventloop_lag_p99_seconds',
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_heap_size_used_bytes',
    ]) {
      expect(samplesOf(scraped, name)).toHaveLength(1);
    }
    expect(sampleValue(scraped, 'process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  it('counts metric points by API, exactly, with and without an Idempotency-Key', async () => {
    const run = await make.runningRun();
    const v1 = (scraped: Exposition) => sampleValue(scraped, POINTS, { api: 'v1' });
    const mlflow = (scraped: Exposition) => sampleValue(scraped, POINTS, { api: 'mlflow' });
    const before = await scrape();

    // /api/v1: a batch of 3, a batch of 2 with an Idempotency-Key, and a point each way (all take the hot lane).
    await postJson(`/api/v1/runs/${run.id}/metrics/batch`, { metrics: [point(1), point(2), point(3)] }).expect(201);
    await postJson(`/api/v1/runs/${run.id}/metrics/batch`, { metrics: [point(4), point(5)] }, idempotent()).expect(201);
    await postJson(`/api/v1/runs/${run.id}/metrics`, point(6)).expect(201);
    await postJson(`/api/v1/runs/${run.id}/metrics`, point(7), idempotent()).expect(201);
    // A replayed idempotent request stores nothing again, so it counts nothing again.
    const replayKey = idempotent();
    await postJson(`/api/v1/runs/${run.id}/metrics/batch`, { metrics: [point(8), point(9)] }, replayKey).expect(201);
    const replay = await postJson(`/api/v1/runs/${run.id}/metrics/batch`, { metrics: [point(8), point(9)] }, replayKey).expect(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    // Refused writes count nothing.
    await postJson(`/api/v1/runs/run-${'0'.repeat(32)}/metrics/batch`, { metrics: [point(1)] }).expect(404);
    await postJson(`/api/v1/runs/${run.id}/metrics/batch`, { metrics: [point(10), { key: 'loss', step: -1, value: 1 }] }).expect(400);

    // MLflow: log-metric each way, a metrics-only log-batch each way, and one with a param (one transaction).
    await postJson('/api/2.0/mlflow/runs/log-metric', { run_id: run.id, ...mlflowPoint(11) }).expect(200);
    await postJson('/api/2.0/mlflow/runs/log-metric', { run_id: run.id, ...mlflowPoint(12) }, idempotent()).expect(200);
    await postJson('/api/2.0/mlflow/runs/log-batch', { run_id: run.id, metrics: [13, 14, 15, 16].map(mlflowPoint) }).expect(200);
    await postJson('/api/2.0/mlflow/runs/log-batch', { run_id: run.id, metrics: [17, 18, 19].map(mlflowPoint) }, idempotent()).expect(200);
    await postJson('/api/2.0/mlflow/runs/log-batch', {
      run_id: run.id,
      metrics: [20, 21].map(mlflowPoint),
      params: [{ key: 'lr', value: '0.1' }],
    }).expect(200);
    await postJson('/api/2.0/mlflow/runs/log-metric', { run_id: `${'f'.repeat(32)}`, ...mlflowPoint(22) }).expect(404);

    const after = await scrape();
    expect(v1(after) - v1(before)).toBe(3 + 2 + 1 + 1 + 2);
    expect(mlflow(after) - mlflow(before)).toBe(1 + 1 + 4 + 3 + 2);
  });

  describe('counts each request once under its route pattern and status, through the hot lane and the normal path alike', () => {
    const bodies = {
      v1Batch: { metrics: [point(1), point(2)] },
      v1Point: point(3),
      mlflowMetric: (run: RunBody) => ({ run_id: run.id, ...mlflowPoint(4) }),
      mlflowBatch: (run: RunBody) => ({ run_id: run.id, metrics: [mlflowPoint(5)] }),
    };
    it.each([
      [
        'a v1 batch',
        (run: RunBody) => `/api/v1/runs/${run.id}/metrics/batch`,
        '/api/v1/runs/:runId/metrics/batch',
        201,
        () => bodies.v1Batch,
      ],
      ['a v1 point', (run: RunBody) => `/api/v1/runs/${run.id}/metrics`, '/api/v1/runs/:runId/metrics', 201, () => bodies.v1Point],
      ['an MLflow log-metric', () => '/api/2.0/mlflow/runs/log-metric', '/api/2.0/mlflow/runs/log-metric', 200, bodies.mlflowMetric],
      ['an MLflow log-batch', () => '/api/2.0/mlflow/runs/log-batch', '/api/2.0/mlflow/runs/log-batch', 200, bodies.mlflowBatch],
      [
        "an MLflow log-metric on the UI's ajax-api twin",
        () => '/ajax-api/2.0/mlflow/runs/log-metric',
        '/ajax-api/2.0/mlflow/runs/log-metric',
        200,
        bodies.mlflowMetric,
      ],
    ])('%s', async (_what, pathOf, route, status, bodyOf) => {
      const run = await make.runningRun();
      const labels = { method: 'POST', route, status: String(status) };
      const before = await scrape();

      await postJson(pathOf(run), bodyOf(run)).expect(status);
      const afterHot = await scrapeUntil((scraped) => requestCount(scraped, labels) > requestCount(before, labels));
      expect(requestCount(afterHot, labels) - requestCount(before, labels)).toBe(1);
      expect(durationCount(afterHot, labels) - durationCount(before, labels)).toBe(1);

      await postJson(pathOf(run), bodyOf(run), idempotent()).expect(status);
      const afterNormal = await scrapeUntil((scraped) => requestCount(scraped, labels) > requestCount(afterHot, labels));
      expect(requestCount(afterNormal, labels) - requestCount(afterHot, labels)).toBe(1);
      expect(durationCount(afterNormal, labels) - durationCount(afterHot, labels)).toBe(1);
      expect(sampleValue(afterNormal, `${DURATIONS}_sum`, labels)).toBeGreaterThan(sampleValue(before, `${DURATIONS}_sum`, labels));

      // The same route's failures are counted under it too, by status.
      const missing = { ...labels, status: '404' };
      const unknownRun = { ...run, id: `run-${'0'.repeat(32)}` };
      await postJson(pathOf(unknownRun), bodyOf(unknownRun)).expect(404);
      await postJson(pathOf(unknownRun), bodyOf(unknownRun), idempotent()).expect(404);
      const afterMissing = await scrapeUntil((scraped) => requestCount(scraped, missing) >= requestCount(afterNormal, missing) + 2);
      expect(requestCount(afterMissing, missing) - requestCount(afterNormal, missing)).toBe(2);

      // Never the path itself: run ids would make a series per run.
      expect(afterMissing.text).not.toContain(run.id);
      expect(afterMissing.text).not.toContain(unknownRun.id);
    });
  });

  it('keeps the latency histogram consistent: cumulative buckets, +Inf equal to the count', async () => {
    const scraped = await scrape();
    const counts = samplesOf(scraped, `${DURATIONS}_count`);
    expect(counts.length).toBeGreaterThan(0);
    for (const count of counts) {
      const buckets = samplesOf(scraped, `${DURATIONS}_bucket`).filter(
        (bucket) =>
          bucket.labels.method === count.labels.method &&
          bucket.labels.route === count.labels.route &&
          bucket.labels.status === count.labels.status,
      );
      const values = buckets.map((bucket) => bucket.value);
      expect(values).toEqual([...values].sort((a, b) => a - b));
      expect(buckets.at(-1)?.labels.le).toBe('+Inf');
      expect(buckets.at(-1)?.value).toBe(count.value);
    }
  });

  it('counts a 404 of an unknown path under the route "unmatched", never under the path', async () => {
    const path = `/no-such-route/${uniqueName('nowhere')}/deeper`;
    const labels = { method: 'GET', route: 'unmatched', status: '404' };
    const before = await scrape();
    await server.http().get(path).expect(404);
    const after = await scrapeUntil((scraped) => requestCount(scraped, labels) > requestCount(before, labels));
    expect(requestCount(after, labels) - requestCount(before, labels)).toBe(1);
    expect(durationCount(after, labels) - durationCount(before, labels)).toBe(1);
    expect(after.text).not.toContain('no-such-route');
  });

  it('counts artifact bytes received and sent, on /api/v1 and the MLflow routes, ranges included', async () => {
    const run = await make.runningRun();
    const multipart = binaryPayload(3000);
    const raw = binaryPayload(5000);
    const proxied = binaryPayload(7000);
    const proxyPath = `/api/2.0/mlflow-artifacts/artifacts/${run.experiment_id}/${run.id}/artifacts/b/proxied.bin`;
    const before = await scrape();

    await uploadArtifact(server.http, run.id, multipart, { key: 'a/multipart.bin' });
    await server
      .http()
      .put(`/api/v1/runs/${run.id}/artifacts/a/raw.bin`)
      .set('Content-Type', 'application/octet-stream')
      .send(raw)
      .expect(201);
    await server.http().put(proxyPath).set('Content-Type', 'application/octet-stream').send(proxied).expect(200);
    // Refused: the key already holds other bytes. Nothing stored, nothing counted.
    await server
      .http()
      .put(`/api/v1/runs/${run.id}/artifacts/a/raw.bin`)
      .set('Content-Type', 'application/octet-stream')
      .send(proxied)
      .expect(409);
    const afterUploads = await scrape();
    expect(sampleValue(afterUploads, RECEIVED) - sampleValue(before, RECEIVED)).toBe(3000 + 5000 + 7000);
    expect(sampleValue(afterUploads, SENT) - sampleValue(before, SENT)).toBe(0);

    const download = (path: string, headers: Record<string, string> = {}) =>
      server.http().get(path).set(headers).buffer(true).parse(bytesParser);
    const whole = await download(`/api/v1/runs/${run.id}/artifacts/a/multipart.bin`).expect(200);
    expect(whole.body).toEqual(multipart);
    const ranged = await download(`/api/v1/runs/${run.id}/artifacts/a/raw.bin`, { Range: 'bytes=100-1099' }).expect(206);
    expect(ranged.body).toEqual(raw.subarray(100, 1100));
    const viaProxy = await download(proxyPath).expect(200);
    expect(viaProxy.body).toEqual(proxied);
    const viaGetArtifact = await download(`/get-artifact?run_id=${run.id}&path=a/raw.bin`).expect(200);
    expect(viaGetArtifact.body).toEqual(raw);
    // No content sent: HEAD, and a revalidation answered 304.
    await server.http().head(`/api/v1/runs/${run.id}/artifacts/a/raw.bin`).expect(200);
    await server.http().get(`/api/v1/runs/${run.id}/artifacts/a/raw.bin`).set('If-None-Match', String(ranged.headers.etag)).expect(304);

    const expectedSent = 3000 + 1000 + 7000 + 5000;
    const afterDownloads = await scrapeUntil((scraped) => sampleValue(scraped, SENT) - sampleValue(before, SENT) >= expectedSent);
    expect(sampleValue(afterDownloads, SENT) - sampleValue(before, SENT)).toBe(expectedSent);
    expect(sampleValue(afterDownloads, RECEIVED) - sampleValue(before, RECEIVED)).toBe(3000 + 5000 + 7000);
  });

  if (testDatabaseKind() === 'postgres') {
    it("shows the PostgreSQL pool's connections: open, idle, waiting and the most it opens", async () => {
      const scraped = await scrape();
      for (const name of [
        'entrenar_pg_pool_connections',
        'entrenar_pg_pool_idle_connections',
        'entrenar_pg_pool_waiting_requests',
        'entrenar_pg_pool_max_connections',
      ]) {
        expect(scraped.types.get(name)).toBe('gauge');
        expect(samplesOf(scraped, name)).toHaveLength(1);
      }
      const open = sampleValue(scraped, 'entrenar_pg_pool_connections');
      expect(open).toBeGreaterThanOrEqual(1);
      expect(open).toBeLessThanOrEqual(sampleValue(scraped, 'entrenar_pg_pool_max_connections'));
      expect(sampleValue(scraped, 'entrenar_pg_pool_idle_connections')).toBeLessThanOrEqual(open);
      expect(sampleValue(scraped, 'entrenar_pg_pool_waiting_requests')).toBeGreaterThanOrEqual(0);
      expect(sampleValue(scraped, 'entrenar_pg_pool_max_connections')).toBe(10);
      expect(samplesOf(scraped, 'entrenar_sqlite_lock_waiting')).toEqual([]);
    });
  } else {
    it("shows the queue for SQLite's one connection, and the time spent in it grows when transactions contend", async () => {
      const run = await make.runningRun();
      const waited = (scraped: Exposition) => sampleValue(scraped, 'entrenar_sqlite_lock_wait_seconds_total');
      const before = await scrape();
      expect(before.types.get('entrenar_sqlite_lock_waiting')).toBe('gauge');
      expect(samplesOf(before, 'entrenar_sqlite_lock_waiting')).toEqual([{ name: 'entrenar_sqlite_lock_waiting', labels: {}, value: 0 }]);
      expect(before.types.get('entrenar_sqlite_lock_wait_seconds_total')).toBe('counter');
      // Idempotent writes each hold the connection for their whole request: sent together, they queue.
      await Promise.all(
        Array.from({ length: 20 }, (_unused, index) =>
          postJson(`/api/v1/runs/${run.id}/metrics/batch`, { metrics: [point(index + 1)] }, idempotent()).expect(201),
        ),
      );
      const after = await scrape();
      expect(waited(after)).toBeGreaterThan(waited(before));
      expect(samplesOf(after, 'entrenar_pg_pool_connections')).toEqual([]);
    });
  }
});

describe('GET /metrics with --auth-type api_key', () => {
  const KEY = 'metrics-key-1-0123456789';

  describe('by default', () => {
    let server: TestApp;
    beforeAll(async () => {
      server = await startTestApp({ authType: 'api_key', apiKeys: [KEY] });
    });
    afterAll(() => server.close());

    it('needs the key like every route: 401 without it, 200 with it (Bearer or Basic)', async () => {
      const refused = await server.http().get('/metrics').expect(401);
      expect(refused.body).toEqual({ error: { code: 'UNAUTHORIZED', message: expect.any(String) } });
      await scrapeOf(server, { Authorization: `Bearer ${KEY}` });
      await scrapeOf(server, { Authorization: `Basic ${Buffer.from(`prometheus:${KEY}`).toString('base64')}` });
      await server.http().get('/metrics').set('Authorization', 'Bearer wrong-key').expect(401);
    });

    it('counts a write refused for its key as unmatched (refused before routing), in the hot lane and the normal path alike', async () => {
      const run = await factories(server.http, { Authorization: `Bearer ${KEY}` }).runningRun();
      const labels = { method: 'POST', route: 'unmatched', status: '401' };
      const scrape = () => scrapeOf(server, { Authorization: `Bearer ${KEY}` });
      const before = await scrape();
      const send = (headers: Record<string, string>) =>
        server
          .http()
          .post(`/api/v1/runs/${run.id}/metrics`)
          .set('Content-Type', 'application/json')
          .set(headers)
          .send(JSON.stringify(point(1)));
      await send({}).expect(401);
      await send({ 'Idempotency-Key': uniqueName('key') }).expect(401);
      const after = await eventually(scrape, (scraped) => requestCount(scraped, labels) >= requestCount(before, labels) + 2);
      expect(requestCount(after, labels) - requestCount(before, labels)).toBe(2);
    });
  });

  describe('with --metrics-public', () => {
    let server: TestApp;
    beforeAll(async () => {
      server = await startTestApp({ authType: 'api_key', apiKeys: [KEY], metricsPublic: true });
    });
    afterAll(() => server.close());

    it('answers /metrics without a key, and still refuses every other route without one', async () => {
      const scraped = await scrapeOf(server);
      expect(scraped.invalidLines).toEqual([]);
      await server.http().get('/metrics?name[]=ignored').expect(200);
      await server.http().get('/api/v1/experiments').expect(401);
      await server.http().post('/api/v1/experiments').send({ name: uniqueName() }).expect(401);
    });
  });
});
