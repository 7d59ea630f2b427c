import { readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Response } from 'supertest';
import { DataSource } from 'typeorm';
import { buildOpenApiDocument, stableJson } from '../../src/openapi.js';
import { factories, uniqueName } from '../support/factories.js';
import { startTestApp, TestApp } from '../support/test-app.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const PACKAGE_VERSION = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function expectEnvelope(response: Response, status: number, code: string): void {
  expect(response.status).toBe(status);
  expect(response.body).toEqual({ error: { code, message: expect.any(String) } });
  expect(response.body.error.message.length).toBeGreaterThan(0);
}

/** Every route Express knows, as OpenAPI paths: `:runId` → `{runId}`, `*key` → `{key}`. */
function registeredRoutes(server: TestApp): string[] {
  const express = server.app.getHttpAdapter().getInstance() as {
    router: { stack: Array<{ route?: { path: string; methods: Record<string, boolean> } }> };
  };
  const routes: string[] = [];
  for (const layer of express.router.stack) {
    if (!layer.route) {
      continue;
    }
    const openApiPath = layer.route.path.replace(/[:*](\w+)/g, '{$1}');
    for (const method of Object.keys(layer.route.methods)) {
      routes.push(`${method.toUpperCase()} ${openApiPath}`);
    }
  }
  return routes;
}

interface DocumentedOperation {
  method: 'get' | 'put' | 'post' | 'delete';
  path: string;
  statuses: string[];
  jsonBody: boolean;
  security?: unknown[];
}

/** The operations of an OpenAPI document, with what the tests below read of each. */
function documentedOperations(document: { paths: Record<string, Record<string, unknown>> }): DocumentedOperation[] {
  return Object.entries(document.paths).flatMap(([route, operations]) =>
    Object.entries(operations).map(([method, raw]) => {
      const operation = raw as {
        responses: Record<string, unknown>;
        requestBody?: { content: Record<string, unknown> };
        security?: unknown[];
      };
      return {
        method: method as DocumentedOperation['method'],
        path: route,
        statuses: Object.keys(operation.responses),
        jsonBody: Object.keys(operation.requestBody?.content ?? {}).includes('application/json'),
        security: operation.security,
      };
    }),
  );
}

/** A concrete URL for a documented path: each parameter becomes a value no route is confused by. */
function concreteUrl(route: string): string {
  return route.replace(/\{(\w+)\}/g, (_match, name: string) => (name === 'key' ? 'some/file.txt' : `no-such-${name}`));
}

