import { IdempotencyService, IDEMPOTENCY_RETENTION_MS } from '../../src/modules/idempotency/idempotency.service.js';
import { factories } from '../support/factories.js';
import { startTestApp, TestApp } from '../support/test-app.js';

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
});
