import { RunActivityService, SILENT_RUN_REASON_PREFIX } from '../../src/modules/runs/run-activity.service.js';
import { factories } from '../support/factories.js';
import { startTestApp, TestApp } from '../support/test-app.js';

const HOUR_MS = 3600 * 1000;

describe('run liveness: heartbeats and the sweep of silent runs', () => {
  let server: TestApp;
  let make: ReturnType<typeof factories>;
  let activity: RunActivityService;

  beforeAll(async () => {
    server = await startTestApp({ runTimeoutSecs: 3600 });
    make = factories(server.http);
    activity = server.app.get(RunActivityService);
  });
  afterAll(() => server.close());

  it('POST /runs/{id}/heartbeat answers the run and moves last_activity_at forward', async () => {
    const run = await make.runningRun();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const beat = await server.http().post(`/api/v1/runs/${run.id}/heartbeat`).expect(200);
    expect(beat.body).toMatchObject({ id: run.id, status: 'running' });
    expect(Date.parse(beat.body.last_activity_at)).toBeGreaterThan(Date.parse(run.started_at ?? ''));
  });

  it('answers 404 for an unknown run and 400 for body fields', async () => {
    const missing = await server.http().post('/api/v1/runs/run-nope/heartbeat').expect(404);
    expect(missing.body).toEqual({ error: { code: 'NOT_FOUND', message: 'Run not found: run-nope' } });
    const run = await make.runningRun();
    const withBody = await server.http().post(`/api/v1/runs/${run.id}/heartbeat`).send({ alive: true }).expect(400);
    expect(withBody.body).toEqual({ error: { code: 'INVALID_REQUEST', message: 'alive: unknown field' } });
  });

  it('fails running runs silent for longer than --run-timeout-secs, saying why, and leaves the others', async () => {
    const silent = await make.runningRun();
    const pending = await make.run();
    const finished = await make.runningRun();
    await server.http().post(`/api/v1/runs/${finished.id}/complete`).send({ status: 'success' }).expect(200);

    const failed = await activity.sweep(Date.now() + HOUR_MS + 60_000);
    expect(failed).toContain(silent.id);
    expect(failed).not.toContain(pending.id);
    expect(failed).not.toContain(finished.id);
    const after = await server.http().get(`/api/v1/runs/${silent.id}`).expect(200);
    expect(after.body).toMatchObject({ status: 'failed', ended_at: expect.any(String) });
    expect(after.body.status_reason).toMatch(new RegExp(`^${SILENT_RUN_REASON_PREFIX}`));
    expect(after.body.status_reason).toContain('3600 s');
    expect((await server.http().get(`/api/v1/runs/${pending.id}`).expect(200)).body.status).toBe('pending');
    expect((await server.http().get(`/api/v1/runs/${finished.id}`).expect(200)).body.status).toBe('success');
  });

  it('brings a swept run back to running when it turns out to be alive (a write arrives)', async () => {
    const run = await make.runningRun();
    expect(await activity.sweep(Date.now() + HOUR_MS + 60_000)).toContain(run.id);
    await server.http().post(`/api/v1/runs/${run.id}/metrics`).send({ key: 'loss', step: 1, value: 0.5 }).expect(201);
    const revived = (await server.http().get(`/api/v1/runs/${run.id}`).expect(200)).body;
    expect(revived).toMatchObject({ status: 'running', status_reason: null, ended_at: null });
    await server.http().post(`/api/v1/runs/${run.id}/complete`).send({ status: 'success' }).expect(200);
  });

  it('does not revive a run that failed for its own reasons', async () => {
    const run = await make.runningRun();
    await server.http().post(`/api/v1/runs/${run.id}/complete`).send({ status: 'failed', reason: 'CUDA out of memory' }).expect(200);
    await server.http().post(`/api/v1/runs/${run.id}/metrics`).send({ key: 'loss', step: 1, value: 0.5 }).expect(201);
    expect((await server.http().get(`/api/v1/runs/${run.id}`).expect(200)).body).toMatchObject({
      status: 'failed',
      status_reason: 'CUDA out of memory',
    });
  });
});

/** Polls the run until the sweep has moved it off `running` (or 15 s pass); returns its status then. */
async function statusOnceNotRunning(server: TestApp, runId: string): Promise<string> {
  const deadline = Date.now() + 15_000;
  let status = 'running';
  while (status === 'running' && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    status = (await server.http().get(`/api/v1/runs/${runId}`).expect(200)).body.status as string;
  }
  return status;
}

describe('the sweep on its own timer', () => {
  it('marks a silent running run failed within a few seconds when --run-timeout-secs is 1', async () => {
    const server = await startTestApp({ runTimeoutSecs: 1 });
    try {
      const run = await factories(server.http).runningRun();
      expect(await statusOnceNotRunning(server, run.id)).toBe('failed');
    } finally {
      await server.close();
    }
  });

  it('counts writes as signs of life: a run that keeps logging stays running, and fails once it stops', async () => {
    const server = await startTestApp({ runTimeoutSecs: 2 });
    try {
      const run = await factories(server.http).runningRun();
      for (let step = 0; step < 10; step++) {
        await server
          .http()
          .post(`/api/v1/runs/${run.id}/metrics`)
          .send({ key: 'loss', step, value: 1 / (step + 1) })
          .expect(201);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      // 5 s of training, longer than the 2 s timeout, and still running.
      expect((await server.http().get(`/api/v1/runs/${run.id}`).expect(200)).body.status).toBe('running');
      expect(await statusOnceNotRunning(server, run.id)).toBe('failed');
    } finally {
      await server.close();
    }
  });
});
