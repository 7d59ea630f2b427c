import { factories, uniqueName } from '../support/factories.js';
import { startTestApp, TestApp } from '../support/test-app.js';

const RFC3339_Z = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('experiments over HTTP', () => {
  let server: TestApp;
  let make: ReturnType<typeof factories>;

  beforeAll(async () => {
    server = await startTestApp();
    make = factories(server.http);
  });
  afterAll(() => server.close());

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
    const response = await server.http().post('/api/v1/experiments').send({ name: existing.name }).expect(409);
    expect(response.body).toEqual({ error: { code: 'CONFLICT', message: expect.stringContaining(existing.name) } });
  });

  it('gets an experiment by id, and 404 NOT_FOUND for an unknown one', async () => {
    const created = await make.experiment();
    await server.http().get(`/api/v1/experiments/${created.id}`).expect(200, created);
    const missing = await server.http().get('/api/v1/experiments/exp-doesnotexist').expect(404);
    expect(missing.body).toEqual({ error: { code: 'NOT_FOUND', message: 'Experiment not found: exp-doesnotexist' } });
  });
});
