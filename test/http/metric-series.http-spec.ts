import { factories } from '../support/factories.js';
import { startTestApp, TestApp } from '../support/test-app.js';

interface Point {
  step: number;
  timestamp: number;
  value: number;
}

interface Bucket {
  first_step: number;
  last_step: number;
  count: number;
  min: number | string | null;
  max: number | string | null;
  last: number | string;
  last_timestamp: string;
}

/** A deterministic generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** What a bucket covering exactly these points must say. */
function expected(points: Point[]): Omit<Bucket, 'first_step' | 'last_step' | 'last_timestamp'> {
  const values = points.map((point) => point.value);
  const last = [...points].sort((a, b) => b.step - a.step || b.timestamp - a.timestamp || b.value - a.value)[0];
  return { count: points.length, min: Math.min(...values), max: Math.max(...values), last: last.value };
}

describe('GET /api/v1/runs/{id}/metrics/{key}/series', () => {
  let server: TestApp;
  let make: ReturnType<typeof factories>;
  let runId: string;
  const points: Point[] = [];

  beforeAll(async () => {
    server = await startTestApp();
    make = factories(server.http);
    runId = (await make.runningRun()).id;
    const next = random(42);
    // 20,000 points over steps 0..14,999 with gaps, spikes and several points on some steps.
    for (let step = 0; step < 15_000; step++) {
      if (next() < 0.2) {
        continue;
      }
      points.push({ step, timestamp: 1_700_000_000_000 + step, value: next() < 0.001 ? 1000 * next() : next() });
      if (next() < 0.05) {
        points.push({ step, timestamp: 1_700_000_000_001 + step, value: next() });
      }
    }
    // Logged out of order, in batches, so rollups are built up piece by piece.
    const shuffled = [...points].sort(() => next() - 0.5);
    for (let offset = 0; offset < shuffled.length; offset += 5000) {
      const metrics = shuffled.slice(offset, offset + 5000).map((point) => ({ key: 'loss/train', ...point }));
      await server.http().post(`/api/v1/runs/${runId}/metrics/batch`).send({ metrics }).expect(201);
    }
  });
  afterAll(() => server.close());

  async function series(
    query: Record<string, number>,
  ): Promise<{ body: { buckets: Bucket[]; start_step: number; end_step: number; bucket_width: number } }> {
    return server.http().get(`/api/v1/runs/${runId}/metrics/loss/train/series`).query(query).expect(200);
  }

  function checkAgainstPoints(buckets: Bucket[], from: number, to: number, maxBuckets: number): void {
    const inRange = points.filter((point) => point.step >= from && point.step <= to);
    expect(buckets.length).toBeLessThanOrEqual(maxBuckets);
    expect(buckets.reduce((sum, bucket) => sum + bucket.count, 0)).toBe(inRange.length);
    let previousLast = -Infinity;
    for (const bucket of buckets) {
      expect(bucket.first_step).toBeGreaterThan(previousLast);
      expect(bucket.first_step).toBeLessThanOrEqual(bucket.last_step);
      expect(bucket.first_step).toBeGreaterThanOrEqual(from);
      expect(bucket.last_step).toBeLessThanOrEqual(to);
      previousLast = bucket.last_step;
      const covered = inRange.filter((point) => point.step >= bucket.first_step && point.step <= bucket.last_step);
      expect({ count: bucket.count, min: bucket.min, max: bucket.max, last: bucket.last }).toEqual(expected(covered));
    }
    // Every spike survives: the largest value in range is some bucket's max.
    const peak = Math.max(...inRange.map((point) => point.value));
    expect(buckets.some((bucket) => bucket.max === peak)).toBe(true);
  }

  it.each([
    [1000, undefined, undefined],
    [100, undefined, undefined],
    [7, undefined, undefined],
    [1000, 1234, 9876],
    [50, 17, 16_000],
    [10_000, 0, 14_999],
    [3, 4096, 4096 * 2 - 1],
    [1, 0, 14_999],
  ])('answers at most %i buckets for steps %p..%p, each matching the points it covers', async (buckets, from, to) => {
    const query: Record<string, number> = { points: buckets };
    if (from !== undefined) {
      query.start_step = from;
    }
    if (to !== undefined) {
      query.end_step = to;
    }
    const { body } = await series(query);
    const start = from ?? points.reduce((min, point) => Math.min(min, point.step), Infinity);
    const end = to ?? points.reduce((max, point) => Math.max(max, point.step), -Infinity);
    expect(body.start_step).toBe(start);
    expect(body.end_step).toBe(end);
    checkAgainstPoints(body.buckets, start, end, buckets);
  });

  it('does not count a retried (exactly duplicate) batch twice', async () => {
    const run = await make.runningRun();
    const metrics = Array.from({ length: 300 }, (_, step) => ({ key: 'acc', step, value: step / 300, timestamp: 1_700_000_000_000 }));
    await server.http().post(`/api/v1/runs/${run.id}/metrics/batch`).send({ metrics }).expect(201);
    await server.http().post(`/api/v1/runs/${run.id}/metrics/batch`).send({ metrics }).expect(201);
    const { body } = await server.http().get(`/api/v1/runs/${run.id}/metrics/acc/series?points=2`).expect(200);
    const buckets = body.buckets as Bucket[];
    expect(buckets.reduce((sum, bucket) => sum + bucket.count, 0)).toBe(300);
  });

  it('summarises only the new points of a batch that repeats some stored ones', async () => {
    const run = await make.runningRun();
    const point = (step: number) => ({ key: 'loss', step, value: 1000 - step, timestamp: 1_700_000_000_000 });
    const first = Array.from({ length: 200 }, (_, step) => point(step));
    await server.http().post(`/api/v1/runs/${run.id}/metrics/batch`).send({ metrics: first }).expect(201);
    // Steps 100-199 again (dropped as exact duplicates), 200-399 new, and one new point twice in the batch.
    const second = [...Array.from({ length: 300 }, (_, index) => point(100 + index)), point(399)];
    await server.http().post(`/api/v1/runs/${run.id}/metrics/batch`).send({ metrics: second }).expect(201);
    const { body } = await server.http().get(`/api/v1/runs/${run.id}/metrics/loss/series?points=1`).expect(200);
    expect(body.buckets).toEqual([expect.objectContaining({ first_step: 0, last_step: 399, count: 400, min: 601, max: 1000, last: 601 })]);
    const zoomed = await server.http().get(`/api/v1/runs/${run.id}/metrics/loss/series?points=4`).expect(200);
    expect((zoomed.body.buckets as Bucket[]).reduce((sum, bucket) => sum + bucket.count, 0)).toBe(400);
  });

  it('keeps NaN, ±Infinity and negative steps logged through the MLflow API', async () => {
    const created = await server.http().post('/api/2.0/mlflow/runs/create').send({ experiment_id: '0' }).expect(200);
    const mlflowRun = created.body.run.info.run_id as string;
    const metrics = [
      { key: 'g', value: 'NaN', timestamp: 1, step: -5 },
      { key: 'g', value: 'Infinity', timestamp: 1, step: 3 },
      { key: 'g', value: 2, timestamp: 1, step: 40 },
      { key: 'g', value: '-Infinity', timestamp: 1, step: 41 },
    ];
    await server.http().post('/api/2.0/mlflow/runs/log-batch').send({ run_id: mlflowRun, metrics }).expect(200);
    const whole = (await server.http().get(`/api/v1/runs/${mlflowRun}/metrics/g/series?points=1`).expect(200)).body;
    expect(whole).toMatchObject({ start_step: -5, end_step: 41 });
    expect(whole.buckets).toEqual([
      expect.objectContaining({ first_step: -5, last_step: 41, count: 4, min: '-Infinity', max: 'Infinity', last: '-Infinity' }),
    ]);
    const nanOnly = (await server.http().get(`/api/v1/runs/${mlflowRun}/metrics/g/series?start_step=-5&end_step=0`).expect(200)).body;
    expect(nanOnly.buckets).toEqual([expect.objectContaining({ count: 1, min: null, max: null, last: 'NaN' })]);
  });

  it('answers an empty list for a key never logged, and 404 for an unknown run', async () => {
    const run = await make.runningRun();
    const empty = await server.http().get(`/api/v1/runs/${run.id}/metrics/never/series`).expect(200);
    expect(empty.body).toEqual({ key: 'never', start_step: null, end_step: null, bucket_width: null, buckets: [] });
    const missing = await server.http().get('/api/v1/runs/run-nope/metrics/loss/series').expect(404);
    expect(missing.body).toEqual({ error: { code: 'NOT_FOUND', message: 'Run not found: run-nope' } });
  });

  it('answers 400 for a bad points count or an inverted range', async () => {
    for (const query of ['points=0', 'points=10001', 'points=abc', 'start_step=10&end_step=5', 'start_step=1.5']) {
      const response = await server.http().get(`/api/v1/runs/${runId}/metrics/loss/train/series?${query}`).expect(400);
      expect(response.body.error.code).toBe('INVALID_REQUEST');
    }
  });
});
