import type supertest from 'supertest';
import { SqlClient } from '../../src/database/sql-client.js';
import { IdempotencyService, IDEMPOTENCY_RETENTION_MS } from '../../src/modules/idempotency/idempotency.service.js';
import { testDatabaseKind } from '../support/database.js';
import { factories, uniqueName } from '../support/factories.js';
import { startTestApp, TestApp } from '../support/test-app.js';

/** Overlapping retries of one write, as a client with an aggressive timeout sends them. */
const RETRIES = 16;

/** A JSON write sent with a key, and how to count what it did on the server. */
interface WriteCase {
  name: string;
  /** Prepares what the write needs; returns the request and how to count the rows it applied. */
  prepare(
    make: ReturnType<typeof factories>,
    http: () => supertest.Agent,
  ): Promise<{
    send: (http: supertest.Agent, key: string) => supertest.Test;
    status: number;
    applied: () => Promise<number>;
  }>;
}

const WRITE_CASES: WriteCase[] = [
  {
    name: 'create an experiment',
    prepare: (_make, http) => {
      const name = uniqueName('once');
      return Promise.resolve({
        send: (agent, key) => agent.post('/api/v1/experiments').set('Idempotency-Key', key).send({ name }),
        status: 201,
        applied: async () => (await http().get('/api/v1/experiments').query({ name }).expect(200)).body.experiments.length as number,
      });
    },
  },
  {
    name: 'create a run',
    prepare: async (make, http) => {
      const experiment = await make.experiment();
      return {
        send: (agent, key) => agent.post('/api/v1/runs').set('Idempotency-Key', key).send({ experiment_id: experiment.id }),
        status: 201,
        applied: async () => (await http().get(`/api/v1/experiments/${experiment.id}/runs`).expect(200)).body.runs.length as number,
      };
    },
  },
  {
    name: 'log a param',
    prepare: async (make, http) => {
      const run = await make.runningRun();
      return {
        send: (agent, key) => agent.post(`/api/v1/runs/${run.id}/params`).set('Idempotency-Key', key).send({ key: 'lr', value: 0.01 }),
        status: 201,
        applied: async () => (await http().get(`/api/v1/runs/${run.id}/params`).expect(200)).body.params.length as number,
      };
    },
  },
  {
    name: 'log a metric batch (server-assigned timestamps, so a second application would show)',
    prepare: async (make, http) => {
      const run = await make.runningRun();
      const batch = { metrics: [{ key: 'loss', step: 1, value: 0.5 }] };
      return {
        send: (agent, key) => agent.post(`/api/v1/runs/${run.id}/metrics/batch`).set('Idempotency-Key', key).send(batch),
        status: 201,
        applied: async () => (await http().get(`/api/v1/runs/${run.id}/metrics?key=loss`).expect(200)).body.metrics.length as number,
      };
    },
  },
  {
    name: 'create an experiment through the MLflow API',
    prepare: (_make, http) => {
      const name = uniqueName('mlflow-once');
      return Promise.resolve({
        send: (agent, key) => agent.post('/api/2.0/mlflow/experiments/create').set('Idempotency-Key', key).send({ name }),
        status: 200,
        applied: async () => (await http().get('/api/v1/experiments').query({ name }).expect(200)).body.experiments.length as number,
      });
    },
  },
];

/** All sent at once, spread over `servers` in turn. */
function sendTogether(servers: TestApp[], count: number, send: (http: supertest.Agent, index: number) => supertest.Test) {
  return Promise.all(Array.from({ length: count }, (_, index) => send(servers[index % servers.length].http(), index)));
}

/** One response applied the write; every other one replays it: same status, same body, marked. */
function expectOneAppliedTheRestReplayed(responses: supertest.Response[], status: number): void {
  expect(responses.map((response) => response.status)).toEqual(responses.map(() => status));
  const fresh = responses.filter((response) => response.headers['idempotent-replayed'] === undefined);
  expect(fresh).toHaveLength(1);
  for (const response of responses) {
    expect(response.headers['idempotent-replayed']).toBe(response === fresh[0] ? undefined : 'true');
    expect(response.body).toEqual(fresh[0].body);
  }
}

