import { testDatabaseKind } from '../support/database.js';
import { dataOf, EventStreamReader, openEventStream, StreamEvent } from '../support/event-stream.js';
import { factories, RunBody } from '../support/factories.js';
import { startTestApp, TestApp } from '../support/test-app.js';

interface ChangeData {
  run_id: string;
  experiment_id: string;
  kinds: string[];
  metric_keys?: string[];
}

const isReady = (event: StreamEvent) => event.event === 'ready';
const isChange = (event: StreamEvent) => event.event === 'change';
const changesIn = (stream: EventStreamReader): ChangeData[] => stream.events.filter(isChange).map((event) => dataOf<ChangeData>(event));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A change event of `runId` that names `kind`, seen on `stream`. */
async function changeOf(stream: EventStreamReader, runId: string, kind: string): Promise<ChangeData> {
  const event = await stream.waitFor(
    (candidate) =>
      isChange(candidate) && dataOf<ChangeData>(candidate).run_id === runId && dataOf<ChangeData>(candidate).kinds.includes(kind),
  );
  return dataOf<ChangeData>(event);
}

describe('live event streams over HTTP', () => {
  let server: TestApp;
  let make: ReturnType<typeof factories>;
  const streams: EventStreamReader[] = [];

  async function open(path: string, headers: Record<string, string> = {}, on: TestApp = server): Promise<EventStreamReader> {
    const stream = await openEventStream(`${on.url}${path}`, headers);
    streams.push(stream);
    return stream;
  }

  beforeAll(async () => {
    server = await startTestApp();
    make = factories(server.http);
  });
  afterEach(() => streams.splice(0).forEach((stream) => stream.close()));
  afterAll(() => server.close());

  it('answers a run stream as text/event-stream, unbuffered and uncached, starting with a ready event', async () => {
    const run = await make.run();
    const stream = await open(`/api/v1/runs/${run.id}/events`);

    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(stream.headers.get('x-accel-buffering')).toBe('no');
    expect(stream.headers.get('cache-control')).toContain('no-cache');
    const ready = await stream.waitFor(() => true);
    expect(ready.event).toBe('ready');
    expect(dataOf(ready)).toEqual({ run_id: run.id });
  });

  it('turns a batch of 1,000 points into at most 2 change events naming metrics and the keys', async () => {
    const run = await make.runningRun();
    // Changes made up to a flush interval before a stream opens may still reach it: let those of the run's start go by.
    await sleep(300);
    const stream = await open(`/api/v1/runs/${run.id}/events`);
    await stream.waitFor(isReady);
    const points = Array.from({ length: 1000 }, (_, step) => ({ key: step % 2 === 0 ? 'loss' : 'val/acc', step, value: 1 / (step + 1) }));

    await server.http().post(`/api/v1/runs/${run.id}/metrics/batch`).send({ metrics: points }).expect(201);

    await changeOf(stream, run.id, 'metrics');
    // Whatever else comes for this write comes within a flush interval or two.
    await sleep(750);
    const changes = changesIn(stream);
    expect(changes.length).toBeGreaterThanOrEqual(1);
    expect(changes.length).toBeLessThanOrEqual(2);
    for (const change of changes) {
      expect(change).toEqual({ run_id: run.id, experiment_id: run.experiment_id, kinds: ['metrics'], metric_keys: ['loss', 'val/acc'] });
    }
  });

  it('merges points logged one request at a time, also through the MLflow routes, into few events', async () => {
    const run = await make.runningRun();
    const stream = await open(`/api/v1/runs/${run.id}/events`);
    await stream.waitFor(isReady);

    const startedAt = Date.now();
    for (let step = 0; step < 40; step++) {
      await server.http().post(`/api/v1/runs/${run.id}/metrics`).send({ key: 'loss', step, value: step }).expect(201);
      await server
        .http()
        .post('/api/2.0/mlflow/runs/log-metric')
        .send({ run_id: run.id, key: 'mlflow_loss', value: step, timestamp: Date.now(), step })
        .expect(200);
    }
    const elapsedMs = Date.now() - startedAt;
    await sleep(600);

    const changes = changesIn(stream);
    const keys = new Set(changes.flatMap((change) => change.metric_keys ?? []));
    expect(keys).toEqual(new Set(['loss', 'mlflow_loss']));
    // 80 writes; at most one event per 250 ms while they came, and one after.
    expect(changes.length).toBeLessThanOrEqual(Math.ceil(elapsedMs / 250) + 1);
  });

  it('shows a status change and a logged param', async () => {
    const run = await make.run();
    const stream = await open(`/api/v1/runs/${run.id}/events`);
    await stream.waitFor(isReady);

    await server.http().post(`/api/v1/runs/${run.id}/start`).expect(200);
    expect(await changeOf(stream, run.id, 'status')).toMatchObject({ run_id: run.id, experiment_id: run.experiment_id });
    await server.http().post(`/api/v1/runs/${run.id}/params`).send({ key: 'lr', value: 0.01 }).expect(201);
    expect((await changeOf(stream, run.id, 'params')).kinds).toContain('params');
  });

  it('shows MLflow tags, params and run updates', async () => {
    const run = await make.runningRun();
    const stream = await open(`/api/v1/runs/${run.id}/events`);
    await stream.waitFor(isReady);

    const about = { run_id: run.id, experiment_id: run.experiment_id };
    await server.http().post('/api/2.0/mlflow/runs/set-tag').send({ run_id: run.id, key: 'team', value: 'vision' }).expect(200);
    expect(await changeOf(stream, run.id, 'tags')).toMatchObject(about);
    await server.http().post('/api/2.0/mlflow/runs/log-parameter').send({ run_id: run.id, key: 'seed', value: '1' }).expect(200);
    expect(await changeOf(stream, run.id, 'params')).toMatchObject(about);
    await server.http().post('/api/2.0/mlflow/runs/update').send({ run_id: run.id, status: 'FINISHED', end_time: Date.now() }).expect(200);
    expect(await changeOf(stream, run.id, 'status')).toMatchObject(about);
  });

  it("carries every run of an experiment on the experiment's stream, a run created after it opened included", async () => {
    const experiment = await make.experiment();
    const other = await make.runningRun();
    const stream = await open(`/api/v1/experiments/${experiment.id}/events`);
    expect(dataOf(await stream.waitFor(isReady))).toEqual({ experiment_id: experiment.id });

    const run: RunBody = await make.run(experiment.id);
    expect(await changeOf(stream, run.id, 'created')).toEqual({ run_id: run.id, experiment_id: experiment.id, kinds: ['created'] });
    await server.http().post(`/api/v1/runs/${run.id}/start`).expect(200);
    await server
      .http()
      .post(`/api/v1/runs/${run.id}/metrics/batch`)
      .send({ metrics: [{ key: 'loss', step: 0, value: 1 }] })
      .expect(201);
    await server.http().post(`/api/v1/runs/${other.id}/metrics`).send({ key: 'loss', step: 0, value: 1 }).expect(201);

    expect((await changeOf(stream, run.id, 'metrics')).metric_keys).toEqual(['loss']);
    await sleep(300);
    expect(changesIn(stream).every((change) => change.run_id === run.id && change.experiment_id === experiment.id)).toBe(true);
  });

  it('answers an unknown run or experiment with the 404 envelope, not a stream', async () => {
    const run = await open('/api/v1/runs/run-0000000000000000000000000000dead/events');
    expect(run.status).toBe(404);
    expect(run.headers.get('content-type')).toMatch(/^application\/json/);
    expect(run.body).toEqual({ error: { code: 'NOT_FOUND', message: 'Run not found: run-0000000000000000000000000000dead' } });

    const experiment = await open('/api/v1/experiments/exp-nope/events');
    expect(experiment.status).toBe(404);
    expect(experiment.body).toEqual({ error: { code: 'NOT_FOUND', message: 'Experiment not found: exp-nope' } });
  });

  it('ends open streams when the server stops, so stopping does not wait for them', async () => {
    const stopping = await startTestApp();
    const run = await factories(stopping.http).run();
    const stream = await open(`/api/v1/runs/${run.id}/events`, {}, stopping);
    await stream.waitFor(isReady);

    await stopping.close();

    await stream.ended;
    expect(stream.events.filter(isReady)).toHaveLength(1);
  });
});

