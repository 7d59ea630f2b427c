import { jest } from '@jest/globals';
import { SqlClient } from '../../src/database/sql-client.js';
import { testDatabaseKind } from '../support/database.js';
import { factories, MetricPointBody } from '../support/factories.js';
import { startTestApp, TestApp } from '../support/test-app.js';

/**
 * Many single-point writes at once, as chatty training loops send them. On PostgreSQL they are
 * committed in groups (one statement for the appends that arrive while another group commits);
 * on SQLite each commits alone. Either way every acknowledged point is stored exactly once, the
 * latest value is right, and one bad write fails alone.
 */
describe('concurrent single-point metric writes', () => {
  let server: TestApp;
  let make: ReturnType<typeof factories>;

  beforeAll(async () => {
    server = await startTestApp();
    make = factories(server.http);
  });
  afterAll(() => server.close());

  const postPoint = (runId: string, point: { key: string; step: number; value: number; timestamp?: number }) =>
    server.http().post(`/api/v1/runs/${runId}/metrics`).send(point);

  async function history(runId: string, key: string): Promise<MetricPointBody[]> {
    const response = await server.http().get(`/api/v1/runs/${runId}/metrics`).query({ key, max_results: 1000 }).expect(200);
    return (response.body as { metrics: MetricPointBody[] }).metrics;
  }

  /** How many append statements run while `work` does (the one statement of a metric append starts so). */
  async function countAppendStatements(work: () => Promise<void>): Promise<number> {
    const sql = server.app.get(SqlClient);
    const spy = jest.spyOn(sql, 'queryOne');
    try {
      await work();
      return spy.mock.calls.filter(([text]) => text.trimStart().startsWith('WITH inserted AS')).length;
    } finally {
      spy.mockRestore();
    }
  }

  it('stores every acknowledged point of 200 writes to two runs exactly once, with the right latest value', async () => {
    const [first, second] = [await make.runningRun(), await make.runningRun()];
    const writes = Array.from({ length: 200 }, (_, index) => ({
      run: index % 2 === 0 ? first : second,
      point: { key: index % 4 < 2 ? 'loss' : 'acc', step: index, value: index / 10, timestamp: 1_700_000_000_000 + index },
    }));
    const responses = await Promise.all(writes.map(({ run, point }) => postPoint(run.id, point)));
    expect(responses.map((response) => response.status)).toEqual(writes.map(() => 201));
    for (const run of [first, second]) {
      for (const key of ['loss', 'acc']) {
        const expected = writes.filter((write) => write.run === run && write.point.key === key).map((write) => write.point.step);
        expect((await history(run.id, key)).map((point) => point.step)).toEqual(expected);
      }
    }
    const read = await server.http().get(`/api/2.0/mlflow/runs/get`).query({ run_id: first.id }).expect(200);
    const latest = (read.body as { run: { data: { metrics: { key: string; step: number; value: number }[] } } }).run.data.metrics;
    expect(latest).toEqual([
      expect.objectContaining({ key: 'acc', step: 198, value: 19.8 }),
      expect.objectContaining({ key: 'loss', step: 196, value: 19.6 }),
    ]);
  });

  it('stores a point sent by several writes at once a single time', async () => {
    const run = await make.runningRun();
    const point = { key: 'dup', step: 7, value: 0.5, timestamp: 1_700_000_000_000 };
    const others = Array.from({ length: 20 }, (_, index) => ({
      key: 'dup',
      step: 100 + index,
      value: index,
      timestamp: 1_700_000_000_000,
    }));
    const responses = await Promise.all([...Array.from({ length: 10 }, () => point), ...others].map((sent) => postPoint(run.id, sent)));
    expect(responses.map((response) => response.status)).toEqual(responses.map(() => 201));
    const steps = (await history(run.id, 'dup')).map((stored) => stored.step);
    expect(steps).toEqual([7, ...others.map((other) => other.step)]);
  });

  if (testDatabaseKind() === 'postgres') {
    it('commits writes that arrive together in fewer statements than writes (group commit)', async () => {
      const run = await make.runningRun();
      await postPoint(run.id, { key: 'grouped', step: 0, value: 0 }).expect(201); // the series exists: only appends remain
      const statements = await countAppendStatements(async () => {
        const responses = await Promise.all(
          Array.from({ length: 64 }, (_, index) => postPoint(run.id, { key: 'grouped', step: index + 1, value: index })),
        );
        expect(responses.map((response) => response.status)).toEqual(responses.map(() => 201));
      });
      expect(statements).toBeGreaterThan(0);
      expect(statements).toBeLessThan(64);
      expect(await history(run.id, 'grouped')).toHaveLength(65);
    });

    it('fails only the write the database refuses when it was grouped with others, and stores the rest', async () => {
      const run = await make.runningRun();
      await postPoint(run.id, { key: 'refused', step: 0, value: 0 }).expect(201);
      const sql = server.app.get(SqlClient);
      await sql.execute(`CREATE FUNCTION refuse_point() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$`);
      await sql.execute(
        `CREATE TRIGGER refuse_point BEFORE INSERT ON metric_points FOR EACH ROW WHEN (NEW.value = 666) EXECUTE FUNCTION refuse_point()`,
      );
      try {
        const values = Array.from({ length: 40 }, (_, step) => (step === 20 ? 666 : step));
        const responses = await Promise.all(values.map((value, index) => postPoint(run.id, { key: 'refused', step: index + 1, value })));
        expect(responses.map((response) => response.status)).toEqual(values.map((value) => (value === 666 ? 500 : 201)));
        expect(responses[20].body).toEqual({ error: { code: 'INTERNAL_ERROR', message: expect.any(String) } });
      } finally {
        await sql.execute('DROP TRIGGER refuse_point ON metric_points');
        await sql.execute('DROP FUNCTION refuse_point()');
      }
      const steps = (await history(run.id, 'refused')).map((stored) => stored.step);
      expect(steps).toEqual([0, ...Array.from({ length: 40 }, (_, index) => index + 1).filter((step) => step !== 21)]);
    });
  }
});
