import type supertest from 'supertest';
import { collectPages, ExperimentBody, factories, RunBody, uniqueName } from '../support/factories.js';
import { EXPERIMENT_ID, expectError, expectTimeWithin, requestIdRecorder, unknownId } from '../support/http-checks.js';
import { startTestApp, TestApp } from '../support/test-app.js';

const RFC3339_Z = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('experiments over HTTP', () => {
  let server: TestApp;
  let make: ReturnType<typeof factories>;
  let recorder: ReturnType<typeof requestIdRecorder>;
  /** supertest on the server under test; every response it gets is checked for an x-request-id. */
  let http: () => supertest.Agent;

  beforeAll(async () => {
    server = await startTestApp();
    recorder = requestIdRecorder(server.http);
    http = recorder.http;
    make = factories(http);
  });
  afterAll(() => server.close());
  afterEach(() => {
    expect(recorder.takeMissing()).toEqual([]);
  });

  /** Every active experiment, newest first, read in one page. */
  async function allExperiments(): Promise<ExperimentBody[]> {
    const response = await http().get('/api/v1/experiments').query({ max_results: 1000 }).expect(200);
    const body = response.body as { experiments: ExperimentBody[]; next_page_token?: string };
    expect(body.next_page_token).toBeUndefined();
    return body.experiments;
  }

  it('creates an experiment and answers 201 with id, name, config and an RFC 3339 time', async () => {
    const name = uniqueName();
    const response = await server
      .http()
      .post('/api/v1/experiments')
      .send({ name, config: { model: 'gpt2', dataset: 'wikitext' } })
      .expect(201);
    expect(response.body).toMatchObject({ name, config: { model: 'gpt2', dataset: 'wikitext' }, lifecycle_stage: 'active' });
    expect(response.body.id).toMatch(/^exp-[0-9a-f]{32}$/);
    expect(response.body.created_at).toMatch(RFC3339_Z);
  });

  it('answers 409 CONFLICT for a name already in use, and creates nothing', async () => {
    const existing = await make.experiment();
    const before = await allExperiments();
    const response = await server.http().post('/api/v1/experiments').send({ name: existing.name }).expect(409);
    expect(response.body).toEqual({ error: { code: 'CONFLICT', message: expect.stringContaining(existing.name) } });
    expect(await allExperiments()).toEqual(before);
  });

  it('gets an experiment by id, and 404 NOT_FOUND for an unknown one', async () => {
    const created = await make.experiment();
    await server.http().get(`/api/v1/experiments/${created.id}`).expect(200, created);
    const missing = await server.http().get('/api/v1/experiments/exp-doesnotexist').expect(404);
    expect(missing.body).toEqual({ error: { code: 'NOT_FOUND', message: 'Experiment not found: exp-doesnotexist' } });
  });

  describe('POST /api/v1/experiments', () => {
    it('answers 201 with exactly id, name, config, lifecycle_stage, created_at, updated_at and no runs yet, times taken at creation', async () => {
      const name = uniqueName();
      const before = Date.now();
      const response = await http()
        .post('/api/v1/experiments')
        .send({ name, config: { model: 'gpt2', dataset: 'wikitext' } })
        .expect('content-type', /^application\/json/)
        .expect(201);
      const after = Date.now();
      expect(response.body).toEqual({
        id: expect.stringMatching(EXPERIMENT_ID),
        name,
        config: { model: 'gpt2', dataset: 'wikitext' },
        lifecycle_stage: 'active',
        created_at: expect.any(String),
        updated_at: expect.any(String),
        run_count: 0,
        last_activity_at: null,
      });
      expectTimeWithin(response.body.created_at, before, after);
      expect(response.body.updated_at).toBe(response.body.created_at);
      await http().get(`/api/v1/experiments/${response.body.id}`).expect(200, response.body);
    });

    it('accepts the seed example exactly as written', async () => {
      // The seed's own example; its name may only be used once per database, so it runs on a fresh server.
      const fresh = await startTestApp();
      try {
        const response = await fresh
          .http()
          .post('/api/v1/experiments')
          .set('Content-Type', 'application/json')
          .send('{\n  "name": "gpt2-finetune",\n  "config": {\n    "model": "gpt2",\n    "dataset": "wikitext"\n  }\n}')
          .expect(201);
        expect(response.body).toMatchObject({ name: 'gpt2-finetune', config: { model: 'gpt2', dataset: 'wikitext' } });
        expect(response.body.id).toMatch(EXPERIMENT_ID);
        expect(response.body.created_at).toMatch(RFC3339_Z);
      } finally {
        await fresh.close();
      }
    });

    it('stores config as null when absent and keeps an empty object as {}', async () => {
      const without = await make.experiment();
      expect(without.config).toBeNull();
      await http().get(`/api/v1/experiments/${without.id}`).expect(200, without);
      const empty = await make.experiment({ config: {} });
      expect(empty.config).toEqual({});
      const fetched = await http().get(`/api/v1/experiments/${empty.id}`).expect(200);
      expect(fetched.body.config).toEqual({});
    });

    it('round-trips a nested config exactly: objects, arrays, numbers, booleans, null and non-ASCII text', async () => {
      const config = {
        model: { name: 'gpt2', layers: [12, 24], dropout: 0.1, tied: true },
        optimizer: { lr: 3e-4, betas: [0.9, 0.999], schedule: null },
        tags: ['baseline', 'Über', '日本語'],
        seed: -7,
        notes: 'line one\nline "two"',
      };
      const created = await make.experiment({ config });
      expect(created.config).toEqual(config);
      const fetched = await http().get(`/api/v1/experiments/${created.id}`).expect(200);
      expect(fetched.body.config).toEqual(config);
    });

    it('accepts a name of exactly 500 characters, counting characters rather than bytes', async () => {
      const ascii = `${uniqueName()}-`.padEnd(500, 'x');
      const created = await make.experiment({ name: ascii });
      expect(created.name).toBe(ascii);
      const accented = `${uniqueName()}-`.padEnd(500, 'é');
      expect(Buffer.byteLength(accented)).toBeGreaterThan(500);
      const second = await make.experiment({ name: accented });
      const fetched = await http().get(`/api/v1/experiments/${second.id}`).expect(200);
      expect(fetched.body.name).toBe(accented);
    });

    it('keeps a non-ASCII name exactly', async () => {
      const name = `${uniqueName()} Über 日本語 🚀`;
      const created = await make.experiment({ name });
      expect(created.name).toBe(name);
      const fetched = await http().get(`/api/v1/experiments/${created.id}`).expect(200);
      expect(fetched.body.name).toBe(name);
    });

    const invalidBodies: [string, Record<string, unknown>, string][] = [
      ['no name', { config: { a: 1 } }, 'name: must be a string'],
      ['an empty name', { name: '' }, 'name: must not be empty'],
      ['a name of 501 characters', { name: 'n'.repeat(501) }, 'name: must be at most 500 characters'],
      ['a numeric name', { name: 42 }, 'name: must be a string'],
      ['a null name', { name: null }, 'name: must be a string'],
      ['a name that is an object', { name: { first: 'a' } }, 'name: must be a string'],
      ['a config that is an array', { name: 'cfg-array', config: [1, 2] }, 'config: must be a JSON object'],
      ['a config that is a string', { name: 'cfg-string', config: 'model=gpt2' }, 'config: must be a JSON object'],
      ['a config that is null', { name: 'cfg-null', config: null }, 'config: must be a JSON object'],
      ['a config that is a number', { name: 'cfg-number', config: 3 }, 'config: must be a JSON object'],
      ['an unknown field', { name: 'unknown-field', colour: 'red' }, 'colour: unknown field'],
      ['an id chosen by the client', { name: 'client-id', id: 'exp-mine' }, 'id: unknown field'],
    ];

    it.each(invalidBodies)('answers 400 INVALID_REQUEST naming the field for %s, and creates nothing', async (_label, body, message) => {
      const before = await allExperiments();
      const response = await http().post('/api/v1/experiments').send(body);
      expectError(response, 400, 'INVALID_REQUEST', message);
      expect(await allExperiments()).toEqual(before);
    });

    it('names every invalid field when several are wrong', async () => {
      const response = await http().post('/api/v1/experiments').send({ name: '', config: [], extra: 1 });
      expectError(response, 400, 'INVALID_REQUEST', /name: must not be empty/);
      expect(response.body.error.message).toMatch(/config: must be a JSON object/);
      expect(response.body.error.message).toMatch(/extra: unknown field/);
    });

    it.each([
      ['truncated JSON', '{"name": "half'],
      ['a trailing comma', '{"name": "comma",}'],
      ['single quotes', "{'name': 'quotes'}"],
      ['a bare string', '"just-a-name"'],
      ['null', 'null'],
    ])('answers 400 INVALID_REQUEST for a malformed JSON body (%s), and creates nothing', async (_label, text) => {
      const before = await allExperiments();
      const response = await http().post('/api/v1/experiments').set('Content-Type', 'application/json').send(text);
      expectError(response, 400, 'INVALID_REQUEST', /^malformed JSON body/);
      expect(await allExperiments()).toEqual(before);
    });

    it('answers 400 INVALID_REQUEST for a JSON array body, and creates nothing', async () => {
      const before = await allExperiments();
      const response = await http()
        .post('/api/v1/experiments')
        .send([{ name: uniqueName() }]);
      expectError(response, 400, 'INVALID_REQUEST', 'body: must be a JSON object');
      expect(await allExperiments()).toEqual(before);
    });

    it('answers 400 INVALID_REQUEST naming a __proto__ or constructor field, and creates nothing', async () => {
      const before = await allExperiments();
      const proto = await http()
        .post('/api/v1/experiments')
        .set('Content-Type', 'application/json')
        .send(`{"name":"${uniqueName()}","__proto__":{"admin":true}}`);
      expectError(proto, 400, 'INVALID_REQUEST', '__proto__: unknown field');
      const nested = await http()
        .post('/api/v1/experiments')
        .send({ name: uniqueName(), config: { layers: [{ constructor: 'x' }] } });
      expectError(nested, 400, 'INVALID_REQUEST', 'config.layers[0].constructor: unknown field');
      expect(await allExperiments()).toEqual(before);
    });

    it('answers 409 CONFLICT naming the name, even with a different config, and leaves the original untouched', async () => {
      const original = await make.experiment({ config: { lr: 0.1 } });
      const before = await allExperiments();
      const response = await http()
        .post('/api/v1/experiments')
        .send({ name: original.name, config: { lr: 0.2 } });
      expectError(response, 409, 'CONFLICT', `an experiment named '${original.name}' already exists`);
      expect(await allExperiments()).toEqual(before);
      await http().get(`/api/v1/experiments/${original.id}`).expect(200, original);
    });

    it('answers 409 CONFLICT for the name of the Default experiment', async () => {
      const before = await allExperiments();
      const response = await http().post('/api/v1/experiments').send({ name: 'Default' });
      expectError(response, 409, 'CONFLICT', "an experiment named 'Default' already exists");
      expect(await allExperiments()).toEqual(before);
    });

    it('treats names that differ only in case as different names', async () => {
      const lower = uniqueName('case');
      const first = await make.experiment({ name: lower });
      const second = await make.experiment({ name: lower.toUpperCase() });
      expect(second.id).not.toBe(first.id);
      expect(second.name).toBe(lower.toUpperCase());
    });

    it('lets exactly one of many concurrent creations of one name win; the others get 409 CONFLICT', async () => {
      const name = uniqueName('race');
      const responses = await Promise.all(Array.from({ length: 8 }, () => http().post('/api/v1/experiments').send({ name })));
      const statuses = responses.map((response) => response.status).sort();
      expect(statuses).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
      for (const response of responses.filter((r) => r.status === 409)) {
        expectError(response, 409, 'CONFLICT', `an experiment named '${name}' already exists`);
      }
      const winner = responses.find((response) => response.status === 201);
      const named = (await allExperiments()).filter((experiment) => experiment.name === name);
      expect(named).toEqual([winner?.body]);
    });

    it('gives unguessable ids: exp- and 32 random hex digits, all different', async () => {
      const created: ExperimentBody[] = [];
      for (let index = 0; index < 20; index += 1) {
        created.push(await make.experiment());
      }
      const ids = created.map((experiment) => experiment.id);
      for (const id of ids) {
        expect(id).toMatch(EXPERIMENT_ID);
      }
      expect(new Set(ids).size).toBe(ids.length);
      // Consecutive ids share no long common prefix, as counters or timestamps would.
      for (let index = 1; index < ids.length; index += 1) {
        expect(ids[index].slice(0, 12)).not.toBe(ids[index - 1].slice(0, 12));
      }
      // Every hex digit shows up somewhere across 640 random digits.
      const digits = new Set(ids.join('').replace(/exp-/g, ''));
      expect(digits.size).toBe(16);
    });
  });

  describe('GET /api/v1/experiments/{id}', () => {
    it('answers 200 with the experiment exactly as it was created', async () => {
      const created = await make.experiment({ config: { model: 'gpt2' } });
      const response = await http()
        .get(`/api/v1/experiments/${created.id}`)
        .expect('content-type', /^application\/json/)
        .expect(200);
      expect(response.body).toEqual(created);
    });

    it('has the Default experiment with id "0" from the start', async () => {
      const response = await http().get('/api/v1/experiments/0').expect(200);
      expect(response.body).toEqual({
        id: '0',
        name: 'Default',
        config: null,
        lifecycle_stage: 'active',
        created_at: expect.stringMatching(RFC3339_Z),
        updated_at: expect.stringMatching(RFC3339_Z),
        run_count: 0,
        last_activity_at: null,
      });
    });

    it.each([
      ['a well-formed id nobody has', unknownId('exp')],
      ['a run id', unknownId('run')],
      ['an SQL fragment', "' OR '1'='1"],
      ['a very long id', `exp-${'a'.repeat(600)}`],
      ['an id differing only in case from Default', 'DEFAULT'],
    ])('answers 404 NOT_FOUND in the envelope for %s', async (_label, id) => {
      const response = await http().get(`/api/v1/experiments/${encodeURIComponent(id)}`);
      expectError(response, 404, 'NOT_FOUND', `Experiment not found: ${id}`);
    });

    it('answers 404 NOT_FOUND for an unknown route below an experiment', async () => {
      const experiment = await make.experiment();
      const response = await http().get(`/api/v1/experiments/${experiment.id}/nothing-here`);
      expectError(response, 404, 'NOT_FOUND', /no such route/);
    });
  });

  describe('GET /api/v1/experiments', () => {
    it('lists only the Default experiment on a fresh server, with no next_page_token', async () => {
      const fresh = await startTestApp();
      try {
        const response = await fresh.http().get('/api/v1/experiments').expect(200);
        expect(response.body).toEqual({
          experiments: [
            {
              id: '0',
              name: 'Default',
              config: null,
              lifecycle_stage: 'active',
              created_at: expect.stringMatching(RFC3339_Z),
              updated_at: expect.stringMatching(RFC3339_Z),
              run_count: 0,
              last_activity_at: null,
            },
          ],
        });
        expect(response.headers['x-request-id']).toEqual(expect.any(String));
      } finally {
        await fresh.close();
      }
    });

    it('lists newest first, each item exactly as GET by id shows it', async () => {
      const created: ExperimentBody[] = [];
      for (let index = 0; index < 4; index += 1) {
        created.push(await make.experiment({ config: { index } }));
      }
      const response = await http().get('/api/v1/experiments').query({ max_results: 4 }).expect(200);
      expect(response.body.experiments).toEqual([...created].reverse());
      const all = await allExperiments();
      expect(all.slice(0, 4)).toEqual([...created].reverse());
      expect(all[all.length - 1].id).toBe('0');
      const times = all.map((experiment) => Date.parse(experiment.created_at));
      expect(times).toEqual([...times].sort((a, b) => b - a));
    });

    it("counts each experiment's runs that are not deleted, and gives the latest time one was created, started or ended", async () => {
      const experiment = await make.experiment();
      const untouched = await make.experiment();
      const summary = async (id: string) => {
        const listed = (await allExperiments()).find((candidate) => candidate.id === id);
        const got = (await http().get(`/api/v1/experiments/${id}`).expect(200)).body as ExperimentBody;
        expect(listed).toEqual(got);
        return { run_count: got.run_count, last_activity_at: got.last_activity_at };
      };

      const first = await make.run(experiment.id);
      expect(await summary(experiment.id)).toEqual({ run_count: 1, last_activity_at: first.created_at });
      const second = await make.runningRun(experiment.id);
      expect(await summary(experiment.id)).toEqual({ run_count: 2, last_activity_at: second.started_at });
      const cancelled = (await http().post(`/api/v1/runs/${first.id}/complete`).send({ status: 'cancelled' }).expect(200)).body as RunBody;
      expect(await summary(experiment.id)).toEqual({ run_count: 2, last_activity_at: cancelled.ended_at });

      await http().post('/api/2.0/mlflow/runs/delete').send({ run_id: first.id }).expect(200);
      expect(await summary(experiment.id)).toEqual({ run_count: 1, last_activity_at: second.started_at });
      expect(await summary(untouched.id)).toEqual({ run_count: 0, last_activity_at: null });
    });

    it('gives every experiment of a page its own counts', async () => {
      const experiments: ExperimentBody[] = [];
      for (let runs = 0; runs < 3; runs += 1) {
        const experiment = await make.experiment();
        for (let index = 0; index < runs; index += 1) {
          await make.run(experiment.id);
        }
        experiments.push(experiment);
      }
      const page = (await http().get('/api/v1/experiments').query({ max_results: 3 }).expect(200)).body as {
        experiments: ExperimentBody[];
      };
      expect(page.experiments.map((experiment) => [experiment.id, experiment.run_count])).toEqual([
        [experiments[2].id, 2],
        [experiments[1].id, 1],
        [experiments[0].id, 0],
      ]);
    });

    it('pages with max_results and page_token: no duplicates, nothing missing, no next_page_token on the last page', async () => {
      for (let index = 0; index < 5; index += 1) {
        await make.experiment();
      }
      const all = await allExperiments();
      expect(all.length).toBeGreaterThan(6);
      const pageSize = 3;
      const { items, pages } = await collectPages<ExperimentBody>(http, '/api/v1/experiments', 'experiments', pageSize);
      expect(items).toEqual(all);
      expect(new Set(items.map((experiment) => experiment.id)).size).toBe(all.length);
      expect(pages).toHaveLength(Math.ceil(all.length / pageSize));
      for (const page of pages.slice(0, -1)) {
        expect(page.items).toHaveLength(pageSize);
        expect(page.next_page_token).toEqual(expect.any(String));
      }
      const lastPage = await http()
        .get('/api/v1/experiments')
        .query({ max_results: pageSize, page_token: pages[pages.length - 2].next_page_token })
        .expect(200);
      expect(lastPage.body).not.toHaveProperty('next_page_token');
      expect(lastPage.body.experiments).toEqual(pages[pages.length - 1].items);
    });

    it('gives no next_page_token when the last page is exactly full', async () => {
      const total = (await allExperiments()).length;
      const whole = await http().get('/api/v1/experiments').query({ max_results: total }).expect(200);
      expect(whole.body.experiments).toHaveLength(total);
      expect(whole.body).not.toHaveProperty('next_page_token');
      const first = await http()
        .get('/api/v1/experiments')
        .query({ max_results: total - 1 })
        .expect(200);
      expect(first.body.experiments).toHaveLength(total - 1);
      const second = await http()
        .get('/api/v1/experiments')
        .query({ max_results: total - 1, page_token: first.body.next_page_token })
        .expect(200);
      expect(second.body).toEqual({ experiments: [whole.body.experiments[total - 1]] });
    });

    it('keeps a page token valid when experiments are created between pages, without duplicates', async () => {
      const first = await http().get('/api/v1/experiments').query({ max_results: 2 }).expect(200);
      const newcomer = await make.experiment();
      const { items } = await collectPages<ExperimentBody>(http, '/api/v1/experiments', 'experiments', 2);
      const rest = await http().get('/api/v1/experiments').query({ max_results: 1000, page_token: first.body.next_page_token }).expect(200);
      const seen = [...first.body.experiments, ...rest.body.experiments] as ExperimentBody[];
      expect(seen.map((experiment) => experiment.id)).not.toContain(newcomer.id);
      expect(new Set(seen.map((experiment) => experiment.id)).size).toBe(seen.length);
      expect(seen).toEqual(items.filter((experiment) => experiment.id !== newcomer.id));
    });

    it('accepts max_results of 1 and of 1000', async () => {
      const one = await http().get('/api/v1/experiments').query({ max_results: 1 }).expect(200);
      expect(one.body.experiments).toHaveLength(1);
      expect(one.body.next_page_token).toEqual(expect.any(String));
      const most = await http().get('/api/v1/experiments').query({ max_results: 1000 }).expect(200);
      expect(most.body.experiments.length).toBeGreaterThan(1);
      expect(most.body).not.toHaveProperty('next_page_token');
    });

    it.each([
      ['max_results=0', { max_results: '0' }, 'max_results: must be at least 1'],
      ['max_results=1001', { max_results: '1001' }, 'max_results: must be at most 1000'],
      ['max_results=-5', { max_results: '-5' }, 'max_results: must be at least 1'],
      ['max_results=ten', { max_results: 'ten' }, 'max_results: must be an integer'],
      ['max_results=2.5', { max_results: '2.5' }, 'max_results: must be an integer'],
      ['a page_token that is not base64url', { page_token: 'not a token!' }, /^page_token: /],
      ['a page_token of random base64url', { page_token: 'Zm9vYmFy' }, 'page_token: not a page token this server issued'],
      [
        'a page_token with a cursor of the wrong type',
        { page_token: Buffer.from('{"after":"x"}').toString('base64url') },
        'page_token: not a page token this server issued',
      ],
      ['an unknown query parameter', { order_by: 'name' }, 'order_by: unknown field'],
    ])('answers 400 INVALID_REQUEST for %s', async (_label, query, message) => {
      const response = await http().get('/api/v1/experiments').query(query);
      expectError(response, 400, 'INVALID_REQUEST', message);
    });
  });

  describe('x-request-id', () => {
    it('is on every kind of response: 200, 201, 400, 404, 409 and malformed JSON, and differs per request', async () => {
      const existing = await make.experiment();
      const responses = [
        await http().get('/api/v1/experiments').expect(200),
        await http().get(`/api/v1/experiments/${existing.id}`).expect(200),
        await http().post('/api/v1/experiments').send({ name: uniqueName() }).expect(201),
        await http().post('/api/v1/experiments').send({}).expect(400),
        await http().post('/api/v1/experiments').set('Content-Type', 'application/json').send('{').expect(400),
        await http().get('/api/v1/experiments').query({ max_results: 0 }).expect(400),
        await http()
          .get(`/api/v1/experiments/${unknownId('exp')}`)
          .expect(404),
        await http().post('/api/v1/experiments').send({ name: existing.name }).expect(409),
        await http().delete('/api/v1/experiments').expect(404),
      ];
      const ids = responses.map((response) => response.headers['x-request-id']);
      for (const id of ids) {
        expect(id).toMatch(/^[\w.:-]{8,128}$/);
      }
      expect(new Set(ids).size).toBe(ids.length);
    });

    it('echoes a well-formed x-request-id sent by the client', async () => {
      const response = await http().get('/api/v1/experiments/0').set('x-request-id', 'trace-42.a:b').expect(200);
      expect(response.headers['x-request-id']).toBe('trace-42.a:b');
    });

    it('is checked after each test on every response of this file (the recorder does see them)', () => {
      expect(recorder.seen()).toBeGreaterThan(50);
      expect(recorder.takeMissing()).toEqual([]);
    });
  });
});
