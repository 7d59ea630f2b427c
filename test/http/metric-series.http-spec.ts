import { factories } from '../support/factories.js';
import { startTestApp, TestApp } from '../support/test-app.js';

interface Point {
  step: number;
  timestamp: number;
  value: number;
}

interface Bucket {
  start_step: number;
  end_step: number;
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

interface SeriesBody {
  start_step: number;
  end_step: number;
  bucket_width: number;
  bucket_alignment: number;
  buckets: Bucket[];
}

type Summary = Pick<Bucket, 'first_step' | 'last_step' | 'count' | 'min' | 'max' | 'last' | 'last_timestamp'>;

/** What a bucket covering exactly these points must say. */
function expected(points: Point[]): Summary {
  const values = points.map((point) => point.value);
  const last = [...points].sort((a, b) => b.step - a.step || b.timestamp - a.timestamp || b.value - a.value)[0];
  return {
    first_step: Math.min(...points.map((point) => point.step)),
    last_step: Math.max(...points.map((point) => point.step)),
    count: points.length,
    min: Math.min(...values),
    max: Math.max(...values),
    last: last.value,
    last_timestamp: new Date(last.timestamp).toISOString(),
  };
}

/**
 * Checks a chart against the points it summarises: buckets in order, not overlapping, inside
 * the range, edges where the response says they are (the multiple of bucket_alignment nearest
 * to start_step + i × bucket_width), each bucket exactly the points in [start_step, end_step],
 * none left out, and the biggest spike some bucket's max.
 */
function expectChartOf(points: Point[], body: SeriesBody, maxBuckets: number): void {
  const { start_step: from, end_step: to, bucket_width: width, bucket_alignment: alignment, buckets } = body;
  const inRange = points.filter((point) => point.step >= from && point.step <= to);
  expect(width).toBe(Math.ceil((to - from + 1) / maxBuckets));
  expect(alignment).toBeLessThanOrEqual(width);
  expect(buckets.length).toBeLessThanOrEqual(maxBuckets);
  const isEdge = (step: number): boolean => {
    if (step === from || step === to + 1) {
      return true;
    }
    const index = Math.round((step - from) / width);
    return step % alignment === 0 && [index - 1, index, index + 1].some((i) => Math.abs(step - (from + i * width)) <= alignment / 2);
  };
  const problems: string[] = [];
  let previousEnd = from - 1;
  for (const bucket of buckets) {
    const covered = inRange.filter((point) => point.step >= bucket.start_step && point.step <= bucket.end_step);
    const skipped = inRange.filter((point) => point.step > previousEnd && point.step < bucket.start_step);
    const { start_step: start, end_step: end, ...summary } = bucket;
    if (start <= previousEnd || end < start || end > to || !isEdge(start) || !isEdge(end + 1) || skipped.length > 0) {
      problems.push(`bucket ${start}..${end} after ${previousEnd}, ${skipped.length} points left out before it`);
    } else if (covered.length === 0 || JSON.stringify(summary) !== JSON.stringify(expected(covered))) {
      problems.push(
        `bucket ${start}..${end}: ${JSON.stringify(summary)} ≠ ${covered.length ? JSON.stringify(expected(covered)) : 'no points'}`,
      );
    }
    previousEnd = end;
  }
  expect(problems.slice(0, 5)).toEqual([]);
  expect(inRange.filter((point) => point.step > previousEnd)).toEqual([]);
  expect(buckets.reduce((sum, bucket) => sum + bucket.count, 0)).toBe(inRange.length);
  // Every spike survives: the largest value in range is some bucket's max.
  const peak = Math.max(...inRange.map((point) => point.value));
  expect(buckets.some((bucket) => bucket.max === peak)).toBe(true);
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

  async function series(query: Record<string, number>, key = 'loss/train', run = runId): Promise<{ body: SeriesBody }> {
    return server.http().get(`/api/v1/runs/${run}/metrics/${key}/series`).query(query).expect(200);
  }

  /** `?points=…` with the step range, where given. */
  function rangeQuery(buckets: number, from?: number, to?: number): Record<string, number> {
    const query: Record<string, number> = { points: buckets };
    if (from !== undefined) {
      query.start_step = from;
    }
    if (to !== undefined) {
      query.end_step = to;
    }
    return query;
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
    [333, 5, 14_000],
    [64, -100, 20_000],
  ])(
    'answers at most %i buckets for steps %p..%p (undefined: where the series starts or ends) of an irregular series, each exactly the points between its edges',
    async (buckets, from, to) => {
      const { body } = await series(rangeQuery(buckets, from, to));
      const start = from ?? points.reduce((min, point) => Math.min(min, point.step), Infinity);
      const end = to ?? points.reduce((max, point) => Math.max(max, point.step), -Infinity);
      expect(body.start_step).toBe(start);
      expect(body.end_step).toBe(end);
      expectChartOf(points, body, buckets);
    },
  );

