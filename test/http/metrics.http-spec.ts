import type { Response } from 'supertest';
import { factories, MetricPointBody, metricPoints } from '../support/factories.js';
import { startTestApp, TestApp } from '../support/test-app.js';

const RFC3339_Z = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

interface MetricListBody {
  metrics: MetricPointBody[];
  next_page_token?: string;
}

/** A point as the client sends it. */
interface PointIn {
  key: string;
  step: number;
  value: number;
  timestamp?: string | number;
}

function expectError(response: Response, status: number, code: string, message: string | RegExp): void {
  expect(response.status).toBe(status);
  expect(response.body).toEqual({ error: { code, message: expect.any(String) } });
  const text = (response.body as { error: { message: string } }).error.message;
  if (typeof message === 'string') {
    expect(text).toContain(message);
  } else {
    expect(text).toMatch(message);
  }
}

/** (step, timestamp, value): the order of a history, and MLflow's definition of "latest". */
function compareHistory(a: MetricPointBody, b: MetricPointBody): number {
  return a.step - b.step || Date.parse(a.timestamp) - Date.parse(b.timestamp) || Number(a.value) - Number(b.value);
}

const BAD_KEYS: [string, unknown][] = [
  ['empty', ''],
  ['longer than 250 characters', 'k'.repeat(251)],
  ['with "!"', 'loss!'],
  ['with a non-ASCII letter', 'lóss'],
  ['with a newline', 'loss\n'],
  ['with a tab', 'train\tloss'],
  ['with a backslash', 'train\\loss'],
  ['starting with "/"', '/loss'],
  ['with an empty segment', 'train//loss'],
  ['ending with "/"', 'train/'],
  ['with a ".." segment', 'train/../loss'],
  ['equal to ".."', '..'],
  ['with a "." segment', './loss'],
  ['ending in a "." segment', 'train/.'],
  ['a number', 42],
  ['null', null],
];

const GOOD_KEYS = ['k'.repeat(250), 'train/loss', 'val loss', 'lr:0.01', 'my-metric_1.2', 'a..b', 'UPPER_lower_09'];

