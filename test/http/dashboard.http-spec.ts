import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DASHBOARD_DIR } from '../../src/http/dashboard.js';
import { startTestApp, TestApp } from '../support/test-app.js';

// `npm test` builds the dashboard (vite) before any Jest tier runs.
const scriptName = readdirSync(path.join(DASHBOARD_DIR, 'assets')).find((name) => /^index-.*\.js$/.test(name));
const KEY = 'dashboard-key-0123456789';

describe('the web dashboard at /', () => {
  let server: TestApp;

  beforeAll(async () => {
    server = await startTestApp({ authType: 'api_key', apiKeys: [KEY] });
  });
  afterAll(() => server.close());

  it('serves the page without a key (it asks for one itself), revalidated on every load, under a strict CSP', async () => {
    const response = await server.http().get('/').expect(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.headers['cache-control']).toBe('no-cache');
    expect(response.headers['content-security-policy']).toContain("default-src 'self'");
    expect(response.text).toContain(`/assets/${scriptName}`);
    expect(response.text).not.toMatch(/https?:\/\//);
  });

  it('serves the hashed bundle with a year-long immutable cache, precompressed as br or gzip as the browser accepts', async () => {
    expect(scriptName).toBeDefined();
    const original = readFileSync(path.join(DASHBOARD_DIR, 'assets', scriptName!));
    const brotli = await server
      .http()
      .get(`/assets/${scriptName}`)
      .set('accept-encoding', 'gzip, deflate, br')
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      })
      .expect(200);
    expect(brotli.headers['content-encoding']).toBe('br');
    expect(brotli.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(brotli.headers['content-type']).toMatch(/javascript/);
    expect(Number(brotli.headers['content-length'])).toBeLessThan(original.length / 2);
    // superagent decodes the body as a browser would.
    expect((brotli.body as Buffer).equals(original)).toBe(true);

    const gzip = await server
      .http()
      .get(`/assets/${scriptName}`)
      .set('accept-encoding', 'gzip')
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      })
      .expect(200);
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect((gzip.body as Buffer).equals(original)).toBe(true);
  });

  it('keeps the API behind the key: the same server answers 401 to data requests without it', async () => {
    const refused = await server.http().get('/api/v1/experiments').expect(401);
    expect(refused.body.error.code).toBe('UNAUTHORIZED');
    await server.http().get('/api/v1/experiments').set('authorization', `Bearer ${KEY}`).expect(200);
  });

  it('answers an unknown asset with the 404 envelope, and a path outside /assets/ with 401 before routing', async () => {
    const missing = await server.http().get('/assets/nothing-here.js').expect(404);
    expect(missing.body.error.code).toBe('NOT_FOUND');
    await server.http().get('/assets/../api/v1/experiments').expect(401);
  });
});