  describe('a dense series: one point per step 0..9,999, its value the step', () => {
    let denseRun: string;
    const dense: Point[] = Array.from({ length: 10_000 }, (_, step) => ({ step, timestamp: 1_700_000_000_000 + step, value: step }));

    beforeAll(async () => {
      denseRun = (await make.runningRun()).id;
      for (let offset = 0; offset < dense.length; offset += 5000) {
        const metrics = dense.slice(offset, offset + 5000).map((point) => ({ key: 'dense', ...point }));
        await server.http().post(`/api/v1/runs/${denseRun}/metrics/batch`).send({ metrics }).expect(201);
      }
    });

    it.each([
      [100, undefined, undefined],
      [1000, undefined, undefined],
      [7, undefined, undefined],
      [300, 1, 9_998],
      [1, undefined, undefined],
      [10_000, undefined, undefined],
      [40, 4095, 4097 + 4096],
    ])(
      'with %i buckets over %p..%p (undefined: where the series starts or ends): each counts the steps it spans, min = start_step, max = last = end_step',
      async (buckets, from, to) => {
        const { body } = await series(rangeQuery(buckets, from, to), 'dense', denseRun);
        expectChartOf(dense, body, buckets);
        const wrong = body.buckets.filter(
          (bucket) =>
            bucket.count !== bucket.end_step - bucket.start_step + 1 ||
            bucket.first_step !== bucket.start_step ||
            bucket.last_step !== bucket.end_step ||
            bucket.min !== bucket.start_step ||
            bucket.max !== bucket.end_step ||
            bucket.last !== bucket.end_step,
        );
        expect(wrong).toEqual([]);
      },
    );

    it('makes every bucket exactly bucket_width steps (the last one clipped) when the chart is read from raw points', async () => {
      const { body } = await series({ points: 1000, start_step: 3 }, 'dense', denseRun);
      expect(body).toMatchObject({ bucket_width: 10, bucket_alignment: 1 });
      expect(body.buckets).toHaveLength(1000);
      const edges = body.buckets.map((bucket) => [bucket.start_step, bucket.end_step]);
      expect(edges).toEqual(body.buckets.map((_bucket, index) => [3 + index * 10, Math.min(9_999, 3 + index * 10 + 9)]));
    });

    it('puts the edges of a chart read from rollups on their boundaries, as bucket_alignment says', async () => {
      const { body } = await series({ points: 100 }, 'dense', denseRun);
      expect(body).toMatchObject({ bucket_width: 100, bucket_alignment: 16 });
      expect(body.buckets.slice(0, 3).map((bucket) => [bucket.start_step, bucket.end_step, bucket.count])).toEqual([
        [0, 95, 96],
        [96, 207, 112],
        [208, 303, 96],
      ]);
    });
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
    expect(whole).toMatchObject({ start_step: -5, end_step: 41, bucket_width: 47, bucket_alignment: 16 });
    expect(whole.buckets).toEqual([
      expect.objectContaining({
        start_step: -5,
        end_step: 41,
        first_step: -5,
        last_step: 41,
        count: 4,
        min: '-Infinity',
        max: 'Infinity',
        last: '-Infinity',
      }),
    ]);
    const nanOnly = (await server.http().get(`/api/v1/runs/${mlflowRun}/metrics/g/series?start_step=-5&end_step=0`).expect(200)).body;
    expect(nanOnly.buckets).toEqual([expect.objectContaining({ count: 1, min: null, max: null, last: 'NaN' })]);
  });

  it('answers an empty list for a key never logged, and 404 for an unknown run', async () => {
    const run = await make.runningRun();
    const empty = await server.http().get(`/api/v1/runs/${run.id}/metrics/never/series`).expect(200);
    expect(empty.body).toEqual({ key: 'never', start_step: null, end_step: null, bucket_width: null, bucket_alignment: null, buckets: [] });
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