describe('Idempotency-Key on writes', () => {
  let server: TestApp;
  let make: ReturnType<typeof factories>;

  beforeAll(async () => {
    server = await startTestApp();
    make = factories(server.http);
  });
  afterAll(() => server.close());

  async function runIdsOf(experimentId: string): Promise<string[]> {
    const response = await server.http().get(`/api/v1/experiments/${experimentId}/runs`).expect(200);
    return (response.body.runs as { id: string }[]).map((run) => run.id);
  }

  it('applies the first request once and answers a repeat with the stored response, marked as replayed', async () => {
    const experiment = await make.experiment();
    const first = await server
      .http()
      .post('/api/v1/runs')
      .set('Idempotency-Key', 'create-1')
      .send({ experiment_id: experiment.id })
      .expect(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const again = await server
      .http()
      .post('/api/v1/runs')
      .set('Idempotency-Key', 'create-1')
      .send({ experiment_id: experiment.id })
      .expect(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(await runIdsOf(experiment.id)).toEqual([first.body.id]);
  });

  it('answers 409 CONFLICT when a key comes back with a different request, and applies nothing', async () => {
    const experiment = await make.experiment();
    await server.http().post('/api/v1/runs').set('Idempotency-Key', 'create-2').send({ experiment_id: experiment.id }).expect(201);
    const other = await server
      .http()
      .post('/api/v1/runs')
      .set('Idempotency-Key', 'create-2')
      .send({ experiment_id: experiment.id, name: 'different' })
      .expect(409);
    expect(other.body).toEqual({
      error: { code: 'CONFLICT', message: expect.stringContaining('Idempotency-Key create-2 was already used') },
    });
    expect(await runIdsOf(experiment.id)).toHaveLength(1);
  });

  it('never stores a retried metric batch twice, even with server-assigned timestamps', async () => {
    const run = await make.runningRun();
    const batch = { metrics: [{ key: 'loss', step: 1, value: 0.5 }] };
    for (let attempt = 0; attempt < 3; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 3));
      const response = await server
        .http()
        .post(`/api/v1/runs/${run.id}/metrics/batch`)
        .set('Idempotency-Key', `batch-${run.id}`)
        .send(batch)
        .expect(201);
      expect(response.body).toEqual({ accepted: 1 });
    }
    const history = await server.http().get(`/api/v1/runs/${run.id}/metrics?key=loss`).expect(200);
    expect(history.body.metrics).toHaveLength(1);
    // Without a key, the same body sent twice is two points (their timestamps differ).
    await server.http().post(`/api/v1/runs/${run.id}/metrics/batch`).send(batch).expect(201);
    await new Promise((resolve) => setTimeout(resolve, 3));
    await server.http().post(`/api/v1/runs/${run.id}/metrics/batch`).send(batch).expect(201);
    expect((await server.http().get(`/api/v1/runs/${run.id}/metrics?key=loss`).expect(200)).body.metrics).toHaveLength(3);
  });

  it('replays a client error as it was answered (the outcome, not a second attempt)', async () => {
    const first = await server
      .http()
      .post('/api/v1/runs')
      .set('Idempotency-Key', 'bad-1')
      .send({ experiment_id: 'exp-missing' })
      .expect(404);
    const again = await server
      .http()
      .post('/api/v1/runs')
      .set('Idempotency-Key', 'bad-1')
      .send({ experiment_id: 'exp-missing' })
      .expect(404);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
  });

  it('lets concurrent requests with one key apply once', async () => {
    const experiment = await make.experiment();
    const responses = await Promise.all(
      Array.from({ length: 6 }, () =>
        server.http().post('/api/v1/runs').set('Idempotency-Key', `race-${experiment.id}`).send({ experiment_id: experiment.id }),
      ),
    );
    expect(responses.map((response) => response.status)).toEqual([201, 201, 201, 201, 201, 201]);
    expect(new Set(responses.map((response) => response.body.id as string)).size).toBe(1);
    expect(await runIdsOf(experiment.id)).toHaveLength(1);
  });

  it('keeps a run transition exactly once: a retried start is a replay, not a 409', async () => {
    const run = await make.run();
    await server.http().post(`/api/v1/runs/${run.id}/start`).set('Idempotency-Key', `start-${run.id}`).expect(200);
    const retried = await server.http().post(`/api/v1/runs/${run.id}/start`).set('Idempotency-Key', `start-${run.id}`).expect(200);
    expect(retried.body.status).toBe('running');
    expect(retried.headers['idempotent-replayed']).toBe('true');
  });

  it('works on the MLflow-compatible API too', async () => {
    const body = { experiment_id: '0', run_name: 'mlflow-once' };
    const first = await server.http().post('/api/2.0/mlflow/runs/create').set('Idempotency-Key', 'mlflow-create').send(body).expect(200);
    const again = await server.http().post('/api/2.0/mlflow/runs/create').set('Idempotency-Key', 'mlflow-create').send(body).expect(200);
    expect(again.body.run.info.run_id).toBe(first.body.run.info.run_id);
  });

  it('leaves raw uploads alone (they are idempotent by content and key): a JSON file keeps its bytes', async () => {
    const run = await make.runningRun();
    const file = '{"weights": [1, 2, 3]}';
    for (let attempt = 0; attempt < 2; attempt++) {
      const response = await server
        .http()
        .put(`/api/v1/runs/${run.id}/artifacts/model/config.json`)
        .set('Content-Type', 'application/json')
        .set('Idempotency-Key', `upload-${run.id}`)
        .send(file)
        .expect(201);
      expect(response.headers['idempotent-replayed']).toBeUndefined();
    }
    const back = await server
      .http()
      .get(`/api/v1/runs/${run.id}/artifacts/model/config.json`)
      .buffer(true)
      .parse((res, done) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => done(null, body));
      });
    expect(back.body).toBe(file);
  });

  it('refuses a key that is empty, too long or not visible ASCII', async () => {
    const response = await server
      .http()
      .post('/api/v1/experiments')
      .set('Idempotency-Key', 'x'.repeat(256))
      .send({ name: 'never-created' })
      .expect(400);
    expect(response.body).toEqual({ error: { code: 'INVALID_REQUEST', message: expect.stringContaining('Idempotency-Key') } });
    const list = await server.http().get('/api/v1/experiments?name=never-created').expect(200);
    expect(list.body.experiments).toEqual([]);
  });

  it('keeps outcomes at least 24 hours, then forgets them', async () => {
    const experiment = await make.experiment();
    await server.http().post('/api/v1/runs').set('Idempotency-Key', 'old-key').send({ experiment_id: experiment.id }).expect(201);
    const idempotency = server.app.get(IdempotencyService);
    expect(await idempotency.cleanup(Date.now() + IDEMPOTENCY_RETENTION_MS - 60_000)).toBe(0);
    expect(await idempotency.cleanup(Date.now() + IDEMPOTENCY_RETENTION_MS + 60_000)).toBeGreaterThanOrEqual(1);
    // Forgotten: the same key now makes a new run.
    await server.http().post('/api/v1/runs').set('Idempotency-Key', 'old-key').send({ experiment_id: experiment.id }).expect(201);
    expect(await runIdsOf(experiment.id)).toHaveLength(2);
  });

  describe('overlapping retries with one key wait for the first and replay its outcome', () => {
    it.each(WRITE_CASES.map((write) => [write.name, write]))('%s: applied once, %#', async (_name, write) => {
      const { send, status, applied } = await write.prepare(make, server.http);
      const key = uniqueName('overlap');
      const responses = await sendTogether([server], RETRIES, (http) => send(http, key));
      expectOneAppliedTheRestReplayed(responses, status);
      expect(await applied()).toBe(1);
    });

    it('replays a client error to the requests that waited for it, as it was answered', async () => {
      const key = uniqueName('overlap-4xx');
      const responses = await sendTogether([server], RETRIES, (http) =>
        http.post('/api/v1/runs').set('Idempotency-Key', key).send({ experiment_id: 'exp-missing' }),
      );
      expectOneAppliedTheRestReplayed(responses, 404);
      expect(responses[0].body).toEqual({ error: { code: 'NOT_FOUND', message: expect.any(String) } });
    });

    it('answers 409 to every request that reuses the key with a different body, once the first has finished', async () => {
      const names = [uniqueName('first'), uniqueName('second')];
      const key = uniqueName('overlap-conflict');
      const responses = await sendTogether([server], RETRIES, (http, index) =>
        http
          .post('/api/v1/experiments')
          .set('Idempotency-Key', key)
          .send({ name: names[index % 2] }),
      );
      // Whichever body came first is applied once and replayed; the other body is refused.
      const winner = responses.find((response) => response.status === 201 && response.headers['idempotent-replayed'] === undefined);
      expect(winner).toBeDefined();
      const winnerName = winner?.body.name as string;
      const sameBody = responses.filter((_response, index) => names[index % 2] === winnerName);
      const otherBody = responses.filter((_response, index) => names[index % 2] !== winnerName);
      expectOneAppliedTheRestReplayed(sameBody, 201);
      for (const response of otherBody) {
        expect(response.status).toBe(409);
        expect(response.body).toEqual({
          error: { code: 'CONFLICT', message: expect.stringContaining(`Idempotency-Key ${key} was already used`) },
        });
      }
      for (const name of names) {
        const listed = await server.http().get('/api/v1/experiments').query({ name }).expect(200);
        expect(listed.body.experiments).toHaveLength(name === winnerName ? 1 : 0);
      }
    });

    it('lets the waiters go when the first fails with a 5xx: each retries, none hangs, and nothing is recorded', async () => {
      const name = uniqueName('refused');
      const sql = server.app.get(SqlClient);
      // A database failure the server did not cause the client to make: a trigger refusing this name.
      if (testDatabaseKind() === 'postgres') {
        await sql.execute(`CREATE FUNCTION refuse_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$`);
        await sql.execute(
          `CREATE TRIGGER refuse_experiment BEFORE INSERT ON experiments FOR EACH ROW WHEN (NEW.name = '${name}') EXECUTE FUNCTION refuse_insert()`,
        );
      } else {
        await sql.execute(
          `CREATE TRIGGER refuse_experiment BEFORE INSERT ON experiments WHEN NEW.name = '${name}' BEGIN SELECT RAISE(ABORT, 'refused'); END`,
        );
      }
      const key = uniqueName('overlap-5xx');
      const send = (http: supertest.Agent) => http.post('/api/v1/experiments').set('Idempotency-Key', key).send({ name });
      try {
        const failed = await sendTogether([server], RETRIES, send);
        expect(failed.map((response) => response.status)).toEqual(failed.map(() => 500));
        expect(failed.filter((response) => response.headers['idempotent-replayed'] !== undefined)).toEqual([]);
      } finally {
        await sql.execute(
          testDatabaseKind() === 'postgres' ? 'DROP TRIGGER refuse_experiment ON experiments' : 'DROP TRIGGER refuse_experiment',
        );
      }
      const retried = await send(server.http()).expect(201);
      expect(retried.headers['idempotent-replayed']).toBeUndefined();
      expect((await server.http().get('/api/v1/experiments').query({ name }).expect(200)).body.experiments).toHaveLength(1);
    });

    it('lets the next waiter apply the write when the first fails with a 5xx, and the rest replay that', async () => {
      const name = uniqueName('refused-once');
      const sql = server.app.get(SqlClient);
      // Only the first insert of this name fails: the count lives outside any transaction (a
      // PostgreSQL sequence, a JavaScript function on SQLite), so a rollback does not reset it.
      if (testDatabaseKind() === 'postgres') {
        await sql.execute('CREATE SEQUENCE refuse_once_count');
        await sql.execute(
          `CREATE FUNCTION refuse_once() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF nextval('refuse_once_count') = 1 THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$`,
        );
        await sql.execute(
          `CREATE TRIGGER refuse_once BEFORE INSERT ON experiments FOR EACH ROW WHEN (NEW.name = '${name}') EXECUTE FUNCTION refuse_once()`,
        );
      } else {
        let inserts = 0;
        sql
          .sqlite()
          .function('refuse_once', { deterministic: false }, (inserted: unknown) => (inserted === name && ++inserts === 1 ? 1 : 0));
        await sql.execute(
          `CREATE TRIGGER refuse_once BEFORE INSERT ON experiments WHEN refuse_once(NEW.name) BEGIN SELECT RAISE(ABORT, 'refused'); END`,
        );
      }
      const key = uniqueName('overlap-5xx-once');
      let responses: supertest.Response[];
      try {
        responses = await sendTogether([server], RETRIES, (http) =>
          http.post('/api/v1/experiments').set('Idempotency-Key', key).send({ name }),
        );
      } finally {
        await sql.execute(testDatabaseKind() === 'postgres' ? 'DROP TRIGGER refuse_once ON experiments' : 'DROP TRIGGER refuse_once');
      }
      const failed = responses.filter((response) => response.status === 500);
      expect(failed).toHaveLength(1);
      expect(failed[0].headers['idempotent-replayed']).toBeUndefined();
      expectOneAppliedTheRestReplayed(
        responses.filter((response) => response !== failed[0]),
        201,
      );
      expect((await server.http().get('/api/v1/experiments').query({ name }).expect(200)).body.experiments).toHaveLength(1);
    });
  });

  // Replicas share one database only on PostgreSQL: SQLite is one server per file (README,
  // Storage), and two servers in one process on one file would each block the event loop in
  // better-sqlite3's synchronous busy wait while the other holds the write lock.
  (testDatabaseKind() === 'postgres' ? describe : describe.skip)('overlapping retries spread over two replicas', () => {
    let replica: TestApp;

    beforeAll(async () => {
      replica = await startTestApp({}, { sharedStorage: server.storage });
    });
    afterAll(() => replica.close());

    it.each(WRITE_CASES.map((write) => [write.name, write]))('%s: applied once across both, %#', async (_name, write) => {
      const { send, status, applied } = await write.prepare(make, server.http);
      const key = uniqueName('replicas');
      const responses = await sendTogether([server, replica], RETRIES, (http) => send(http, key));
      expectOneAppliedTheRestReplayed(responses, status);
      expect(await applied()).toBe(1);
    });
  });
});
