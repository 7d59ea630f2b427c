import { readFile } from 'node:fs/promises';
import http from 'node:http';
import { createTestStorage, TestStorage } from '../support/database.js';
import { EntrenarProcess, startEntrenar, storageArgs } from './support/entrenar-process.js';

const KEY = 'memory-test-key-0123456789';
const MIB = 1024 * 1024;
const BODY_BYTES = 90 * MIB;
const CHUNK = Buffer.alloc(MIB, 0x7b);

/** The resident set size of a process, from /proc (Linux). */
async function rssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  if (kib === undefined) {
    throw new Error(`no VmRSS for process ${pid}`);
  }
  return Number(kib) * 1024;
}

interface Attempt {
  status: number | undefined;
  body: string;
  /** How much of the body the client managed to hand to the socket before the answer ended it. */
  sentBytes: number;
}

/**
 * Sends a 90 MB body in 1 MiB chunks without an API key, stopping as soon as the answer arrives
 * (or the server hangs up): the client holds one chunk, never the whole body.
 */
function sendLargeBody(url: string, method: string, path: string, headers: Record<string, string>, chunked = false): Promise<Attempt> {
  return new Promise((resolve) => {
    let sentBytes = 0;
    let settled = false;
    const request = http.request(`${url}${path}`, {
      method,
      headers: { ...headers, ...(chunked ? {} : { 'Content-Length': String(BODY_BYTES) }) },
    });
    const finish = (attempt: Attempt) => {
      if (!settled) {
        settled = true;
        request.destroy();
        resolve(attempt);
      }
    };
    request.on('response', (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (text: string) => (body += text));
      response.on('end', () => finish({ status: response.statusCode, body, sentBytes }));
      response.on('error', () => finish({ status: response.statusCode, body, sentBytes }));
    });
    request.on('error', () => finish({ status: undefined, body: '', sentBytes }));
    const pump = () => {
      while (!settled && sentBytes < BODY_BYTES) {
        sentBytes += CHUNK.length;
        if (!request.write(CHUNK)) {
          request.once('drain', pump);
          return;
        }
      }
      if (!settled) {
        request.end();
      }
    };
    pump();
  });
}

/**
 * A request without a valid key costs no memory: eight concurrent 90 MB bodies without a key, to
 * every kind of route (JSON, the hot write lane, multipart and raw uploads, MLflow, an unknown
 * path, a chunked body), are each answered 401 while the server's resident memory grows by less
 * than 64 MiB. (Before issue #12 the JSON bodies were read and parsed before the key was
 * checked: 1.5 GB of RSS for the same attack.)
 */
describe('unauthenticated request bodies cost the server no memory', () => {
  let storage: TestStorage;
  let server: EntrenarProcess;

  beforeAll(async () => {
    storage = await createTestStorage();
    server = await startEntrenar({ args: [...storageArgs(storage), '--auth-type', 'api_key', '--api-key', KEY, '--log-level', 'warn'] });
  });
  afterAll(async () => {
    await server.stop();
    await storage.dispose();
  });

  it('answers eight concurrent 90 MB bodies without a key with 401, growing RSS by less than 64 MiB', async () => {
    const pid = server.child.pid;
    if (pid === undefined) {
      throw new Error('no pid for the server');
    }
    // Warm up the paths the attack takes, with a key, so the baseline includes their code.
    const authorized = { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json' };
    const created = await fetch(`${server.url}/api/v1/experiments`, { method: 'POST', headers: authorized, body: '{"name":"warm-up"}' });
    expect(created.status).toBe(201);
    const baseline = await rssBytes(pid);
    let peak = baseline;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(peak, await rssBytes(pid));
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();

    const json = { 'Content-Type': 'application/json' };
    const attempts = await Promise.all([
      sendLargeBody(server.url, 'POST', '/api/v1/experiments', json),
      sendLargeBody(server.url, 'POST', '/api/v1/runs/run-x/metrics/batch', json),
      sendLargeBody(server.url, 'POST', '/api/2.0/mlflow/runs/log-batch', json),
      sendLargeBody(server.url, 'POST', '/api/v1/runs/run-x/artifacts', { 'Content-Type': 'multipart/form-data; boundary=xyz' }),
      sendLargeBody(server.url, 'PUT', '/api/v1/runs/run-x/artifacts/model.bin', { 'Content-Type': 'application/octet-stream' }),
      sendLargeBody(server.url, 'PUT', '/api/2.0/mlflow-artifacts/artifacts/0/run-x/artifacts/m.bin', {
        'Content-Type': 'application/json',
      }),
      sendLargeBody(server.url, 'POST', '/no/such/route', json),
      sendLargeBody(server.url, 'POST', '/api/v1/experiments', json, true),
    ]);
    sampling = false;
    await sampler;

    for (const attempt of attempts) {
      expect(attempt.status).toBe(401);
      expect(JSON.parse(attempt.body)).toEqual(
        expect.objectContaining(attempt.body.includes('error_code') ? { error_code: 'UNAUTHENTICATED' } : { error: expect.any(Object) }),
      );
    }
    const growth = peak - baseline;
    process.stdout.write(`RSS growth under 8 × 90 MB unauthenticated bodies: ${(growth / MIB).toFixed(1)} MiB\n`);
    expect(growth).toBeLessThan(64 * MIB);
    // And the server is fine afterwards.
    const after = await fetch(`${server.url}/api/v1/experiments`, { headers: authorized });
    expect(after.status).toBe(200);
  });
});