describe('platform over HTTP', () => {
  let server: TestApp;
  let make: ReturnType<typeof factories>;

  beforeAll(async () => {
    server = await startTestApp();
    make = factories(server.http);
  });
  afterAll(() => server.close());

  describe('GET /health', () => {
    it('answers 200 {status:"healthy", version, uptime_secs}', async () => {
      const response = await server.http().get('/health').expect(200);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.body).toEqual({ status: 'healthy', version: PACKAGE_VERSION, uptime_secs: expect.any(Number) });
      expect(Number.isInteger(response.body.uptime_secs)).toBe(true);
      expect(response.body.uptime_secs).toBeGreaterThanOrEqual(0);
    });

    it('counts uptime in whole seconds since the server started', async () => {
      const before = (await server.http().get('/health').expect(200)).body.uptime_secs as number;
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const after = (await server.http().get('/health').expect(200)).body.uptime_secs as number;
      expect(after).toBeGreaterThanOrEqual(before + 1);
      expect(after).toBeLessThanOrEqual(before + 3);
    });
  });

  describe('request ids', () => {
    it('puts an x-request-id on success, 4xx, unknown-route and malformed-JSON responses', async () => {
      const responses: Array<[string, Response]> = [
        ['success', await server.http().get('/health')],
        ['created', await server.http().post('/api/v1/experiments').send({ name: uniqueName() })],
        ['validation', await server.http().post('/api/v1/experiments').send({ name: 42 })],
        ['not found', await server.http().get('/api/v1/experiments/exp-doesnotexist')],
        ['unknown route', await server.http().get('/no/such/route')],
        ['malformed JSON', await server.http().post('/api/v1/experiments').set('Content-Type', 'application/json').send('{"name":')],
      ];
      expect(responses.map(([what, response]) => [what, response.status])).toEqual([
        ['success', 200],
        ['created', 201],
        ['validation', 400],
        ['not found', 404],
        ['unknown route', 404],
        ['malformed JSON', 400],
      ]);
      const ids = responses.map(([, response]) => String(response.headers['x-request-id']));
      for (const id of ids) {
        expect(id).toMatch(UUID);
      }
      expect(new Set(ids).size).toBe(ids.length);
    });

    it('echoes a sane incoming x-request-id', async () => {
      for (const id of ['req-123', 'trace.abc:def_42', 'a'.repeat(128)]) {
        const response = await server.http().get('/health').set('x-request-id', id).expect(200);
        expect(response.headers['x-request-id']).toBe(id);
      }
      const failed = await server.http().get('/nope').set('x-request-id', 'client-chosen-1').expect(404);
      expect(failed.headers['x-request-id']).toBe('client-chosen-1');
    });

    it('replaces an insane incoming x-request-id with a fresh one', async () => {
      for (const id of ['has spaces in it', 'a'.repeat(129), '<script>alert(1)</script>', 'semi;colon', '']) {
        const response = await server.http().get('/health').set('x-request-id', id).expect(200);
        expect([id, response.headers['x-request-id']]).toEqual([id, expect.stringMatching(UUID)]);
      }
    });
  });

  describe('errors', () => {
    it('answers an unknown route with 404 NOT_FOUND in the envelope', async () => {
      for (const [method, url] of [
        ['get', '/api/v1/nope'],
        ['post', '/api/v1/experiments/exp-1/nope'],
        // GET / is the web dashboard now; other methods on it are still unknown routes.
        ['post', '/'],
        ['get', '/assets/missing.js'],
        ['delete', '/api/v1/experiments'],
      ] as const) {
        const response = await server.http()[method](url);
        expect([method, url, response.status]).toEqual([method, url, 404]);
        expectEnvelope(response, 404, 'NOT_FOUND');
      }
    });

    it('answers malformed JSON with 400 INVALID_REQUEST and creates nothing', async () => {
      const experimentIds = async () =>
        (
          (await server.http().get('/api/v1/experiments').query({ max_results: 1000 }).expect(200)).body.experiments as { id: string }[]
        ).map((experiment) => experiment.id);
      const before = await experimentIds();
      for (const body of ['{"name":', '{name: "x"}', 'not json at all', '{"name":"a",}']) {
        const response = await server.http().post('/api/v1/experiments').set('Content-Type', 'application/json').send(body);
        expectEnvelope(response, 400, 'INVALID_REQUEST');
        expect(response.body.error.message).toMatch(/JSON/);
      }
      expect(await experimentIds()).toEqual(before);
    });

    it('answers 400 naming the field for an unknown JSON field', async () => {
      const response = await server.http().post('/api/v1/experiments').send({ name: uniqueName(), colour: 'blue' });
      expectEnvelope(response, 400, 'INVALID_REQUEST');
      expect(response.body.error.message).toContain('colour');
    });
  });

  describe('body size limit', () => {
    let small: TestApp;

    beforeAll(async () => {
      // Uploads may be large; JSON bodies have their own, small limit.
      small = await startTestApp({ maxJsonBodySize: 1024, maxBodySize: 1024 * 1024 });
    });
    afterAll(() => small.close());

    it('answers a JSON body over --max-json-body-size with 413 PAYLOAD_TOO_LARGE naming the limit, and creates nothing', async () => {
      const name = uniqueName();
      const response = await small
        .http()
        .post('/api/v1/experiments')
        .send({ name, config: { notes: 'x'.repeat(4096) } });
      expectEnvelope(response, 413, 'PAYLOAD_TOO_LARGE');
      expect(response.body.error.message).toBe('request body is larger than the limit of 1024 bytes');
      expect(response.headers['x-request-id']).toMatch(UUID);
      const listed = await small.http().get('/api/v1/experiments').expect(200);
      expect((listed.body.experiments as Array<{ name: string }>).map((experiment) => experiment.name)).not.toContain(name);
    });

    it('answers every documented JSON-body route with 400 for malformed JSON and 413 over the limit, and documents both', async () => {
      const document = (await small.http().get('/docs-json').expect(200)).body as { paths: Record<string, Record<string, unknown>> };
      const jsonRoutes = documentedOperations(document).filter((operation) => operation.jsonBody);
      expect(jsonRoutes.length).toBeGreaterThanOrEqual(8);
      for (const { method, path: route, statuses } of jsonRoutes) {
        const url = concreteUrl(route);
        const malformed = await small.http()[method](url).set('Content-Type', 'application/json').send('{"name":');
        const tooLarge = await small
          .http()
          [method](url)
          .send({ notes: 'x'.repeat(4096) });
        expect([method, route, malformed.status, tooLarge.status]).toEqual([method, route, 400, 413]);
        expect([method, route, statuses]).toEqual([method, route, expect.arrayContaining(['400', '413'])]);
      }
    });

    it('accepts a JSON body under the limit', async () => {
      const created = await small
        .http()
        .post('/api/v1/experiments')
        .send({ name: uniqueName(), config: { notes: 'x'.repeat(200) } })
        .expect(201);
      expect(created.body.config).toEqual({ notes: 'x'.repeat(200) });
    });
  });

  describe('docs', () => {
    it('serves the Swagger UI as HTML at /docs', async () => {
      const response = await server.http().get('/docs').expect(200);
      expect(response.headers['content-type']).toMatch(/^text\/html/);
      expect(response.text).toMatch(/swagger-ui/i);
    });

    it('serves an OpenAPI 3 document at /docs-json describing this server', async () => {
      const response = await server.http().get('/docs-json').expect(200);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.body.openapi).toMatch(/^3\.\d+\.\d+$/);
      expect(response.body.info).toMatchObject({ title: 'entrenar-tracking', version: PACKAGE_VERSION });
    });

    it("documents every endpoint of the seed's API", async () => {
      const document = (await server.http().get('/docs-json').expect(200)).body as { paths: Record<string, Record<string, unknown>> };
      const seed = [
        'GET /health',
        'POST /api/v1/experiments',
        'GET /api/v1/experiments',
        'GET /api/v1/experiments/{experimentId}',
        'POST /api/v1/runs',
        'POST /api/v1/runs/{runId}/start',
        'POST /api/v1/runs/{runId}/complete',
        'GET /api/v1/runs/{runId}',
        'GET /api/v1/experiments/{experimentId}/runs',
        'POST /api/v1/runs/{runId}/metrics',
        'POST /api/v1/runs/{runId}/metrics/batch',
        'GET /api/v1/runs/{runId}/metrics',
        'POST /api/v1/runs/{runId}/params',
        'GET /api/v1/runs/{runId}/params',
        'POST /api/v1/runs/{runId}/artifacts',
        'GET /api/v1/runs/{runId}/artifacts',
        'GET /api/v1/runs/{runId}/artifacts/{key}',
      ];
      const documented = Object.entries(document.paths).flatMap(([route, operations]) =>
        Object.keys(operations).map((method) => `${method.toUpperCase()} ${route}`),
      );
      expect(documented).toEqual(expect.arrayContaining(seed));
    });

    it('documents every /api/v1 route the server actually serves', async () => {
      const document = (await server.http().get('/docs-json').expect(200)).body as { paths: Record<string, Record<string, unknown>> };
      const served = registeredRoutes(server).filter((route) => route.includes(' /api/v1/'));
      expect(served.length).toBeGreaterThanOrEqual(16);
      const documented = Object.entries(document.paths).flatMap(([route, operations]) =>
        Object.keys(operations).map((method) => `${method.toUpperCase()} ${route}`),
      );
      expect(served.filter((route) => !documented.includes(route))).toEqual([]);
    });

    it('marks as public (security [{}]) exactly the operations a key-protected server answers without the key', async () => {
      // No throttle: one refused request per operation, more than the default 20 a minute.
      const protectedServer = await startTestApp({ authType: 'api_key', apiKeys: ['docs-test-key-0123456789'], authFailureLimit: 0 });
      try {
        const document = (await protectedServer.http().get('/docs-json').expect(200)).body as {
          paths: Record<string, Record<string, unknown>>;
          security: unknown[];
        };
        expect(document.security).toEqual([{ bearer: [] }]);
        const operations = documentedOperations(document);
        expect(operations.length).toBeGreaterThanOrEqual(20);
        for (const { method, path: route, statuses, security } of operations) {
          const response = await protectedServer.http()[method](concreteUrl(route));
          const documentedPublic = JSON.stringify(security) === '[{}]';
          expect([method, route, response.status === 401, documentedPublic]).toEqual([method, route, !documentedPublic, documentedPublic]);
          expect([method, route, statuses.includes('401')]).toEqual([method, route, !documentedPublic]);
        }
      } finally {
        await protectedServer.close();
      }
    });

    it('documents the nullable fields of a run as nullable strings, as a finished run shows them', async () => {
      const document = (await server.http().get('/docs-json').expect(200)).body as {
        components: { schemas: Record<string, { properties: Record<string, Record<string, unknown>>; required: string[] }> };
      };
      const run = document.components.schemas.RunResponseDto;
      for (const field of ['started_at', 'ended_at', 'last_activity_at']) {
        expect([field, run.properties[field]]).toEqual([
          field,
          expect.objectContaining({ type: 'string', format: 'date-time', nullable: true }),
        ]);
      }
      expect(run.properties.status_reason).toEqual(expect.objectContaining({ type: 'string', nullable: true }));
      expect(run.required).toEqual(expect.arrayContaining(['status_reason', 'started_at', 'ended_at', 'last_activity_at']));

      const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
      const created = await make.run();
      await server.http().post(`/api/v1/runs/${created.id}/start`).expect(200);
      const alive = await server.http().post(`/api/v1/runs/${created.id}/heartbeat`).expect(200);
      expect(alive.body).toEqual(
        expect.objectContaining({ started_at: expect.stringMatching(ISO), last_activity_at: expect.stringMatching(ISO) }),
      );
      const finished = await server
        .http()
        .post(`/api/v1/runs/${created.id}/complete`)
        .send({ status: 'failed', reason: 'CUDA out of memory' })
        .expect(200);
      expect(finished.body).toEqual(expect.objectContaining({ status_reason: 'CUDA out of memory', ended_at: expect.stringMatching(ISO) }));
    });

    it('matches the committed openapi.json (run `npm run openapi` after changing the API)', async () => {
      const committed = readFileSync(path.join(ROOT, 'openapi.json'), 'utf8');
      const generated = stableJson(buildOpenApiDocument(server.app));
      expect(JSON.parse(committed)).toEqual(JSON.parse(generated));
      expect(committed).toBe(generated);
      // And the app serves the same document.
      const served = await server.http().get('/docs-json').expect(200);
      expect(served.body).toEqual(JSON.parse(committed));
    });
  });

  describe('CORS', () => {
    const preflight = (app: TestApp, origin: string) =>
      app
        .http()
        .options('/api/v1/experiments')
        .set('Origin', origin)
        .set('Access-Control-Request-Method', 'POST')
        .set('Access-Control-Request-Headers', 'content-type, authorization');

    describe('with --cors', () => {
      let open: TestApp;
      beforeAll(async () => {
        open = await startTestApp({ cors: true });
      });
      afterAll(() => open.close());

      it('answers a preflight with Access-Control-Allow-Origin, the method and the headers', async () => {
        const response = await preflight(open, 'https://any.example');
        expect(response.status).toBe(204);
        expect(['https://any.example', '*']).toContain(response.headers['access-control-allow-origin']);
        expect(response.headers['access-control-allow-methods']).toMatch(/POST/);
        expect(response.headers['access-control-allow-headers']?.toLowerCase()).toContain('authorization');
      });

      it('lets a page read the response and its x-request-id', async () => {
        const response = await open.http().get('/api/v1/experiments').set('Origin', 'https://any.example').expect(200);
        expect(['https://any.example', '*']).toContain(response.headers['access-control-allow-origin']);
        expect(response.headers['access-control-expose-headers']?.toLowerCase()).toContain('x-request-id');
      });
    });

    describe('with --cors-origin', () => {
      let restricted: TestApp;
      beforeAll(async () => {
        restricted = await startTestApp({ corsOrigins: ['https://dash.example'] });
      });
      afterAll(() => restricted.close());

      it('allows the listed origin', async () => {
        const response = await preflight(restricted, 'https://dash.example');
        expect(response.status).toBe(204);
        expect(response.headers['access-control-allow-origin']).toBe('https://dash.example');
        const simple = await restricted.http().get('/api/v1/experiments').set('Origin', 'https://dash.example').expect(200);
        expect(simple.headers['access-control-allow-origin']).toBe('https://dash.example');
        expect(simple.headers.vary).toMatch(/Origin/i);
      });

      it('gives any other origin no Access-Control-Allow-Origin', async () => {
        for (const origin of ['https://evil.example', 'https://dash.example.evil.example', 'http://dash.example']) {
          const response = await preflight(restricted, origin);
          expect([origin, response.headers['access-control-allow-origin']]).toEqual([origin, undefined]);
          const simple = await restricted.http().get('/api/v1/experiments').set('Origin', origin);
          expect([origin, simple.headers['access-control-allow-origin']]).toEqual([origin, undefined]);
        }
      });
    });

    describe('off (the default)', () => {
      it('sends no Access-Control-Allow-Origin on a preflight or a request', async () => {
        const response = await preflight(server, 'https://any.example');
        expect(response.headers['access-control-allow-origin']).toBeUndefined();
        expect(response.status).not.toBe(204);
        const simple = await server.http().get('/api/v1/experiments').set('Origin', 'https://any.example').expect(200);
        expect(simple.headers['access-control-allow-origin']).toBeUndefined();
      });
    });

    describe('with --cors and API keys', () => {
      let guarded: TestApp;
      beforeAll(async () => {
        guarded = await startTestApp({ cors: true, authType: 'api_key', apiKeys: ['cors-key-1-0123456789'] });
      });
      afterAll(() => guarded.close());

      it('answers the preflight without a key (browsers never send one) and lets the page read a 401', async () => {
        const response = await preflight(guarded, 'https://any.example');
        expect(response.status).toBe(204);
        expect(['https://any.example', '*']).toContain(response.headers['access-control-allow-origin']);
        const refused = await guarded.http().get('/api/v1/experiments').set('Origin', 'https://any.example');
        expectEnvelope(refused, 401, 'UNAUTHORIZED');
        expect(['https://any.example', '*']).toContain(refused.headers['access-control-allow-origin']);
        await guarded
          .http()
          .get('/api/v1/experiments')
          .set('Origin', 'https://any.example')
          .set('Authorization', 'Bearer cors-key-1-0123456789')
          .expect(200);
      });
    });
  });

  describe('failures', () => {
    let doomed: TestApp | undefined;

    afterEach(async () => {
      await doomed?.close();
      doomed = undefined;
    });

    it('answers 503 with status "unhealthy" when the database is unreachable', async () => {
      doomed = await startTestApp();
      await doomed.http().get('/health').expect(200);
      await doomed.app.get(DataSource).destroy();
      const response = await doomed.http().get('/health');
      expect(response.status).toBe(503);
      expect(response.body).toEqual({ status: 'unhealthy', version: PACKAGE_VERSION, uptime_secs: expect.any(Number) });
      expect(response.headers['x-request-id']).toMatch(UUID);
    });

    it('answers an internal failure with 500 INTERNAL_ERROR and no SQL, table name or stack in the message', async () => {
      doomed = await startTestApp();
      const run = await factories(doomed.http).run();
      await doomed.app.get(DataSource).query('DROP TABLE artifacts');
      const response = await doomed.http().get(`/api/v1/runs/${run.id}/artifacts`);
      expectEnvelope(response, 500, 'INTERNAL_ERROR');
      const { message } = response.body.error as { message: string };
      expect(message).not.toMatch(/artifacts|select|from|table|relation|sqlite|postgres|syntax|database/i);
      expect(message).not.toMatch(/\n|\bat \S+ \(|\.[jt]s:\d+|[A-Z]\w*Error\b/);
      // The message names the request id, so an operator can find the logged cause.
      const requestId = String(response.headers['x-request-id']);
      expect(requestId).toMatch(UUID);
      expect(message).toContain(requestId);
      // Other endpoints are unaffected.
      await doomed.http().get(`/api/v1/runs/${run.id}`).expect(200);
    });

    it('leaves no staged file behind when an upload fails inside the server', async () => {
      doomed = await startTestApp();
      const run = await factories(doomed.http).run();
      await doomed.app.get(DataSource).query('DROP TABLE artifacts');
      const response = await doomed
        .http()
        .post(`/api/v1/runs/${run.id}/artifacts`)
        .attach('file', Buffer.alloc(32 * 1024, 1), { filename: 'doomed.bin' });
      expectEnvelope(response, 500, 'INTERNAL_ERROR');
      const tmp = await readdir(path.join(doomed.storage.dataDir, 'artifacts', 'tmp'));
      expect(tmp).toEqual([]);
    });
  });

  it('keeps the shared server working after all of the above', async () => {
    const experiment = await make.experiment();
    await server.http().get(`/api/v1/experiments/${experiment.id}`).expect(200);
  });
});
