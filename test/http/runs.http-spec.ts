import type supertest from 'supertest';
import { collectPages, ExperimentBody, factories, RunBody, runInStatus, RunStatusName } from '../support/factories.js';
import { expectError, expectTimeWithin, requestIdRecorder, RFC3339_UTC, RUN_ID, unknownId } from '../support/http-checks.js';
import { startTestApp, TestApp } from '../support/test-app.js';

/** Names the server makes up for unnamed runs, e.g. `orderly-quail-568`. */
const GENERATED_NAME = /^[a-z]+-[a-z]+-\d{1,3}$/;

describe('runs over HTTP', () => {
  let server: TestApp;
  let make: ReturnType<typeof factories>;
  let recorder: ReturnType<typeof requestIdRecorder>;
  /** supertest on the server under test; every response it gets is checked for an x-request-id. */
  let http: () => supertest.Agent;
  /** An experiment shared by the tests that do not list runs. */
  let shared: ExperimentBody;

  beforeAll(async () => {
    server = await startTestApp();
    recorder = requestIdRecorder(server.http);
    http = recorder.http;
    make = factories(http);
    shared = await make.experiment();
  });
  afterAll(() => server.close());
  afterEach(() => {
    expect(recorder.takeMissing()).toEqual([]);
  });

  /** Every active run of an experiment, newest first, read in one page. */
  async function runsOf(experimentId: string): Promise<RunBody[]> {
    const response = await http().get(`/api/v1/experiments/${experimentId}/runs`).query({ max_results: 1000 }).expect(200);
    const body = response.body as { runs: RunBody[]; next_page_token?: string };
    expect(body.next_page_token).toBeUndefined();
    return body.runs;
  }

  async function getRun(runId: string): Promise<RunBody> {
    return (await http().get(`/api/v1/runs/${runId}`).expect(200)).body as RunBody;
  }

  describe('POST /api/v1/runs', () => {
    it('answers 201 with a pending run: id, experiment_id, name, status, times, nothing started or ended', async () => {
      const before = Date.now();
      const response = await http()
        .post('/api/v1/runs')
        .send({ experiment_id: shared.id, name: 'baseline-lr-1e-3' })
        .expect('content-type', /^application\/json/)
        .expect(201);
      const after = Date.now();
      expect(response.body).toEqual({
        id: expect.stringMatching(RUN_ID),
        experiment_id: shared.id,
        name: 'baseline-lr-1e-3',
        status: 'pending',
        status_reason: null,
        lifecycle_stage: 'active',
        created_at: expect.any(String),
        started_at: null,
        ended_at: null,
        updated_at: expect.any(String),
        last_activity_at: null,
      });
      expectTimeWithin(response.body.created_at, before, after);
      expect(response.body.updated_at).toBe(response.body.created_at);
    });

    it('accepts the seed example exactly as written (an experiment_id only)', async () => {
      const response = await http()
        .post('/api/v1/runs')
        .set('Content-Type', 'application/json')
        .send(`{\n  "experiment_id": "${shared.id}"\n}`)
        .expect(201);
      expect(response.body).toMatchObject({ experiment_id: shared.id, status: 'pending' });
      expect(response.body.id).toMatch(RUN_ID);
      expect(response.body.created_at).toMatch(RFC3339_UTC);
    });

    it('is then readable by GET /api/v1/runs/{id}, identical to the creation response', async () => {
      const created = await make.run(shared.id, { name: 'readable' });
      await http()
        .get(`/api/v1/runs/${created.id}`)
        .expect('content-type', /^application\/json/)
        .expect(200, created);
    });

    it('generates a readable name when none is given, and keeps it', async () => {
      const runs: RunBody[] = [];
      for (let index = 0; index < 10; index += 1) {
        runs.push(await make.run(shared.id));
      }
      for (const run of runs) {
        expect(run.name).toMatch(GENERATED_NAME);
        expect((await getRun(run.id)).name).toBe(run.name);
      }
      // 32 × 32 × 1000 possible names: ten identical ones would mean they are not generated per run.
      expect(new Set(runs.map((run) => run.name)).size).toBeGreaterThan(1);
    });

    it('accepts a run name of exactly 250 characters', async () => {
      const name = 'r'.repeat(250);
      const run = await make.run(shared.id, { name });
      expect(run.name).toBe(name);
      expect((await getRun(run.id)).name).toBe(name);
    });

    it('keeps a non-ASCII run name exactly', async () => {
      const name = 'Lauf Über 日本語 🚀';
      const run = await make.run(shared.id, { name });
      expect((await getRun(run.id)).name).toBe(name);
    });

    it('allows two runs of one experiment to share a name (names are labels, ids identify)', async () => {
      const experiment = await make.experiment();
      const first = await make.run(experiment.id, { name: 'same' });
      const second = await make.run(experiment.id, { name: 'same' });
      expect(second.id).not.toBe(first.id);
      expect((await runsOf(experiment.id)).map((run) => run.id)).toEqual([second.id, first.id]);
    });

    it('creates runs in the Default experiment "0"', async () => {
      const run = await make.run('0');
      expect(run.experiment_id).toBe('0');
      expect((await runsOf('0')).map((listed) => listed.id)).toContain(run.id);
    });

    it('answers 404 NOT_FOUND for an unknown experiment, and creates nothing', async () => {
      const missing = unknownId('exp');
      const response = await http().post('/api/v1/runs').send({ experiment_id: missing, name: 'orphan' });
      expectError(response, 404, 'NOT_FOUND', `Experiment not found: ${missing}`);
      expectError(await http().get(`/api/v1/experiments/${missing}/runs`), 404, 'NOT_FOUND', `Experiment not found: ${missing}`);
      expectError(await http().get(`/api/v1/experiments/${missing}`), 404, 'NOT_FOUND', `Experiment not found: ${missing}`);
    });

    it('answers 404 NOT_FOUND when experiment_id is a run id', async () => {
      const run = await make.run(shared.id);
      const response = await http().post('/api/v1/runs').send({ experiment_id: run.id });
      expectError(response, 404, 'NOT_FOUND', `Experiment not found: ${run.id}`);
    });

    const invalidBodies: [string, Record<string, unknown>, string][] = [
      ['no experiment_id', { experiment_id: undefined, name: 'x' }, 'experiment_id: must be a string'],
      ['an empty experiment_id', { experiment_id: '' }, 'experiment_id: must not be empty'],
      ['a numeric experiment_id', { experiment_id: 0 }, 'experiment_id: must be a string'],
      ['a null experiment_id', { experiment_id: null }, 'experiment_id: must be a string'],
      ['an empty name', { name: '' }, 'name: must not be empty'],
      ['a name of 251 characters', { name: 'r'.repeat(251) }, 'name: must be at most 250 characters'],
      ['a null name', { name: null }, 'name: must be a string'],
      ['a numeric name', { name: 7 }, 'name: must be a string'],
      ['an unknown field', { tags: { team: 'a' } }, 'tags: unknown field'],
      ['a status chosen by the client', { status: 'running' }, 'status: unknown field'],
      ['an id chosen by the client', { id: 'run-mine' }, 'id: unknown field'],
    ];

    it.each(invalidBodies)('answers 400 INVALID_REQUEST naming the field for %s, and creates nothing', async (_label, body, message) => {
      const experiment = await make.experiment();
      const response = await http()
        .post('/api/v1/runs')
        .send({ experiment_id: experiment.id, ...body });
      expectError(response, 400, 'INVALID_REQUEST', message);
      expect(await runsOf(experiment.id)).toEqual([]);
    });

    it.each([
      ['truncated JSON', (id: string) => `{"experiment_id": "${id}"`],
      ['a trailing comma', (id: string) => `{"experiment_id": "${id}",}`],
      ['a bare string', (id: string) => `"${id}"`],
    ])('answers 400 INVALID_REQUEST for a malformed JSON body (%s), and creates nothing', async (_label, text) => {
      const experiment = await make.experiment();
      const response = await http().post('/api/v1/runs').set('Content-Type', 'application/json').send(text(experiment.id));
      expectError(response, 400, 'INVALID_REQUEST', /^malformed JSON body/);
      expect(await runsOf(experiment.id)).toEqual([]);
    });

    it('gives unguessable ids: run- and 32 random hex digits, all different', async () => {
      const runs: RunBody[] = [];
      for (let index = 0; index < 20; index += 1) {
        runs.push(await make.run(shared.id));
      }
      const ids = runs.map((run) => run.id);
      for (const id of ids) {
        expect(id).toMatch(RUN_ID);
      }
      expect(new Set(ids).size).toBe(ids.length);
      for (let index = 1; index < ids.length; index += 1) {
        expect(ids[index].slice(0, 12)).not.toBe(ids[index - 1].slice(0, 12));
      }
      expect(new Set(ids.join('').replace(/run-/g, '')).size).toBe(16);
    });
  });

  describe('GET /api/v1/runs/{id}', () => {
    it.each([
      ['a well-formed id nobody has', unknownId('run')],
      ['an experiment id', '0'],
      ['an SQL fragment', "' OR '1'='1"],
      ['a very long id', `run-${'b'.repeat(600)}`],
    ])('answers 404 NOT_FOUND in the envelope for %s', async (_label, id) => {
      const response = await http().get(`/api/v1/runs/${encodeURIComponent(id)}`);
      expectError(response, 404, 'NOT_FOUND', `Run not found: ${id}`);
    });

    it('answers 404 NOT_FOUND for a run id in a different case', async () => {
      const run = await make.run(shared.id);
      const response = await http().get(`/api/v1/runs/${run.id.toUpperCase()}`);
      expectError(response, 404, 'NOT_FOUND', `Run not found: ${run.id.toUpperCase()}`);
    });
  });

  describe('lifecycle', () => {
    it('starts a pending run: 200, status running, started_at set now, ended_at still null', async () => {
      const run = await make.run(shared.id);
      const before = Date.now();
      const response = await http().post(`/api/v1/runs/${run.id}/start`).expect(200);
      const after = Date.now();
      expect(response.body).toEqual({
        ...run,
        status: 'running',
        started_at: expect.any(String),
        updated_at: expect.any(String),
      });
      expectTimeWithin(response.body.started_at, before, after);
      expect(response.body.updated_at).toBe(response.body.started_at);
      expect(Date.parse(response.body.started_at)).toBeGreaterThanOrEqual(Date.parse(run.created_at));
      expect(await getRun(run.id)).toEqual(response.body);
    });

    it('accepts the seed example of starting a run exactly as written (no body)', async () => {
      const run = await make.run(shared.id);
      const response = await http().post(`/api/v1/runs/${run.id}/start`).expect(200);
      expect(response.body.status).toBe('running');
    });

    it('answers 400 INVALID_REQUEST naming an unknown field sent to start, and leaves the run pending', async () => {
      const run = await make.run(shared.id);
      const response = await http().post(`/api/v1/runs/${run.id}/start`).send({ status: 'running' });
      expectError(response, 400, 'INVALID_REQUEST', 'status: unknown field');
      expect(await getRun(run.id)).toEqual(run);
    });

    it('answers 400 INVALID_REQUEST for a JSON array sent to start, and leaves the run pending', async () => {
      const run = await make.run(shared.id);
      const response = await http()
        .post(`/api/v1/runs/${run.id}/start`)
        .send([{ status: 'running' }]);
      expectError(response, 400, 'INVALID_REQUEST', 'body: must be empty or an empty JSON object');
      expect(await getRun(run.id)).toEqual(run);
    });

    it('accepts an empty JSON object as the body of start', async () => {
      const run = await make.run(shared.id);
      const response = await http().post(`/api/v1/runs/${run.id}/start`).send({}).expect(200);
      expect(response.body.status).toBe('running');
    });

    it('answers 400 INVALID_REQUEST for a malformed JSON body sent to start, and leaves the run pending', async () => {
      const run = await make.run(shared.id);
      const response = await http().post(`/api/v1/runs/${run.id}/start`).set('Content-Type', 'application/json').send('{"x":');
      expectError(response, 400, 'INVALID_REQUEST', /^malformed JSON body/);
      expect(await getRun(run.id)).toEqual(run);
    });

    it.each<RunStatusName>(['running', 'success', 'failed', 'cancelled'])(
      'answers 409 CONFLICT to start a %s run, and changes nothing',
      async (status) => {
        const run = await runInStatus(http, shared.id, status);
        const response = await http().post(`/api/v1/runs/${run.id}/start`);
        expectError(response, 409, 'CONFLICT', `run ${run.id} is ${status}; it can become running only from pending`);
        expect(await getRun(run.id)).toEqual(run);
      },
    );

    it.each<[string, 'success' | 'failed']>([
      ['success', 'success'],
      ['failed', 'failed'],
    ])('completes a running run as %s: 200, ended_at set now, started_at kept', async (_label, status) => {
      const running = await make.runningRun(shared.id);
      const before = Date.now();
      const response = await http().post(`/api/v1/runs/${running.id}/complete`).send({ status }).expect(200);
      const after = Date.now();
      expect(response.body).toEqual({
        ...running,
        status,
        ended_at: expect.any(String),
        updated_at: expect.any(String),
      });
      expectTimeWithin(response.body.ended_at, before, after);
      expect(response.body.updated_at).toBe(response.body.ended_at);
      expect(response.body.started_at).toBe(running.started_at);
      expect(Date.parse(response.body.ended_at)).toBeGreaterThanOrEqual(Date.parse(running.started_at as string));
      expect(await getRun(running.id)).toEqual(response.body);
    });

    it('cancels a running run: 200, ended_at set, started_at kept', async () => {
      const running = await make.runningRun(shared.id);
      const response = await http().post(`/api/v1/runs/${running.id}/complete`).send({ status: 'cancelled' }).expect(200);
      expect(response.body).toMatchObject({ status: 'cancelled', started_at: running.started_at });
      expect(response.body.ended_at).toMatch(RFC3339_UTC);
      expect(await getRun(running.id)).toEqual(response.body);
    });

    it('cancels a pending run: 200, ended_at set, started_at stays null', async () => {
      const pending = await make.run(shared.id);
      const before = Date.now();
      const response = await http().post(`/api/v1/runs/${pending.id}/complete`).send({ status: 'cancelled' }).expect(200);
      const after = Date.now();
      expect(response.body).toEqual({ ...pending, status: 'cancelled', ended_at: expect.any(String), updated_at: expect.any(String) });
      expect(response.body.started_at).toBeNull();
      expectTimeWithin(response.body.ended_at, before, after);
      expect(await getRun(pending.id)).toEqual(response.body);
    });

    it('accepts the seed example of completing a run exactly as written', async () => {
      const running = await make.runningRun(shared.id);
      const response = await http()
        .post(`/api/v1/runs/${running.id}/complete`)
        .set('Content-Type', 'application/json')
        .send('{\n  "status": "success"\n}')
        .expect(200);
      expect(response.body.status).toBe('success');
    });

    it('keeps the reason given with a completion as status_reason', async () => {
      const running = await make.runningRun(shared.id);
      const response = await http()
        .post(`/api/v1/runs/${running.id}/complete`)
        .send({ status: 'failed', reason: 'CUDA out of memory' })
        .expect(200);
      expect(response.body).toMatchObject({ status: 'failed', status_reason: 'CUDA out of memory' });
      expect((await getRun(running.id)).status_reason).toBe('CUDA out of memory');
    });

    /** Every completion from every state: [from, to, allowed]. */
    const completions: [RunStatusName, 'success' | 'failed' | 'cancelled', boolean][] = [
      ['pending', 'success', false],
      ['pending', 'failed', false],
      ['pending', 'cancelled', true],
      ['running', 'success', true],
      ['running', 'failed', true],
      ['running', 'cancelled', true],
      ['success', 'success', false],
      ['success', 'failed', false],
      ['success', 'cancelled', false],
      ['failed', 'success', false],
      ['failed', 'failed', false],
      ['failed', 'cancelled', false],
      ['cancelled', 'success', false],
      ['cancelled', 'failed', false],
      ['cancelled', 'cancelled', false],
    ];

    it.each(completions)('complete from %s to %s: allowed=%s (else 409 CONFLICT and nothing changes)', async (from, to, allowed) => {
      const run = await runInStatus(http, shared.id, from);
      const response = await http().post(`/api/v1/runs/${run.id}/complete`).send({ status: to });
      if (allowed) {
        expect(response.status).toBe(200);
        expect(response.body).toMatchObject({ id: run.id, status: to, started_at: run.started_at });
        expect(response.body.ended_at).toMatch(RFC3339_UTC);
        expect(await getRun(run.id)).toEqual(response.body);
      } else {
        const allowedFrom = to === 'cancelled' ? 'pending or running' : 'running';
        expectError(response, 409, 'CONFLICT', `run ${run.id} is ${from}; it can become ${to} only from ${allowedFrom}`);
        expect(await getRun(run.id)).toEqual(run);
      }
    });

    const invalidCompletions: [string, unknown, string][] = [
      ['an unknown status', { status: 'done' }, 'status: must be one of success, failed, cancelled'],
      ['an upper-case status', { status: 'SUCCESS' }, 'status: must be one of success, failed, cancelled'],
      ['status running', { status: 'running' }, 'status: must be one of success, failed, cancelled'],
      ['status pending', { status: 'pending' }, 'status: must be one of success, failed, cancelled'],
      ['an empty status', { status: '' }, 'status: must be one of success, failed, cancelled'],
      ['a null status', { status: null }, 'status: must be one of success, failed, cancelled'],
      ['a numeric status', { status: 1 }, 'status: must be one of success, failed, cancelled'],
      ['no status', {}, 'status: must be one of success, failed, cancelled'],
      ['an unknown field', { status: 'success', exit_code: 0 }, 'exit_code: unknown field'],
      ['an empty reason', { status: 'failed', reason: '' }, 'reason: must not be empty'],
      ['a reason of 2001 characters', { status: 'failed', reason: 'x'.repeat(2001) }, 'reason: must be at most 2000 characters'],
      ['a null reason', { status: 'failed', reason: null }, 'reason: must be a string'],
    ];

    it.each(invalidCompletions)('answers 400 INVALID_REQUEST for %s, and the running run stays running', async (_label, body, message) => {
      const running = await make.runningRun(shared.id);
      const response = await http()
        .post(`/api/v1/runs/${running.id}/complete`)
        .send(body as object);
      expectError(response, 400, 'INVALID_REQUEST', message);
      expect(await getRun(running.id)).toEqual(running);
    });

    it('answers 400 INVALID_REQUEST when complete has no body at all, and the run stays running', async () => {
      const running = await make.runningRun(shared.id);
      const response = await http().post(`/api/v1/runs/${running.id}/complete`);
      expectError(response, 400, 'INVALID_REQUEST', 'status: must be one of success, failed, cancelled');
      expect(await getRun(running.id)).toEqual(running);
    });

    it('answers 400 INVALID_REQUEST for a malformed JSON body sent to complete, and the run stays running', async () => {
      const running = await make.runningRun(shared.id);
      const response = await http()
        .post(`/api/v1/runs/${running.id}/complete`)
        .set('Content-Type', 'application/json')
        .send('{"status":"success"');
      expectError(response, 400, 'INVALID_REQUEST', /^malformed JSON body/);
      expect(await getRun(running.id)).toEqual(running);
    });

    it('answers 404 NOT_FOUND to start or complete an unknown run', async () => {
      const missing = unknownId('run');
      expectError(await http().post(`/api/v1/runs/${missing}/start`), 404, 'NOT_FOUND', `Run not found: ${missing}`);
      for (const status of ['success', 'failed', 'cancelled']) {
        const response = await http().post(`/api/v1/runs/${missing}/complete`).send({ status });
        expectError(response, 404, 'NOT_FOUND', `Run not found: ${missing}`);
      }
      expectError(await http().get(`/api/v1/runs/${missing}`), 404, 'NOT_FOUND', `Run not found: ${missing}`);
    });

    it('lets exactly one of many concurrent starts win; the others get 409 CONFLICT', async () => {
      const run = await make.run(shared.id);
      const responses = await Promise.all(Array.from({ length: 8 }, () => http().post(`/api/v1/runs/${run.id}/start`)));
      expect(responses.map((response) => response.status).sort()).toEqual([200, 409, 409, 409, 409, 409, 409, 409]);
      const winner = responses.find((response) => response.status === 200);
      for (const loser of responses.filter((response) => response.status === 409)) {
        expectError(loser, 409, 'CONFLICT', `run ${run.id} is running; it can become running only from pending`);
      }
      expect(await getRun(run.id)).toEqual(winner?.body);
    });

    it('lets exactly one of concurrent completions win, and the run keeps the winner’s status', async () => {
      const running = await make.runningRun(shared.id);
      const statuses = ['success', 'failed', 'cancelled', 'success', 'failed', 'cancelled'];
      const responses = await Promise.all(statuses.map((status) => http().post(`/api/v1/runs/${running.id}/complete`).send({ status })));
      const winners = responses.filter((response) => response.status === 200);
      expect(winners).toHaveLength(1);
      expect(responses.filter((response) => response.status === 409)).toHaveLength(statuses.length - 1);
      expect(await getRun(running.id)).toEqual(winners[0].body);
    });
  });

  describe('GET /api/v1/experiments/{id}/runs', () => {
    it('answers {runs: []} without next_page_token for an experiment with no runs', async () => {
      const experiment = await make.experiment();
      const response = await http()
        .get(`/api/v1/experiments/${experiment.id}/runs`)
        .expect('content-type', /^application\/json/)
        .expect(200);
      expect(response.body).toEqual({ runs: [] });
    });

    it('lists newest first, in every status, each run exactly as GET by id shows it', async () => {
      const experiment = await make.experiment();
      const statuses: RunStatusName[] = ['pending', 'running', 'success', 'failed', 'cancelled'];
      const created: RunBody[] = [];
      for (const status of statuses) {
        created.push(await runInStatus(http, experiment.id, status));
      }
      const response = await http().get(`/api/v1/experiments/${experiment.id}/runs`).expect(200);
      expect(response.body).toEqual({ runs: [...created].reverse() });
      for (const run of response.body.runs as RunBody[]) {
        expect(await getRun(run.id)).toEqual(run);
      }
      const times = (response.body.runs as RunBody[]).map((run) => Date.parse(run.created_at));
      expect(times).toEqual([...times].sort((a, b) => b - a));
    });

    it("lists only the experiment's own runs", async () => {
      const mine = await make.experiment();
      const other = await make.experiment();
      const ownRuns = [await make.run(mine.id), await make.run(mine.id)];
      const otherRun = await make.run(other.id);
      const listed = (await runsOf(mine.id)).map((run) => run.id);
      expect(listed).toEqual([ownRuns[1].id, ownRuns[0].id]);
      expect(listed).not.toContain(otherRun.id);
      expect((await runsOf(other.id)).map((run) => run.id)).toEqual([otherRun.id]);
    });

    it('pages with max_results and page_token: no duplicates, nothing missing, no next_page_token on the last page', async () => {
      const experiment = await make.experiment();
      const created: RunBody[] = [];
      for (let index = 0; index < 7; index += 1) {
        created.push(await make.run(experiment.id, { name: `run-${index}` }));
      }
      const path = `/api/v1/experiments/${experiment.id}/runs`;
      const { items, pages } = await collectPages<RunBody>(http, path, 'runs', 3);
      expect(items).toEqual([...created].reverse());
      expect(pages.map((page) => page.items.length)).toEqual([3, 3, 1]);
      expect(pages[0].next_page_token).toEqual(expect.any(String));
      expect(pages[1].next_page_token).toEqual(expect.any(String));
      const last = await http().get(path).query({ max_results: 3, page_token: pages[1].next_page_token }).expect(200);
      expect(last.body).toEqual({ runs: [created[0]] });
      expect(last.body).not.toHaveProperty('next_page_token');
    });

    it('gives no next_page_token when the last page is exactly full', async () => {
      const experiment = await make.experiment();
      const created: RunBody[] = [];
      for (let index = 0; index < 4; index += 1) {
        created.push(await make.run(experiment.id));
      }
      const path = `/api/v1/experiments/${experiment.id}/runs`;
      const first = await http().get(path).query({ max_results: 2 }).expect(200);
      expect(first.body).toEqual({ runs: [created[3], created[2]], next_page_token: expect.any(String) });
      const second = await http().get(path).query({ max_results: 2, page_token: first.body.next_page_token }).expect(200);
      expect(second.body).toEqual({ runs: [created[1], created[0]] });
      const whole = await http().get(path).query({ max_results: 4 }).expect(200);
      expect(whole.body).toEqual({ runs: [...created].reverse() });
    });

    it('answers at most 100 runs per page without max_results, and the rest on the next page', async () => {
      const experiment = await make.experiment();
      const ids: string[] = [];
      for (let index = 0; index < 101; index += 1) {
        ids.push((await make.run(experiment.id)).id);
      }
      const path = `/api/v1/experiments/${experiment.id}/runs`;
      const first = await http().get(path).expect(200);
      expect(first.body.runs).toHaveLength(100);
      expect(first.body.next_page_token).toEqual(expect.any(String));
      const second = await http().get(path).query({ page_token: first.body.next_page_token }).expect(200);
      expect(second.body.runs).toHaveLength(1);
      expect(second.body).not.toHaveProperty('next_page_token');
      const listed = [...first.body.runs, ...second.body.runs].map((run: RunBody) => run.id);
      expect(listed).toEqual([...ids].reverse());
    });

    it('keeps a page token valid when runs are created between pages, without duplicates', async () => {
      const experiment = await make.experiment();
      const created: RunBody[] = [];
      for (let index = 0; index < 5; index += 1) {
        created.push(await make.run(experiment.id));
      }
      const path = `/api/v1/experiments/${experiment.id}/runs`;
      const first = await http().get(path).query({ max_results: 2 }).expect(200);
      const newcomer = await make.run(experiment.id);
      const rest = await http().get(path).query({ max_results: 2, page_token: first.body.next_page_token }).expect(200);
      const restOfRest = await http().get(path).query({ max_results: 2, page_token: rest.body.next_page_token }).expect(200);
      expect(restOfRest.body).not.toHaveProperty('next_page_token');
      const seen = [...first.body.runs, ...rest.body.runs, ...restOfRest.body.runs].map((run: RunBody) => run.id);
      expect(seen).toEqual([...created].reverse().map((run) => run.id));
      expect(seen).not.toContain(newcomer.id);
      expect((await runsOf(experiment.id))[0].id).toBe(newcomer.id);
    });

    it('accepts max_results of 1 and of 1000', async () => {
      const experiment = await make.experiment();
      const runs = [await make.run(experiment.id), await make.run(experiment.id)];
      const path = `/api/v1/experiments/${experiment.id}/runs`;
      const one = await http().get(path).query({ max_results: 1 }).expect(200);
      expect(one.body).toEqual({ runs: [runs[1]], next_page_token: expect.any(String) });
      const most = await http().get(path).query({ max_results: 1000 }).expect(200);
      expect(most.body).toEqual({ runs: [runs[1], runs[0]] });
    });

    it('lists the runs of the Default experiment "0"', async () => {
      const run = await make.run('0');
      const listed = await http().get('/api/v1/experiments/0/runs').query({ max_results: 1 }).expect(200);
      expect(listed.body.runs).toEqual([run]);
    });

    it('answers 404 NOT_FOUND for an unknown experiment', async () => {
      const missing = unknownId('exp');
      const response = await http().get(`/api/v1/experiments/${missing}/runs`);
      expectError(response, 404, 'NOT_FOUND', `Experiment not found: ${missing}`);
    });

    it.each([
      ['max_results=0', { max_results: '0' }, 'max_results: must be at least 1'],
      ['max_results=1001', { max_results: '1001' }, 'max_results: must be at most 1000'],
      ['max_results=many', { max_results: 'many' }, 'max_results: must be an integer'],
      ['max_results=1.5', { max_results: '1.5' }, 'max_results: must be an integer'],
      ['a page_token that is not base64url', { page_token: '***' }, /^page_token: /],
      ['a page_token of random base64url', { page_token: 'aGVsbG8' }, 'page_token: not a page token this server issued'],
      [
        'a page_token with a negative fraction as cursor',
        { page_token: Buffer.from('{"after":-1.5}').toString('base64url') },
        'page_token: not a page token this server issued',
      ],
      ['an unknown query parameter', { status: 'running' }, 'status: unknown field'],
    ])('answers 400 INVALID_REQUEST for %s', async (_label, query, message) => {
      const response = await http().get(`/api/v1/experiments/${shared.id}/runs`).query(query);
      expectError(response, 400, 'INVALID_REQUEST', message);
    });
  });

  describe('x-request-id', () => {
    it('is on every kind of response of the run endpoints, and differs per request', async () => {
      const run = await make.run(shared.id);
      const responses = [
        await http().post('/api/v1/runs').send({ experiment_id: shared.id }).expect(201),
        await http().get(`/api/v1/runs/${run.id}`).expect(200),
        await http().post(`/api/v1/runs/${run.id}/start`).expect(200),
        await http().post(`/api/v1/runs/${run.id}/start`).expect(409),
        await http().post(`/api/v1/runs/${run.id}/complete`).send({ status: 'nope' }).expect(400),
        await http().post(`/api/v1/runs/${run.id}/complete`).send({ status: 'success' }).expect(200),
        await http().get(`/api/v1/experiments/${shared.id}/runs`).expect(200),
        await http()
          .get(`/api/v1/experiments/${unknownId('exp')}/runs`)
          .expect(404),
        await http()
          .get(`/api/v1/runs/${unknownId('run')}`)
          .expect(404),
        await http().post('/api/v1/runs').set('Content-Type', 'application/json').send('{').expect(400),
        await http().put(`/api/v1/runs/${run.id}`).send({}).expect(404),
      ];
      const ids = responses.map((response) => response.headers['x-request-id']);
      for (const id of ids) {
        expect(id).toMatch(/^[\w.:-]{8,128}$/);
      }
      expect(new Set(ids).size).toBe(ids.length);
    });

    it('is checked after each test on every response of this file (the recorder does see them)', () => {
      expect(recorder.seen()).toBeGreaterThan(100);
      expect(recorder.takeMissing()).toEqual([]);
    });
  });
});