describe('metrics over HTTP', () => {
  let server: TestApp;
  let make: ReturnType<typeof factories>;

  beforeAll(async () => {
    server = await startTestApp();
    make = factories(server.http);
  });
  afterAll(() => server.close());

  const metricsUrl = (runId: string): string => `/api/v1/runs/${runId}/metrics`;

  async function logPoint(runId: string, point: PointIn): Promise<MetricPointBody> {
    const response = await server.http().post(metricsUrl(runId)).send(point).expect(201);
    return response.body as MetricPointBody;
  }

  async function logBatch(runId: string, points: PointIn[]): Promise<void> {
    const response = await server
      .http()
      .post(`${metricsUrl(runId)}/batch`)
      .send({ metrics: points })
      .expect(201);
    expect(response.body).toEqual({ accepted: points.length });
  }

  async function getMetrics(runId: string, query: Record<string, string | number> = {}): Promise<MetricListBody> {
    const response = await server.http().get(metricsUrl(runId)).query(query).expect(200);
    return response.body as MetricListBody;
  }

  /** Every page of a history, following next_page_token, checking each page's size. */
  async function allPages(runId: string, query: Record<string, string | number>, pageSize: number): Promise<MetricPointBody[]> {
    const points: MetricPointBody[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await getMetrics(runId, { ...query, max_results: pageSize, ...(token ? { page_token: token } : {}) });
      expect(page.metrics.length).toBeLessThanOrEqual(pageSize);
      if (page.next_page_token !== undefined) {
        expect(page.metrics).toHaveLength(pageSize);
      }
      points.push(...page.metrics);
      token = page.next_page_token;
      pages += 1;
      expect(pages).toBeLessThan(10_000);
    } while (token !== undefined);
    return points;
  }

  /** Asserts the run has no metrics at all, by either read. */
  async function expectNoMetrics(runId: string, ...keys: string[]): Promise<void> {
    expect(await getMetrics(runId)).toEqual({ metrics: [] });
    for (const key of keys) {
      expect((await getMetrics(runId, { key })).metrics).toEqual([]);
    }
  }

  describe('POST /api/v1/runs/{id}/metrics', () => {
    it('answers 201 with the stored point, and GET returns it', async () => {
      const run = await make.run();
      const response = await server
        .http()
        .post(metricsUrl(run.id))
        .send({ key: 'loss', step: 100, value: 0.5, timestamp: '2024-12-05T10:30:00Z' })
        .expect(201);
      expect(response.body).toEqual({ key: 'loss', step: 100, value: 0.5, timestamp: '2024-12-05T10:30:00.000Z' });
      expect(await getMetrics(run.id, { key: 'loss' })).toEqual({
        metrics: [{ key: 'loss', step: 100, value: 0.5, timestamp: '2024-12-05T10:30:00.000Z' }],
      });
    });

    it('accepts the seed example as written (no timestamp) and stamps it with the current time', async () => {
      const run = await make.run();
      const before = Date.now();
      const response = await server.http().post(metricsUrl(run.id)).send({ key: 'loss', step: 100, value: 0.5 }).expect(201);
      const after = Date.now();
      expect(response.body).toMatchObject({ key: 'loss', step: 100, value: 0.5 });
      const body = response.body as MetricPointBody;
      expect(body.timestamp).toMatch(RFC3339_Z);
      expect(Date.parse(body.timestamp)).toBeGreaterThanOrEqual(before);
      expect(Date.parse(body.timestamp)).toBeLessThanOrEqual(after);
      const stored = await getMetrics(run.id, { key: 'loss' });
      expect(stored.metrics).toEqual([body]);
    });

    it('takes the timestamp as integer milliseconds since the epoch and returns it as RFC 3339 with Z', async () => {
      const run = await make.run();
      const body = await logPoint(run.id, { key: 'loss', step: 1, value: 1, timestamp: 1733394600123 });
      expect(body.timestamp).toBe('2024-12-05T10:30:00.123Z');
      expect((await getMetrics(run.id, { key: 'loss' })).metrics[0].timestamp).toBe('2024-12-05T10:30:00.123Z');
    });

    it('converts an RFC 3339 timestamp with an offset to UTC with Z', async () => {
      const run = await make.run();
      const body = await logPoint(run.id, { key: 'loss', step: 1, value: 1, timestamp: '2024-12-05T12:30:00.250+02:00' });
      expect(body.timestamp).toBe('2024-12-05T10:30:00.250Z');
      expect((await getMetrics(run.id, { key: 'loss' })).metrics[0].timestamp).toBe('2024-12-05T10:30:00.250Z');
    });

    it('keeps values and steps exactly: negatives, zero, extremes and steps beyond 32 bits', async () => {
      const run = await make.run();
      const values = [0, -1.5, 1e-300, 5e-324, 1.7976931348623157e308, -123456.789, 0.1 + 0.2];
      const points = values.map((value, index) => ({ key: 'exact', step: index, value, timestamp: 1_000 + index }));
      points.push({ key: 'exact', step: 10_000_000_000, value: 2, timestamp: 5_000 });
      points.push({ key: 'exact', step: Number.MAX_SAFE_INTEGER, value: 3, timestamp: 6_000 });
      for (const point of points) {
        await logPoint(run.id, point);
      }
      const stored = await getMetrics(run.id, { key: 'exact' });
      expect(stored.metrics.map((point) => [point.step, point.value])).toEqual(points.map((point) => [point.step, point.value]));
      expect(stored.metrics.every((point) => typeof point.step === 'number' && typeof point.value === 'number')).toBe(true);
    });

    it.each(GOOD_KEYS)('accepts the key %j and reads it back by that key', async (key) => {
      const run = await make.run();
      await logPoint(run.id, { key, step: 0, value: 1, timestamp: 1_000 });
      expect((await getMetrics(run.id, { key })).metrics).toEqual([{ key, step: 0, value: 1, timestamp: '1970-01-01T00:00:01.000Z' }]);
      expect((await getMetrics(run.id)).metrics.map((point) => point.key)).toEqual([key]);
    });

    it.each(BAD_KEYS)('rejects a key %s with 400 naming key, and stores nothing', async (_what, key) => {
      const run = await make.run();
      const response = await server.http().post(metricsUrl(run.id)).send({ key, step: 0, value: 1 });
      expectError(response, 400, 'INVALID_REQUEST', 'key: ');
      await expectNoMetrics(run.id);
    });

    it('rejects a point without key with 400 naming key', async () => {
      const run = await make.run();
      const response = await server.http().post(metricsUrl(run.id)).send({ step: 0, value: 1 });
      expectError(response, 400, 'INVALID_REQUEST', 'key: ');
    });

    it.each([
      ['negative', -1],
      ['a float', 1.5],
      ['a numeric string', '1'],
      ['null', null],
      ['a boolean', true],
      ['beyond 2^53', 2 ** 53],
    ])('rejects a step that is %s with 400 naming step, and stores nothing', async (_what, step) => {
      const run = await make.run();
      const response = await server.http().post(metricsUrl(run.id)).send({ key: 'loss', step, value: 1 });
      expectError(response, 400, 'INVALID_REQUEST', 'step: ');
      await expectNoMetrics(run.id, 'loss');
    });

    it('rejects a point without step with 400 naming step', async () => {
      const run = await make.run();
      const response = await server.http().post(metricsUrl(run.id)).send({ key: 'loss', value: 1 });
      expectError(response, 400, 'INVALID_REQUEST', 'step: ');
      await expectNoMetrics(run.id, 'loss');
    });

    it('accepts step 0', async () => {
      const run = await make.run();
      const body = await logPoint(run.id, { key: 'loss', step: 0, value: 1 });
      expect(body.step).toBe(0);
      expect((await getMetrics(run.id, { key: 'loss' })).metrics.map((point) => point.step)).toEqual([0]);
    });

    it.each([
      ['the string "NaN"', 'NaN'],
      ['the string "Infinity"', 'Infinity'],
      ['a numeric string', '0.5'],
      ['null', null],
      ['a boolean', false],
      ['an object', { v: 1 }],
      ['an array', [1]],
    ])('rejects a value that is %s with 400 naming value, and stores nothing', async (_what, value) => {
      const run = await make.run();
      const response = await server.http().post(metricsUrl(run.id)).send({ key: 'loss', step: 0, value });
      expectError(response, 400, 'INVALID_REQUEST', 'value: ');
      await expectNoMetrics(run.id, 'loss');
    });

    it('rejects a value that overflows to Infinity in JSON (1e999) with 400 naming value', async () => {
      const run = await make.run();
      const response = await server
        .http()
        .post(metricsUrl(run.id))
        .set('Content-Type', 'application/json')
        .send('{"key":"loss","step":0,"value":1e999}');
      expectError(response, 400, 'INVALID_REQUEST', 'value: ');
      await expectNoMetrics(run.id, 'loss');
    });

    it('rejects a point without value with 400 naming value', async () => {
      const run = await make.run();
      const response = await server.http().post(metricsUrl(run.id)).send({ key: 'loss', step: 0 });
      expectError(response, 400, 'INVALID_REQUEST', 'value: ');
    });

    it.each([
      ['a date without time', '2024-12-05'],
      ['free text', 'yesterday'],
      ['a time without zone', '2024-12-05T10:30:00'],
      ['an impossible date', '2024-13-45T10:30:00Z'],
      ['negative milliseconds', -1],
      ['fractional milliseconds', 1.5],
      ['a boolean', true],
      ['null', null],
    ])('rejects a timestamp that is %s with 400 naming timestamp', async (_what, timestamp) => {
      const run = await make.run();
      const response = await server.http().post(metricsUrl(run.id)).send({ key: 'loss', step: 0, value: 1, timestamp });
      expectError(response, 400, 'INVALID_REQUEST', 'timestamp: ');
      await expectNoMetrics(run.id, 'loss');
    });

    it('rejects an unknown field with 400 naming it, and stores nothing', async () => {
      const run = await make.run();
      const response = await server.http().post(metricsUrl(run.id)).send({ key: 'loss', step: 0, value: 1, epoch: 3 });
      expectError(response, 400, 'INVALID_REQUEST', 'epoch');
      expect((response.body as { error: { message: string } }).error.message).toMatch(/unknown field/);
      await expectNoMetrics(run.id, 'loss');
    });

    it('rejects a body that is not an object with 400', async () => {
      const run = await make.run();
      const response = await server
        .http()
        .post(metricsUrl(run.id))
        .send([{ key: 'loss', step: 0, value: 1 }]);
      expectError(response, 400, 'INVALID_REQUEST', /object/);
      await expectNoMetrics(run.id, 'loss');
    });

    it('rejects malformed JSON with 400 INVALID_REQUEST', async () => {
      const run = await make.run();
      const response = await server.http().post(metricsUrl(run.id)).set('Content-Type', 'application/json').send('{"key": "loss", ');
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ error: { code: 'INVALID_REQUEST', message: expect.any(String) } });
    });

    it('answers 404 NOT_FOUND for an unknown run', async () => {
      const response = await server.http().post(metricsUrl('run-doesnotexist')).send({ key: 'loss', step: 0, value: 1 });
      expect(response.status).toBe(404);
      expect(response.body).toEqual({ error: { code: 'NOT_FOUND', message: 'Run not found: run-doesnotexist' } });
    });

    it('keeps several points for the same step (append-only history)', async () => {
      const run = await make.run();
      await logPoint(run.id, { key: 'loss', step: 5, value: 0.9, timestamp: 1_000 });
      await logPoint(run.id, { key: 'loss', step: 5, value: 0.7, timestamp: 1_000 });
      await logPoint(run.id, { key: 'loss', step: 5, value: 0.9, timestamp: 2_000 });
      const stored = await getMetrics(run.id, { key: 'loss' });
      expect(stored.metrics).toEqual([
        { key: 'loss', step: 5, value: 0.7, timestamp: '1970-01-01T00:00:01.000Z' },
        { key: 'loss', step: 5, value: 0.9, timestamp: '1970-01-01T00:00:01.000Z' },
        { key: 'loss', step: 5, value: 0.9, timestamp: '1970-01-01T00:00:02.000Z' },
      ]);
    });

    it('stores an exact duplicate (same key, step, timestamp and value) only once, and still answers 201', async () => {
      const run = await make.run();
      const point = { key: 'loss', step: 3, value: 0.25, timestamp: '2024-12-05T10:30:00Z' };
      await logPoint(run.id, point);
      await logPoint(run.id, point);
      await logPoint(run.id, { ...point, timestamp: Date.parse(point.timestamp) });
      expect((await getMetrics(run.id, { key: 'loss' })).metrics).toEqual([
        { key: 'loss', step: 3, value: 0.25, timestamp: '2024-12-05T10:30:00.000Z' },
      ]);
    });
  });

  describe('POST /api/v1/runs/{id}/metrics/batch', () => {
    it('answers 201 {accepted: N} for the seed example, and stores every point', async () => {
      const run = await make.run();
      const response = await server
        .http()
        .post(`${metricsUrl(run.id)}/batch`)
        .send({
          metrics: [
            { key: 'loss', step: 100, value: 0.5 },
            { key: 'accuracy', step: 100, value: 0.85 },
          ],
        })
        .expect(201);
      expect(response.body).toEqual({ accepted: 2 });
      const latest = await getMetrics(run.id);
      expect(latest.metrics.map(({ key, step, value }) => ({ key, step, value }))).toEqual([
        { key: 'accuracy', step: 100, value: 0.85 },
        { key: 'loss', step: 100, value: 0.5 },
      ]);
      expect(latest.metrics.every((point) => RFC3339_Z.test(point.timestamp))).toBe(true);
    });

    it('stores a larger batch over several keys, each history in step order', async () => {
      const run = await make.run();
      const points = [...metricPoints('loss', 300, { firstStep: 0 }), ...metricPoints('acc', 200, { firstStep: 0 })].reverse();
      await logBatch(run.id, points);
      const loss = await getMetrics(run.id, { key: 'loss' });
      expect(loss.metrics).toHaveLength(300);
      expect(loss.metrics.map((point) => point.step)).toEqual([...Array(300).keys()]);
      const acc = await getMetrics(run.id, { key: 'acc' });
      expect(acc.metrics.map((point) => point.step)).toEqual([...Array(200).keys()]);
      expect(acc.next_page_token).toBeUndefined();
    });

    it('accepts an empty batch with {accepted: 0} and stores nothing', async () => {
      const run = await make.run();
      const response = await server
        .http()
        .post(`${metricsUrl(run.id)}/batch`)
        .send({ metrics: [] })
        .expect(201);
      expect(response.body).toEqual({ accepted: 0 });
      await expectNoMetrics(run.id);
    });

    it('takes RFC 3339 and millisecond timestamps in one batch, and defaults missing ones to now', async () => {
      const run = await make.run();
      const before = Date.now();
      await logBatch(run.id, [
        { key: 'loss', step: 0, value: 1, timestamp: '2024-01-01T00:00:00Z' },
        { key: 'loss', step: 1, value: 2, timestamp: 1704067201000 },
        { key: 'loss', step: 2, value: 3 },
      ]);
      const after = Date.now();
      const stored = (await getMetrics(run.id, { key: 'loss' })).metrics;
      expect(stored.slice(0, 2).map((point) => point.timestamp)).toEqual(['2024-01-01T00:00:00.000Z', '2024-01-01T00:00:01.000Z']);
      expect(stored[2].timestamp).toMatch(RFC3339_Z);
      expect(Date.parse(stored[2].timestamp)).toBeGreaterThanOrEqual(before);
      expect(Date.parse(stored[2].timestamp)).toBeLessThanOrEqual(after);
    });

    it.each<[string, Record<string, unknown>, string]>([
      ['a negative step', { step: -1 }, 'metrics[3].step: '],
      ['a float step', { step: 2.5 }, 'metrics[3].step: '],
      ['a string step', { step: '7' }, 'metrics[3].step: '],
      ['a missing step', { step: undefined }, 'metrics[3].step: '],
      ['a "NaN" value', { value: 'NaN' }, 'metrics[3].value: '],
      ['a null value', { value: null }, 'metrics[3].value: '],
      ['a boolean value', { value: true }, 'metrics[3].value: '],
      ['an empty key', { key: '' }, 'metrics[3].key: '],
      ['a key with ".."', { key: 'a/../b' }, 'metrics[3].key: '],
      ['a bad timestamp', { timestamp: 'soon' }, 'metrics[3].timestamp: '],
      ['an unknown field', { extra: 1 }, 'metrics[3].extra: unknown field'],
    ])('rejects a batch whose point 3 has %s with 400 naming the index, and stores none of it', async (_what, change, message) => {
      const run = await make.run();
      await logPoint(run.id, { key: 'loss', step: 0, value: 9, timestamp: 1_000 });
      const points: Record<string, unknown>[] = metricPoints('loss', 6, { firstStep: 1 }).map((point) => ({ ...point }));
      points[3] = { ...points[3], ...change };
      const response = await server
        .http()
        .post(`${metricsUrl(run.id)}/batch`)
        .send({ metrics: points });
      expectError(response, 400, 'INVALID_REQUEST', message);
      expect((await getMetrics(run.id, { key: 'loss' })).metrics).toEqual([
        { key: 'loss', step: 0, value: 9, timestamp: '1970-01-01T00:00:01.000Z' },
      ]);
      expect((await getMetrics(run.id)).metrics).toEqual([{ key: 'loss', step: 0, value: 9, timestamp: '1970-01-01T00:00:01.000Z' }]);
    });

    it('rejects a batch whose last point is bad, naming that index, and stores none of the earlier points', async () => {
      const run = await make.run();
      const points: Record<string, unknown>[] = metricPoints('loss', 50, { firstStep: 0 }).map((point) => ({ ...point }));
      points[49] = { ...points[49], step: -5 };
      const response = await server
        .http()
        .post(`${metricsUrl(run.id)}/batch`)
        .send({ metrics: points });
      expectError(response, 400, 'INVALID_REQUEST', 'metrics[49].step: ');
      await expectNoMetrics(run.id, 'loss');
    });

    it('rejects a batch with a point that is not an object, naming its index', async () => {
      const run = await make.run();
      const response = await server
        .http()
        .post(`${metricsUrl(run.id)}/batch`)
        .send({ metrics: [{ key: 'loss', step: 0, value: 1 }, 5] });
      expectError(response, 400, 'INVALID_REQUEST', 'metrics[1]');
      await expectNoMetrics(run.id, 'loss');
    });

    it('rejects an unknown field in the batch body with 400 naming it', async () => {
      const run = await make.run();
      const response = await server
        .http()
        .post(`${metricsUrl(run.id)}/batch`)
        .send({ metrics: [{ key: 'loss', step: 0, value: 1 }], run_id: run.id });
      expectError(response, 400, 'INVALID_REQUEST', 'run_id');
      expect((response.body as { error: { message: string } }).error.message).toMatch(/unknown field/);
      await expectNoMetrics(run.id, 'loss');
    });

    it.each([
      ['missing', {}],
      ['an object', { metrics: { key: 'loss', step: 0, value: 1 } }],
      ['null', { metrics: null }],
    ])('rejects a batch whose metrics is %s with 400 naming metrics', async (_what, body) => {
      const run = await make.run();
      const response = await server
        .http()
        .post(`${metricsUrl(run.id)}/batch`)
        .send(body);
      expectError(response, 400, 'INVALID_REQUEST', 'metrics');
      await expectNoMetrics(run.id, 'loss');
    });

    it('rejects a batch body that is a bare array with 400', async () => {
      const run = await make.run();
      const response = await server
        .http()
        .post(`${metricsUrl(run.id)}/batch`)
        .send([{ key: 'loss', step: 0, value: 1 }]);
      expectError(response, 400, 'INVALID_REQUEST', 'metrics');
      await expectNoMetrics(run.id, 'loss');
    });

    it('answers 404 NOT_FOUND for an unknown run', async () => {
      const response = await server
        .http()
        .post(`${metricsUrl('run-doesnotexist')}/batch`)
        .send({ metrics: [{ key: 'loss', step: 0, value: 1 }] });
      expect(response.status).toBe(404);
      expect(response.body).toEqual({ error: { code: 'NOT_FOUND', message: 'Run not found: run-doesnotexist' } });
    });

    it('keeps several points per step within one batch, and stores exact duplicates once', async () => {
      const run = await make.run();
      const response = await server
        .http()
        .post(`${metricsUrl(run.id)}/batch`)
        .send({
          metrics: [
            { key: 'loss', step: 1, value: 0.5, timestamp: 1_000 },
            { key: 'loss', step: 1, value: 0.4, timestamp: 1_000 },
            { key: 'loss', step: 1, value: 0.5, timestamp: 1_000 },
            { key: 'loss', step: 1, value: 0.5, timestamp: 2_000 },
          ],
        });
      expect(response.status).toBe(201);
      await logBatch(run.id, [{ key: 'loss', step: 1, value: 0.4, timestamp: 1_000 }]);
      expect((await getMetrics(run.id, { key: 'loss' })).metrics).toEqual([
        { key: 'loss', step: 1, value: 0.4, timestamp: '1970-01-01T00:00:01.000Z' },
        { key: 'loss', step: 1, value: 0.5, timestamp: '1970-01-01T00:00:01.000Z' },
        { key: 'loss', step: 1, value: 0.5, timestamp: '1970-01-01T00:00:02.000Z' },
      ]);
    });

    it('appends to an existing history rather than replacing it', async () => {
      const run = await make.run();
      await logBatch(run.id, metricPoints('loss', 5, { firstStep: 0 }));
      await logBatch(run.id, metricPoints('loss', 5, { firstStep: 3, value: (step) => step + 0.5 }));
      const stored = (await getMetrics(run.id, { key: 'loss' })).metrics;
      expect(stored).toHaveLength(10);
      expect(stored.map((point) => point.step)).toEqual([0, 1, 2, 3, 3, 4, 4, 5, 6, 7]);
    });
  });

  describe('batch size limit', () => {
    let limited: TestApp;
    let limitedMake: ReturnType<typeof factories>;

    beforeAll(async () => {
      limited = await startTestApp({ maxBatchPoints: 5 });
      limitedMake = factories(limited.http);
    });
    afterAll(() => limited.close());

    it('accepts a batch of exactly the limit', async () => {
      const run = await limitedMake.run();
      const response = await limited
        .http()
        .post(`${metricsUrl(run.id)}/batch`)
        .send({ metrics: metricPoints('loss', 5) })
        .expect(201);
      expect(response.body).toEqual({ accepted: 5 });
      const stored = await limited.http().get(metricsUrl(run.id)).query({ key: 'loss' }).expect(200);
      expect((stored.body as MetricListBody).metrics).toHaveLength(5);
    });

    it('answers 413 PAYLOAD_TOO_LARGE for a batch above the limit, and stores nothing', async () => {
      const run = await limitedMake.run();
      const response = await limited
        .http()
        .post(`${metricsUrl(run.id)}/batch`)
        .send({ metrics: metricPoints('loss', 6) });
      expectError(response, 413, 'PAYLOAD_TOO_LARGE', 'metrics');
      const latest = await limited.http().get(metricsUrl(run.id)).expect(200);
      expect(latest.body).toEqual({ metrics: [] });
      const history = await limited.http().get(metricsUrl(run.id)).query({ key: 'loss' }).expect(200);
      expect(history.body).toEqual({ metrics: [] });
    });
  });

  describe('GET /api/v1/runs/{id}/metrics?key=…', () => {
    it('returns the history in step order, whatever order it was logged in', async () => {
      const run = await make.run();
      for (const step of [5, 1, 3, 0, 4, 2]) {
        await logPoint(run.id, { key: 'loss', step, value: step / 10, timestamp: 10_000 - step });
      }
      await logPoint(run.id, { key: 'other', step: 2, value: 7 });
      const stored = await getMetrics(run.id, { key: 'loss' });
      expect(stored.metrics.map((point) => [point.step, point.value])).toEqual([
        [0, 0],
        [1, 0.1],
        [2, 0.2],
        [3, 0.3],
        [4, 0.4],
        [5, 0.5],
      ]);
      expect(stored.metrics.every((point) => point.key === 'loss' && RFC3339_Z.test(point.timestamp))).toBe(true);
      expect(stored.next_page_token).toBeUndefined();
    });

    it('orders points of one step by timestamp, then value', async () => {
      const run = await make.run();
      const points = [
        { key: 'loss', step: 2, value: 3, timestamp: 3_000 },
        { key: 'loss', step: 1, value: 9, timestamp: 2_000 },
        { key: 'loss', step: 2, value: 1, timestamp: 3_000 },
        { key: 'loss', step: 2, value: 5, timestamp: 1_000 },
        { key: 'loss', step: 1, value: 8, timestamp: 2_000 },
      ];
      await logBatch(run.id, points);
      const stored = (await getMetrics(run.id, { key: 'loss' })).metrics;
      expect(stored.map((point) => [point.step, Date.parse(point.timestamp), point.value])).toEqual([
        [1, 2_000, 8],
        [1, 2_000, 9],
        [2, 1_000, 5],
        [2, 3_000, 1],
        [2, 3_000, 3],
      ]);
    });

    it('returns an empty history for a key never logged', async () => {
      const run = await make.run();
      await logPoint(run.id, { key: 'loss', step: 0, value: 1 });
      expect(await getMetrics(run.id, { key: 'accuracy' })).toEqual({ metrics: [] });
    });

    it("never returns another run's points", async () => {
      const first = await make.run();
      const second = await make.run(first.experiment_id);
      await logBatch(first.id, metricPoints('loss', 3, { value: () => 1 }));
      await logBatch(second.id, metricPoints('loss', 2, { value: () => 2 }));
      expect((await getMetrics(first.id, { key: 'loss' })).metrics.map((point) => point.value)).toEqual([1, 1, 1]);
      expect((await getMetrics(second.id, { key: 'loss' })).metrics.map((point) => point.value)).toEqual([2, 2]);
    });

    it('filters by start_step and end_step, both inclusive', async () => {
      const run = await make.run();
      await logBatch(run.id, metricPoints('loss', 20));
      const both = await getMetrics(run.id, { key: 'loss', start_step: 5, end_step: 9 });
      expect(both.metrics.map((point) => point.step)).toEqual([5, 6, 7, 8, 9]);
      const fromOnly = await getMetrics(run.id, { key: 'loss', start_step: 17 });
      expect(fromOnly.metrics.map((point) => point.step)).toEqual([17, 18, 19]);
      const toOnly = await getMetrics(run.id, { key: 'loss', end_step: 2 });
      expect(toOnly.metrics.map((point) => point.step)).toEqual([0, 1, 2]);
      const single = await getMetrics(run.id, { key: 'loss', start_step: 4, end_step: 4 });
      expect(single.metrics.map((point) => point.step)).toEqual([4]);
      const beyond = await getMetrics(run.id, { key: 'loss', start_step: 100 });
      expect(beyond.metrics).toEqual([]);
    });

    it('answers 400 when start_step is greater than end_step', async () => {
      const run = await make.run();
      await logBatch(run.id, metricPoints('loss', 5));
      const response = await server.http().get(metricsUrl(run.id)).query({ key: 'loss', start_step: 4, end_step: 3 });
      expectError(response, 400, 'INVALID_REQUEST', 'start_step');
    });

    it.each([
      ['start_step', '-1'],
      ['start_step', '1.5'],
      ['end_step', 'abc'],
      ['max_results', '0'],
      ['max_results', '-3'],
      ['max_results', 'ten'],
      ['max_results', '100001'],
    ])('answers 400 naming %s for the bad value %j', async (field, value) => {
      const run = await make.run();
      const response = await server
        .http()
        .get(metricsUrl(run.id))
        .query({ key: 'loss', [field]: value });
      expectError(response, 400, 'INVALID_REQUEST', `${field}: `);
    });

    it('pages through a long history with no gaps or duplicates, and no token on the last page', async () => {
      const run = await make.run();
      // 3 points per step for 25 steps, logged out of order: pages must cut inside steps too.
      const points: PointIn[] = [];
      for (let step = 24; step >= 0; step--) {
        for (let copy = 0; copy < 3; copy++) {
          points.push({ key: 'loss', step, value: step * 10 + copy, timestamp: 1_000 + copy });
        }
      }
      await logBatch(run.id, points);
      const everything = (await getMetrics(run.id, { key: 'loss' })).metrics;
      expect(everything).toHaveLength(75);
      const expected = [...everything].sort(compareHistory);
      expect(everything).toEqual(expected);
      for (const pageSize of [1, 4, 7, 75, 100]) {
        const paged = await allPages(run.id, { key: 'loss' }, pageSize);
        expect(paged).toEqual(expected);
      }
    });

    it('gives no next_page_token when the last page is exactly full', async () => {
      const run = await make.run();
      await logBatch(run.id, metricPoints('loss', 4));
      const page = await getMetrics(run.id, { key: 'loss', max_results: 4 });
      expect(page.metrics).toHaveLength(4);
      expect(page.next_page_token).toBeUndefined();
      const first = await getMetrics(run.id, { key: 'loss', max_results: 3 });
      expect(first.metrics).toHaveLength(3);
      expect(typeof first.next_page_token).toBe('string');
    });

    it('pages within a step range', async () => {
      const run = await make.run();
      await logBatch(run.id, metricPoints('loss', 50));
      const paged = await allPages(run.id, { key: 'loss', start_step: 10, end_step: 29 }, 6);
      expect(paged.map((point) => point.step)).toEqual([...Array(20).keys()].map((index) => index + 10));
    });

    it('pages values that are not exactly representable in decimal without gaps or duplicates', async () => {
      const run = await make.run();
      const values = [0.1 + 0.2, 1 / 3, 2 / 3, Math.PI, -Math.E, 1e-17, 123456789.12345679];
      await logBatch(
        run.id,
        values.map((value) => ({ key: 'loss', step: 1, value, timestamp: 1_000 })),
      );
      const paged = await allPages(run.id, { key: 'loss' }, 1);
      expect(paged.map((point) => point.value)).toEqual([...values].sort((a, b) => a - b));
    });

    it('continues correctly when points are added between pages', async () => {
      const run = await make.run();
      await logBatch(run.id, metricPoints('loss', 6, { firstStep: 0 }));
      const first = await getMetrics(run.id, { key: 'loss', max_results: 3 });
      expect(first.metrics.map((point) => point.step)).toEqual([0, 1, 2]);
      await logBatch(run.id, metricPoints('loss', 2, { firstStep: 10 }));
      const second = await getMetrics(run.id, { key: 'loss', max_results: 100, page_token: first.next_page_token as string });
      expect(second.metrics.map((point) => point.step)).toEqual([3, 4, 5, 10, 11]);
      expect(second.next_page_token).toBeUndefined();
    });

    it.each([
      ['garbage', 'not-a-token!!'],
      ['base64 of something else', Buffer.from('hello world').toString('base64url')],
      ['a token of the wrong shape', Buffer.from(JSON.stringify({ k: 'loss' })).toString('base64url')],
    ])('answers 400 for a page_token that is %s', async (_what, token) => {
      const run = await make.run();
      await logBatch(run.id, metricPoints('loss', 5));
      const response = await server.http().get(metricsUrl(run.id)).query({ key: 'loss', page_token: token });
      expectError(response, 400, 'INVALID_REQUEST', 'page_token');
    });

    it('answers 404 NOT_FOUND for an unknown run', async () => {
      const response = await server.http().get(metricsUrl('run-doesnotexist')).query({ key: 'loss' });
      expect(response.status).toBe(404);
      expect(response.body).toEqual({ error: { code: 'NOT_FOUND', message: 'Run not found: run-doesnotexist' } });
    });
  });

  describe('GET /api/v1/runs/{id}/metrics (latest of every key)', () => {
    it('returns an empty list for a run without metrics', async () => {
      const run = await make.run();
      expect(await getMetrics(run.id)).toEqual({ metrics: [] });
    });

    it('returns one point per key: the one with the greatest step, whatever the logging order', async () => {
      const run = await make.run();
      await logBatch(run.id, [
        { key: 'loss', step: 10, value: 0.1, timestamp: 1_000 },
        { key: 'acc', step: 2, value: 0.8, timestamp: 9_000 },
        { key: 'loss', step: 3, value: 0.9, timestamp: 9_000 },
      ]);
      // Logged later, but an earlier step: not the latest.
      await logPoint(run.id, { key: 'loss', step: 7, value: 0.2, timestamp: 20_000 });
      await logPoint(run.id, { key: 'acc', step: 5, value: 0.95, timestamp: 500 });
      const latest = await getMetrics(run.id);
      expect(latest.metrics).toHaveLength(2);
      expect(latest.metrics).toEqual(
        expect.arrayContaining([
          { key: 'loss', step: 10, value: 0.1, timestamp: '1970-01-01T00:00:01.000Z' },
          { key: 'acc', step: 5, value: 0.95, timestamp: '1970-01-01T00:00:00.500Z' },
        ]),
      );
      expect(latest.next_page_token).toBeUndefined();
    });

    it('breaks ties on step by the later timestamp, then the greater value', async () => {
      const run = await make.run();
      // Within one batch.
      await logBatch(run.id, [
        { key: 'ts', step: 4, value: 9, timestamp: 1_000 },
        { key: 'ts', step: 4, value: 1, timestamp: 2_000 },
        { key: 'ts', step: 4, value: 5, timestamp: 1_500 },
        { key: 'val', step: 4, value: 0.3, timestamp: 1_000 },
        { key: 'val', step: 4, value: 0.7, timestamp: 1_000 },
        { key: 'val', step: 4, value: -2, timestamp: 1_000 },
      ]);
      // Across requests: a later timestamp wins, an earlier one does not.
      await logPoint(run.id, { key: 'ts2', step: 4, value: 1, timestamp: 2_000 });
      await logPoint(run.id, { key: 'ts2', step: 4, value: 9, timestamp: 3_000 });
      await logPoint(run.id, { key: 'ts2', step: 4, value: 50, timestamp: 2_500 });
      // Across requests: same step and timestamp, the greater value wins.
      await logPoint(run.id, { key: 'val2', step: 4, value: 2, timestamp: 1_000 });
      await logPoint(run.id, { key: 'val2', step: 4, value: 3, timestamp: 1_000 });
      await logPoint(run.id, { key: 'val2', step: 4, value: 1, timestamp: 1_000 });
      const latest = await getMetrics(run.id);
      const byKey = new Map(latest.metrics.map((point) => [point.key, point]));
      expect(byKey.size).toBe(4);
      expect(byKey.get('ts')).toEqual({ key: 'ts', step: 4, value: 1, timestamp: '1970-01-01T00:00:02.000Z' });
      expect(byKey.get('val')).toEqual({ key: 'val', step: 4, value: 0.7, timestamp: '1970-01-01T00:00:01.000Z' });
      expect(byKey.get('ts2')).toEqual({ key: 'ts2', step: 4, value: 9, timestamp: '1970-01-01T00:00:03.000Z' });
      expect(byKey.get('val2')).toEqual({ key: 'val2', step: 4, value: 3, timestamp: '1970-01-01T00:00:01.000Z' });
    });

    it('agrees with the last point of each full history', async () => {
      const run = await make.run();
      const points: PointIn[] = [];
      for (let index = 0; index < 60; index++) {
        points.push({
          key: ['a', 'b', 'c'][index % 3],
          step: (index * 7) % 11,
          value: (index * 13) % 17,
          timestamp: 1_000 + ((index * 5) % 9),
        });
      }
      await logBatch(run.id, points.slice(0, 30));
      await logBatch(run.id, points.slice(30));
      const latest = await getMetrics(run.id);
      for (const key of ['a', 'b', 'c']) {
        const history = (await getMetrics(run.id, { key })).metrics;
        expect(latest.metrics.find((point) => point.key === key)).toEqual(history[history.length - 1]);
      }
    });

    it('answers 400 for start_step, end_step or page_token without key', async () => {
      const run = await make.run();
      for (const query of [{ start_step: 1 }, { end_step: 1 }, { page_token: 'abc' }]) {
        const response = await server.http().get(metricsUrl(run.id)).query(query);
        expectError(response, 400, 'INVALID_REQUEST', 'key');
      }
    });

    it('answers 404 NOT_FOUND for an unknown run', async () => {
      const response = await server.http().get(metricsUrl('run-doesnotexist'));
      expect(response.status).toBe(404);
      expect(response.body).toEqual({ error: { code: 'NOT_FOUND', message: 'Run not found: run-doesnotexist' } });
    });
  });

  describe('concurrency', () => {
    it('lands every point of parallel batches for the same run and for different runs exactly', async () => {
      const experiment = await make.experiment();
      const runs = [await make.run(experiment.id), await make.run(experiment.id), await make.run(experiment.id)];
      const batchesPerRun = 8;
      const stepsPerBatch = 100;
      const keys = ['loss', 'acc', 'lr'];
      const requests: Promise<Response>[] = [];
      for (const run of runs) {
        for (let batch = 0; batch < batchesPerRun; batch++) {
          // Each batch covers its own step range for every key, keys in a different order per batch.
          const order = batch % 2 === 0 ? keys : [...keys].reverse();
          const points = order.flatMap((key) =>
            metricPoints(key, stepsPerBatch, { firstStep: batch * stepsPerBatch, value: (step) => step + keys.indexOf(key) / 10 }),
          );
          requests.push(
            server
              .http()
              .post(`${metricsUrl(run.id)}/batch`)
              .send({ metrics: points }),
          );
        }
      }
      const responses = await Promise.all(requests);
      for (const response of responses) {
        expect({ status: response.status, body: response.body as unknown }).toEqual({
          status: 201,
          body: { accepted: keys.length * stepsPerBatch },
        });
      }
      const total = batchesPerRun * stepsPerBatch;
      for (const run of runs) {
        for (const key of keys) {
          const history = (await getMetrics(run.id, { key })).metrics;
          expect(history).toHaveLength(total);
          expect(history.map((point) => point.step)).toEqual([...Array(total).keys()]);
        }
        const latest = await getMetrics(run.id);
        expect(latest.metrics.map(({ key, step, value }) => ({ key, step, value }))).toEqual(
          expect.arrayContaining(keys.map((key) => ({ key, step: total - 1, value: total - 1 + keys.indexOf(key) / 10 }))),
        );
        expect(latest.metrics).toHaveLength(keys.length);
      }
    });

    it('keeps the latest point right when parallel batches are the first to log a key', async () => {
      const experiment = await make.experiment();
      const runs = await Promise.all(Array.from({ length: 6 }, () => make.run(experiment.id)));
      const batches = 10;
      const requests: Promise<Response>[] = [];
      for (const run of runs) {
        for (let batch = 0; batch < batches; batch++) {
          requests.push(
            server
              .http()
              .post(`${metricsUrl(run.id)}/batch`)
              .send({ metrics: metricPoints('fresh', 10, { firstStep: batch * 10 }) }),
          );
        }
      }
      const responses = await Promise.all(requests);
      expect(responses.map((response) => response.status)).toEqual(Array(requests.length).fill(201));
      for (const run of runs) {
        const history = (await getMetrics(run.id, { key: 'fresh' })).metrics;
        expect(history.map((point) => point.step)).toEqual([...Array(batches * 10).keys()]);
        const latest = await getMetrics(run.id);
        expect(latest.metrics).toEqual([history[history.length - 1]]);
      }
    });

    it('keeps the latest point right when parallel single-point requests are the first to log a key', async () => {
      const experiment = await make.experiment();
      const steps = 20;
      // The first request sent creates the key; the one with the greatest step follows right behind it.
      const order = Array.from({ length: steps }, (_unused, index) => (index % 2 === 0 ? index / 2 : steps - 1 - (index - 1) / 2));
      for (let round = 0; round < 4; round++) {
        const runs = await Promise.all(Array.from({ length: 5 }, () => make.run(experiment.id)));
        const responses = await Promise.all(
          runs.flatMap((run) =>
            order.map((step) => server.http().post(metricsUrl(run.id)).send({ key: 'first', step, value: step, timestamp: 1_000 })),
          ),
        );
        expect(responses.map((response) => response.status)).toEqual(Array(responses.length).fill(201));
        for (const run of runs) {
          expect((await getMetrics(run.id, { key: 'first' })).metrics).toHaveLength(steps);
          expect((await getMetrics(run.id)).metrics).toEqual([
            { key: 'first', step: steps - 1, value: steps - 1, timestamp: '1970-01-01T00:00:01.000Z' },
          ]);
        }
      }
    });

    it('lands every one of many parallel single-point requests on new keys of one run', async () => {
      const run = await make.run();
      const requests: Promise<Response>[] = [];
      for (let index = 0; index < 40; index++) {
        requests.push(
          server
            .http()
            .post(metricsUrl(run.id))
            .send({ key: `k${index % 4}`, step: index, value: index, timestamp: 1_000 }),
        );
      }
      const responses = await Promise.all(requests);
      expect(responses.map((response) => response.status)).toEqual(Array(40).fill(201));
      for (let key = 0; key < 4; key++) {
        const history = (await getMetrics(run.id, { key: `k${key}` })).metrics;
        expect(history.map((point) => point.step)).toEqual([...Array(10).keys()].map((index) => index * 4 + key));
      }
      const latest = await getMetrics(run.id);
      expect(latest.metrics.map(({ key, step }) => ({ key, step }))).toEqual(
        expect.arrayContaining([0, 1, 2, 3].map((key) => ({ key: `k${key}`, step: 36 + key }))),
      );
      expect(latest.metrics).toHaveLength(4);
    });
  });
});