describe('live event streams with API keys', () => {
  const KEY = 'live-events-key-0123456789abcdef';
  let server: TestApp;

  beforeAll(async () => {
    server = await startTestApp({ authType: 'api_key', apiKeys: [KEY] });
  });
  afterAll(() => server.close());

  it('refuses a stream without the key with 401, and streams with it', async () => {
    const run = await factories(server.http, { Authorization: `Bearer ${KEY}` }).run();

    const refused = await openEventStream(`${server.url}/api/v1/runs/${run.id}/events`);
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({ error: { code: 'UNAUTHORIZED' } });

    const allowed = await openEventStream(`${server.url}/api/v1/runs/${run.id}/events`, { Authorization: `Bearer ${KEY}` });
    try {
      expect(allowed.status).toBe(200);
      expect(dataOf(await allowed.waitFor(isReady))).toEqual({ run_id: run.id });
    } finally {
      allowed.close();
    }
  });
});

(testDatabaseKind() === 'postgres' ? describe : describe.skip)('live event streams across two replicas of one database', () => {
  let first: TestApp;
  let second: TestApp;

  beforeAll(async () => {
    first = await startTestApp();
    second = await startTestApp({}, { sharedStorage: first.storage });
  });
  afterAll(async () => {
    await second?.close();
    await first?.close();
  });

  it('shows on a stream of one replica, once, what was written through the other', async () => {
    const experiment = await factories(first.http).experiment();
    const stream = await openEventStream(`${second.url}/api/v1/experiments/${experiment.id}/events`);
    try {
      await stream.waitFor(isReady);
      const run = await factories(first.http).runningRun(experiment.id);
      await first.http().post(`/api/v1/runs/${run.id}/metrics`).send({ key: 'loss', step: 0, value: 1 }).expect(201);

      await changeOf(stream, run.id, 'metrics');
      await sleep(600);
      const changes = changesIn(stream).filter((change) => change.run_id === run.id);
      expect(changes.flatMap((change) => change.kinds)).toEqual(expect.arrayContaining(['created', 'status', 'metrics']));
      // Merged, never repeated: at most one event per flush for three writes.
      expect(changes.length).toBeLessThanOrEqual(3);
    } finally {
      stream.close();
    }
  });
});
