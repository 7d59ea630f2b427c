import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DataSource } from 'typeorm';
import { DATABASE_CHECK_TIMEOUT_MS } from '../../src/modules/health/health.service.js';
import { testDatabaseKind } from '../support/database.js';
import { startTestApp, TestApp } from '../support/test-app.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const PACKAGE_VERSION = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

const LIVE = { status: 'healthy', version: PACKAGE_VERSION, uptime_secs: expect.any(Number) };

describe('health probes over HTTP', () => {
  describe('with the database up', () => {
    let server: TestApp;

    beforeAll(async () => {
      server = await startTestApp();
    });
    afterAll(() => server.close());

    it('GET /health/live answers 200 {status:"healthy", version, uptime_secs}', async () => {
      const response = await server.http().get('/health/live').expect(200);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.body).toEqual(LIVE);
    });

    it('GET /health/ready answers 200 with the database "up"', async () => {
      const response = await server.http().get('/health/ready').expect(200);
      expect(response.body).toEqual({ ...LIVE, database: 'up' });
    });

    it('documents both probes in the OpenAPI document as public, ready with its 503 (and the 400 of an undecodable URL)', async () => {
      const document = (await server.http().get('/docs-json').expect(200)).body as {
        paths: Record<
          string,
          { get?: { security?: unknown[]; responses: Record<string, { content?: Record<string, { schema: { $ref: string } }> }> } }
        >;
      };
      const live = document.paths['/health/live']?.get;
      const ready = document.paths['/health/ready']?.get;
      expect(live?.security).toEqual([{}]);
      expect(ready?.security).toEqual([{}]);
      expect(Object.keys(live?.responses ?? {}).sort()).toEqual(['200', '400']);
      expect(live?.responses['200'].content?.['application/json'].schema.$ref).toBe('#/components/schemas/HealthResponseDto');
      expect(Object.keys(ready?.responses ?? {}).sort()).toEqual(['200', '400', '503']);
      for (const status of ['200', '503']) {
        expect(ready?.responses[status].content?.['application/json'].schema.$ref).toBe('#/components/schemas/ReadinessResponseDto');
      }
    });
  });

  describe('with --auth-type api_key', () => {
    let server: TestApp;

    beforeAll(async () => {
      server = await startTestApp({ authType: 'api_key', apiKeys: ['probe-key-0123456789'] });
    });
    afterAll(() => server.close());

    it.each(['/health/live', '/health/ready'])('serves %s without a key, and with a wrong one', async (probe) => {
      await server.http().get(probe).expect(200);
      await server.http().get(probe).set('Authorization', 'Bearer wrong-key').expect(200);
      await server.http().get('/api/v1/experiments').expect(401);
    });
  });

  describe('with the database unreachable', () => {
    let doomed: TestApp | undefined;

    afterEach(async () => {
      await doomed?.close();
      doomed = undefined;
    });

    it('keeps /health/live at 200, and answers /health/ready 503 with the database "down"', async () => {
      doomed = await startTestApp();
      await doomed.http().get('/health/ready').expect(200);
      await doomed.app.get(DataSource).destroy();

      const live = await doomed.http().get('/health/live');
      expect(live.status).toBe(200);
      expect(live.body).toEqual(LIVE);
      const ready = await doomed.http().get('/health/ready');
      expect(ready.status).toBe(503);
      expect(ready.body).toEqual({ ...LIVE, status: 'unhealthy', database: 'down' });
      // /health keeps the seed's body and its 503.
      const health = await doomed.http().get('/health');
      expect(health.status).toBe(503);
      expect(health.body).toEqual({ ...LIVE, status: 'unhealthy' });
    });

    if (testDatabaseKind() === 'postgres') {
      it('answers /health/ready 503 when PostgreSQL does not answer within the check timeout (every pooled connection busy)', async () => {
        doomed = await startTestApp();
        const dataSource = doomed.app.get(DataSource);
        const poolSize = (dataSource.options as { poolSize?: number }).poolSize;
        expect(poolSize).toBeGreaterThan(0);
        // Longer than the check waits: a 503 can only come from its timeout, a 200 only after the sleeps.
        const busyForSecs = (DATABASE_CHECK_TIMEOUT_MS * 2) / 1000;
        const sleepers = Array.from({ length: poolSize ?? 0 }, () => dataSource.query(`SELECT pg_sleep(${busyForSecs})`));
        try {
          await doomed.http().get('/health/live').expect(200);
          const ready = await doomed.http().get('/health/ready');
          expect(ready.status).toBe(503);
          expect(ready.body).toEqual({ ...LIVE, status: 'unhealthy', database: 'down' });
        } finally {
          await Promise.all(sleepers);
        }
        await doomed.http().get('/health/ready').expect(200);
      });
    }
  });
});
