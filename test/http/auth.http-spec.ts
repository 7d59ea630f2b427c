import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Response } from 'supertest';
import { factories, uniqueName, uploadArtifact } from '../support/factories.js';
import { startTestApp, TestApp } from '../support/test-app.js';

const KEY_ONE = 'key-one-abc-0123456789';
const KEY_TWO = 'key-two-def-0123456789';
const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });

function expectUnauthorized(response: Response): void {
  expect(response.status).toBe(401);
  expect(response.body).toEqual({ error: { code: 'UNAUTHORIZED', message: expect.any(String) } });
  expect(response.headers['www-authenticate']).toMatch(/^Bearer\b/);
  // The refusal never echoes a key back.
  expect(JSON.stringify(response.body)).not.toContain(KEY_ONE);
  expect(JSON.stringify(response.body)).not.toContain(KEY_TWO);
}

describe('API key authentication over HTTP', () => {
  let server: TestApp;
  let make: ReturnType<typeof factories>;

  beforeAll(async () => {
    // These tests send many wrong keys on purpose: the failure throttle has tests of its own.
    server = await startTestApp({ authType: 'api_key', apiKeys: [KEY_ONE, KEY_TWO], authFailureLimit: 0 });
    make = factories(server.http, bearer(KEY_ONE));
  });
  afterAll(() => server.close());

  describe('protected routes', () => {
    it('answers 401 UNAUTHORIZED with WWW-Authenticate: Bearer when there is no Authorization header', async () => {
      expectUnauthorized(await server.http().get('/api/v1/experiments'));
      expectUnauthorized(await server.http().post('/api/v1/experiments').send({ name: uniqueName() }));
    });

    it('creates nothing when a write is refused', async () => {
      const name = uniqueName();
      expectUnauthorized(await server.http().post('/api/v1/experiments').send({ name }));
      const listed = await server.http().get('/api/v1/experiments').set(bearer(KEY_ONE)).query({ max_results: 1000 }).expect(200);
      expect((listed.body.experiments as Array<{ name: string }>).map((experiment) => experiment.name)).not.toContain(name);
    });

    it('answers 401 for a wrong key, a prefix of a right key and a right key with more after it', async () => {
      for (const key of ['not-a-key', 'key-one', `${KEY_ONE}x`, KEY_ONE.toUpperCase(), `${KEY_ONE},${KEY_TWO}`]) {
        expectUnauthorized(await server.http().get('/api/v1/experiments').set(bearer(key)));
      }
    });

    it('accepts either configured key', async () => {
      for (const key of [KEY_ONE, KEY_TWO]) {
        const name = uniqueName();
        const created = await server.http().post('/api/v1/experiments').set(bearer(key)).send({ name }).expect(201);
        expect(created.body.name).toBe(name);
        await server.http().get(`/api/v1/experiments/${created.body.id}`).set(bearer(key)).expect(200);
      }
    });

    it('protects every kind of API route: runs, metrics, params and artifacts', async () => {
      const run = await make.run();
      const routes: Array<[string, string]> = [
        ['get', `/api/v1/runs/${run.id}`],
        ['post', `/api/v1/runs/${run.id}/start`],
        ['get', `/api/v1/experiments/${run.experiment_id}/runs`],
        ['get', `/api/v1/runs/${run.id}/metrics`],
        ['post', `/api/v1/runs/${run.id}/metrics`],
        ['post', `/api/v1/runs/${run.id}/metrics/batch`],
        ['get', `/api/v1/runs/${run.id}/params`],
        ['post', `/api/v1/runs/${run.id}/params`],
        ['get', `/api/v1/runs/${run.id}/artifacts`],
        ['get', `/api/v1/runs/${run.id}/artifacts/model.bin`],
        ['post', `/api/v1/runs/${run.id}/artifacts`],
      ];
      for (const [method, url] of routes) {
        const response = method === 'get' ? await server.http().get(url) : await server.http().post(url).send({});
        expect([method, url, response.status]).toEqual([method, url, 401]);
        expectUnauthorized(response);
      }
      // Nothing above changed the run.
      const after = await server.http().get(`/api/v1/runs/${run.id}`).set(bearer(KEY_TWO)).expect(200);
      expect(after.body.status).toBe('pending');
    });

    it('refuses an artifact upload without a key before storing any of it', async () => {
      const run = await make.run();
      const response = await server
        .http()
        .post(`/api/v1/runs/${run.id}/artifacts`)
        .attach('file', Buffer.alloc(128 * 1024, 7), { filename: 'sneaky.bin' });
      expectUnauthorized(response);
      const listed = await server.http().get(`/api/v1/runs/${run.id}/artifacts`).set(bearer(KEY_ONE)).expect(200);
      expect(listed.body.artifacts).toEqual([]);
      const blobs = await readdir(path.join(server.storage.dataDir, 'artifacts', 'blobs'), { recursive: true, withFileTypes: true });
      expect(blobs.filter((entry) => entry.isFile())).toEqual([]);
      // With the key, the same upload goes through.
      await uploadArtifact(server.http, run.id, Buffer.from('ok'), { key: 'ok.txt', headers: bearer(KEY_ONE) });
    });

    it('streams an artifact back to an authorised client only', async () => {
      const run = await make.run();
      await uploadArtifact(server.http, run.id, Buffer.from('weights'), { key: 'model.bin', headers: bearer(KEY_TWO) });
      expectUnauthorized(await server.http().get(`/api/v1/runs/${run.id}/artifacts/model.bin`));
      const back = await server.http().get(`/api/v1/runs/${run.id}/artifacts/model.bin`).set(bearer(KEY_ONE)).buffer(true).expect(200);
      expect(back.headers['content-length']).toBe('7');
      expect((back.body as Buffer).toString()).toBe('weights');
    });
  });

  describe('malformed credentials', () => {
    // (Basic with the key as the password is accepted: that is how MLflow clients send
    // MLFLOW_TRACKING_PASSWORD; see the Basic tests in mlflow-transport.http-spec.ts.)
    const malformed: Array<[string, string]> = [
      ['Basic credentials with a wrong password', `Basic ${Buffer.from('user:not-a-key').toString('base64')}`],
      ['Basic with the bare key', `Basic ${KEY_ONE}`],
      ['the bare key without a scheme', KEY_ONE],
      ['Bearer without a token', 'Bearer'],
      ['Bearer with only spaces', 'Bearer    '],
      ['a token with extra words', `Bearer ${KEY_ONE} ${KEY_TWO}`],
      ['a glued scheme', `Bearer:${KEY_ONE}`],
      ['another scheme', `Token ${KEY_ONE}`],
      ['an empty header', ''],
    ];

    it.each(malformed)('answers 401 for %s', async (_what, header) => {
      expectUnauthorized(await server.http().get('/api/v1/experiments').set('Authorization', header));
    });

    it('does not accept the key in the query string or the JSON body instead of the header', async () => {
      const experiment = await make.experiment();
      expectUnauthorized(await server.http().get(`/api/v1/experiments/${experiment.id}`).query({ access_token: KEY_ONE }));
      expectUnauthorized(await server.http().post('/api/v1/experiments').send({ name: uniqueName(), access_token: KEY_ONE }));
      // Not even next to a header that carries no bearer token.
      expectUnauthorized(
        await server
          .http()
          .get(`/api/v1/experiments/${experiment.id}`)
          .set('Authorization', 'Basic Zm9vOmJhcg==')
          .query({ access_token: KEY_TWO }),
      );
    });

    it('treats the scheme name case-insensitively (RFC 7235)', async () => {
      await server.http().get('/api/v1/experiments').set('Authorization', `bearer ${KEY_ONE}`).expect(200);
      await server.http().get('/api/v1/experiments').set('Authorization', `BEARER ${KEY_TWO}`).expect(200);
    });
  });

  describe('public routes', () => {
    it('serves GET /health without a key', async () => {
      const response = await server.http().get('/health').expect(200);
      expect(response.body.status).toBe('healthy');
    });

    it('serves GET /health even with a wrong key', async () => {
      await server.http().get('/health').set(bearer('wrong')).expect(200);
    });

    it('serves the Swagger UI at /docs and the OpenAPI document at /docs-json without a key', async () => {
      const ui = await server.http().get('/docs').redirects(2).expect(200);
      expect(ui.headers['content-type']).toMatch(/^text\/html/);
      const json = await server.http().get('/docs-json').expect(200);
      expect(json.body.openapi).toMatch(/^3\./);
      // The page's own assets load without a key too, or the browser would show a blank page.
      const css = await server.http().get('/docs/swagger-ui.css').expect(200);
      expect(css.headers['content-type']).toMatch(/^text\/css/);
    });

    it('documents the bearer scheme in the OpenAPI document', async () => {
      const json = await server.http().get('/docs-json').expect(200);
      expect(json.body.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    });
  });

  describe('unknown routes', () => {
    // Without a key, nothing but /health and the docs answers anything but 401: routes cannot be
    // discovered by probing, and no path is echoed back.
    it('answers 401 for an unknown path or method without a key, echoing nothing of the request', async () => {
      const probes: Array<[string, string]> = [
        ['get', '/api/v1/nope'],
        ['get', '/nope'],
        ['get', '/api/v2/experiments'],
        ['get', '/api/v1//experiments'],
        ['delete', '/api/v1/experiments'],
        ['patch', '/api/v1/runs/run-x'],
        ['put', '/admin/secret-thing'],
        ['options', '/api/v1/experiments'],
        ['get', '/api/2.0/mlflow/no-such-endpoint'],
      ];
      for (const [method, url] of probes) {
        const response = await server.http()[method as 'get'](url);
        expect([method, url, response.status]).toEqual([method, url, 401]);
        expect(response.headers['www-authenticate']).toMatch(/^Bearer\b/);
        expect(response.text).not.toContain('nope');
        expect(response.text).not.toContain('secret-thing');
        expect(response.text).not.toContain('no-such-endpoint');
      }
    });

    it('answers 404 NOT_FOUND for an unknown route to a client with a key', async () => {
      for (const url of ['/api/v1/nope', '/api/v1//experiments']) {
        const response = await server.http().get(url).set(bearer(KEY_ONE));
        expect([url, response.status]).toEqual([url, 404]);
        expect(response.body).toEqual({ error: { code: 'NOT_FOUND', message: expect.any(String) } });
      }
    });

    it('still needs the key on spelling variants that reach a protected route', async () => {
      // Express routes case-insensitively and ignores a trailing slash: these reach the handler.
      for (const url of ['/api/v1/experiments/', '/API/V1/EXPERIMENTS', '/api/v1/experiments?x=1', '/HEALTH/../api/v1/experiments']) {
        const response = await server.http().get(url);
        expect([url, response.status]).toEqual([url, 401]);
        expectUnauthorized(response);
      }
    });
  });
});

describe('failed authentications are throttled per client address', () => {
  let server: TestApp;

  beforeAll(async () => {
    // The default limit: 20 failed attempts a minute.
    server = await startTestApp({ authType: 'api_key', apiKeys: [KEY_ONE] });
  });
  afterAll(() => server.close());

  it('answers 401 to 20 wrong keys, then 429 TOO_MANY_REQUESTS with Retry-After, even to the right key', async () => {
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 30; attempt++) {
      const response = await server
        .http()
        .get('/api/v1/experiments')
        .set(bearer(`guess-${attempt}-0123456789abcdef`));
      statuses.push(response.status);
    }
    expect(statuses).toEqual([...Array<number>(20).fill(401), ...Array<number>(10).fill(429)]);
    const refused = await server.http().get('/api/v1/experiments').set(bearer(KEY_ONE));
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({
      error: { code: 'TOO_MANY_REQUESTS', message: expect.stringMatching(/too many failed authentications/) },
    });
    const retryAfter = Number(refused.headers['retry-after']);
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // MLflow clients get MLflow's code for it, which they retry.
    const mlflow = await server.http().get('/api/2.0/mlflow/experiments/search').set(bearer(KEY_ONE));
    expect(mlflow.status).toBe(429);
    expect(mlflow.body).toEqual({ error_code: 'REQUEST_LIMIT_EXCEEDED', message: expect.any(String) });
    // The probes stay open: a throttled address is not a dead server.
    await server.http().get('/health').expect(200);
  });
});

describe('with authentication off', () => {
  let server: TestApp;

  beforeAll(async () => {
    server = await startTestApp({ authType: 'none' });
  });
  afterAll(() => server.close());

  it('opens every route without an Authorization header', async () => {
    const make = factories(server.http);
    const run = await make.run();
    await server.http().get('/api/v1/experiments').expect(200);
    await server.http().get(`/api/v1/runs/${run.id}`).expect(200);
    await server.http().post(`/api/v1/runs/${run.id}/params`).send({ key: 'lr', value: 0.001 }).expect(201);
    await server.http().get(`/api/v1/runs/${run.id}/params`).expect(200);
    await uploadArtifact(server.http, run.id, Buffer.from('open'), { key: 'open.txt' });
    await server.http().get(`/api/v1/runs/${run.id}/artifacts`).expect(200);
    await server.http().get('/health').expect(200);
  });

  it('ignores an Authorization header of any kind', async () => {
    await server.http().post('/api/v1/experiments').set(bearer('anything')).send({ name: uniqueName() }).expect(201);
    await server.http().get('/api/v1/experiments').set('Authorization', 'Basic Zm9vOmJhcg==').expect(200);
  });

  it('never answers 401 or sends WWW-Authenticate', async () => {
    const response = await server.http().get('/api/v1/experiments/exp-doesnotexist').expect(404);
    expect(response.headers['www-authenticate']).toBeUndefined();
  });
});
