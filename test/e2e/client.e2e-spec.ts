import http from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { TrackingClient, TrackingError } from '../../src/client/index.js';
import { uploadArtifactFile } from '../../src/client/node.js';
import { createTestStorage, TestStorage } from '../support/database.js';
import { EntrenarProcess, freePort, startEntrenar, storageArgs } from './support/entrenar-process.js';

async function errorOf(promise: Promise<unknown>): Promise<TrackingError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof TrackingError) {
      return error;
    }
    throw error;
  }
  throw new Error('expected the call to fail');
}

async function text(stream: ReadableStream<Uint8Array>): Promise<string> {
  return new Response(stream).text();
}

/** A stand-in server on 127.0.0.1 whose answers the test scripts. */
async function scriptedServer(handler: http.RequestListener): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer(handler);
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('TrackingClient against a real `entrenar server`', () => {
  let storage: TestStorage;
  let server: EntrenarProcess;
  let client: TrackingClient;

  beforeAll(async () => {
    storage = await createTestStorage();
    server = await startEntrenar({ args: [...storageArgs(storage), '--max-batch-points', '50'] });
    client = new TrackingClient(server.url, { retry: { maxAttempts: 2, baseDelayMs: 10 } });
  });
  afterAll(async () => {
    await server.stop();
    await storage.dispose();
  });

  it('creates, gets, lists and finds experiments', async () => {
    const created = await client.createExperiment(`client-${Date.now()}`, { model: 'mlp' });
    expect(created).toMatchObject({ id: expect.stringMatching(/^exp-/), config: { model: 'mlp' } });
    expect(await client.getExperiment(created.id)).toEqual(created);
    const found = await client.listExperiments({ name: created.name });
    expect(found.items).toEqual([created]);
    const firstPage = await client.listExperiments({ maxResults: 1 });
    expect(firstPage.items).toHaveLength(1);
    expect(firstPage.nextPageToken).toEqual(expect.any(String));
    const secondPage = await client.listExperiments({ maxResults: 1, pageToken: firstPage.nextPageToken });
    expect(secondPage.items[0].id).not.toBe(firstPage.items[0].id);
    expect((await client.ensureExperiment(created.name)).id).toBe(created.id);
    const ensured = await client.ensureExperiment(`${created.name}-new`);
    expect(ensured.name).toBe(`${created.name}-new`);
  });

  it('walks a run through its lifecycle, with metrics, params, heartbeats and artifacts', async () => {
    const experiment = await client.createExperiment(`lifecycle-${Date.now()}`);
    const run = await client.createRun(experiment.id, { name: 'baseline' });
    expect(run).toMatchObject({ name: 'baseline', status: 'pending' });
    expect((await client.startRun(run.id)).status).toBe('running');
    expect((await client.listRuns(experiment.id)).items.map((item) => item.id)).toEqual([run.id]);

    expect(await client.logMetric(run.id, 'loss', 0, 1.5, 1_700_000_000_000)).toEqual({
      key: 'loss',
      step: 0,
      value: 1.5,
      timestamp: '2023-11-14T22:13:20.000Z',
    });
    expect(
      await client.logMetrics(run.id, [
        { key: 'loss', step: 1, value: 1.2 },
        { key: 'acc', step: 1, value: 0.4 },
      ]),
    ).toEqual({ accepted: 2 });
    expect((await client.getMetrics(run.id, { key: 'loss' })).items.map((point) => point.value)).toEqual([1.5, 1.2]);
    expect((await client.getMetrics(run.id)).items.map((point) => point.key)).toEqual(['acc', 'loss']);

    await client.logParam(run.id, 'lr', 0.01);
    await client.logParam(run.id, 'optimizer', 'adam');
    await client.logParam(run.id, 'amp', true);
    expect((await client.getParams(run.id)).items).toEqual([
      { key: 'amp', value: true },
      { key: 'lr', value: 0.01 },
      { key: 'optimizer', value: 'adam' },
    ]);

    const before = await client.getRun(run.id);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await client.heartbeat(run.id);
    expect(Date.parse((await client.getRun(run.id)).last_activity_at ?? '')).toBeGreaterThan(Date.parse(before.last_activity_at ?? '0'));

    expect(await client.uploadArtifact(run.id, 'notes/readme.txt', 'hello', { contentType: 'text/plain' })).toMatchObject({
      key: 'notes/readme.txt',
      size_bytes: 5,
      hash: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
    });
    await client.uploadArtifact(run.id, 'blob.bin', new Blob([new Uint8Array([1, 2, 3])]));
    await client.uploadArtifact(run.id, 'bytes.bin', new Uint8Array([4, 5]));
    await client.uploadArtifact(run.id, 'stream.txt', new Response('streamed').body as ReadableStream<Uint8Array>);
    const directory = await mkdtemp(path.join(os.tmpdir(), 'entrenar-client-'));
    try {
      await writeFile(path.join(directory, 'weights.json'), '{"w":[1,2]}');
      expect(await uploadArtifactFile(client, run.id, path.join(directory, 'weights.json'), { key: 'model/weights.json' })).toMatchObject({
        key: 'model/weights.json',
        size_bytes: 11,
      });
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
    const download = await client.downloadArtifact(run.id, 'notes/readme.txt');
    expect(download.sizeBytes).toBe(5);
    expect(await text(download.body)).toBe('hello');
    expect(await text((await client.downloadArtifact(run.id, 'stream.txt')).body)).toBe('streamed');
    expect((await client.listArtifacts(run.id)).items.map((artifact) => artifact.key).sort()).toEqual([
      'blob.bin',
      'bytes.bin',
      'model/weights.json',
      'notes/readme.txt',
      'stream.txt',
    ]);

    expect(await client.completeRun(run.id, 'success')).toMatchObject({ status: 'success', ended_at: expect.any(String) });
  });

  it('raises TrackingError with the code, status, message and request id of each failure', async () => {
    const missing = await errorOf(client.getRun('run-missing'));
    expect(missing).toMatchObject({ code: 'NOT_FOUND', status: 404, message: 'Run not found: run-missing', requestId: expect.any(String) });
    const experiment = await client.createExperiment(`errors-${Date.now()}`);
    expect(await errorOf(client.createExperiment(experiment.name))).toMatchObject({ code: 'CONFLICT', status: 409 });
    const run = await client.createRun(experiment.id);
    expect(await errorOf(client.completeRun(run.id, 'success'))).toMatchObject({ code: 'CONFLICT', status: 409 });
    expect(await errorOf(client.logMetric(run.id, 'loss', -1, 1))).toMatchObject({
      code: 'INVALID_REQUEST',
      status: 400,
      message: 'step: must be an integer ≥ 0',
    });
    const tooMany = Array.from({ length: 51 }, (_, step) => ({ key: 'loss', step, value: step }));
    expect(await errorOf(client.logMetrics(run.id, tooMany))).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', status: 413 });
    await client.logParam(run.id, 'lr', 0.1);
    expect(await errorOf(client.logParam(run.id, 'lr', 0.2))).toMatchObject({ code: 'CONFLICT', status: 409 });
    expect(missing.transient).toBe(false);
  });

  it('raises UNAUTHORIZED without the API key, and works with it', async () => {
    const keyed = await startEntrenar({ args: [...storageArgs(storage), '--auth-type', 'api_key', '--api-key', 'client-key-123-456789'] });
    try {
      const anonymous = new TrackingClient(keyed.url);
      expect(await errorOf(anonymous.listExperiments())).toMatchObject({ code: 'UNAUTHORIZED', status: 401 });
      const withKey = new TrackingClient(keyed.url, { apiKey: 'client-key-123-456789' });
      expect((await withKey.listExperiments()).items.length).toBeGreaterThan(0);
    } finally {
      await keyed.stop();
    }
  });

  it('never stores a retried write twice: a lost response is answered from the first attempt', async () => {
    const experiment = await client.createExperiment(`exactly-once-${Date.now()}`);
    let dropped = 0;
    const keys: string[] = [];
    // A proxy that forwards the first run creation to the server, then drops its response.
    const proxy = await scriptedServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        keys.push(String(request.headers['idempotency-key']));
        const upstream = http.request(`${server.url}${request.url}`, { method: request.method, headers: request.headers }, (answer) => {
          const body: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => body.push(chunk));
          answer.on('end', () => {
            if (request.method === 'POST' && dropped === 0) {
              dropped += 1;
              response.socket?.destroy();
              return;
            }
            response.writeHead(answer.statusCode ?? 500, answer.headers);
            response.end(Buffer.concat(body));
          });
        });
        upstream.end(Buffer.concat(chunks));
      });
    });
    try {
      const viaProxy = new TrackingClient(proxy.url, { retry: { maxAttempts: 3, baseDelayMs: 10 } });
      const run = await viaProxy.createRun(experiment.id, { name: 'once' });
      expect(dropped).toBe(1);
      expect(keys).toHaveLength(2);
      expect(keys[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(keys[0]).toBe(keys[1]);
      const runs = await client.listRuns(experiment.id);
      expect(runs.items.map((item) => item.id)).toEqual([run.id]);
    } finally {
      await proxy.close();
    }
  });
});

describe('TrackingClient retries', () => {
  it('retries 503 and 429 (honouring Retry-After) with the same Idempotency-Key, then succeeds', async () => {
    const seen: { status: number; key: string; at: number }[] = [];
    const answers = [503, 429, 201];
    const fake = await scriptedServer((request, response) => {
      const status = answers[seen.length] ?? 201;
      seen.push({ status, key: String(request.headers['idempotency-key']), at: Date.now() });
      request.resume();
      if (status === 429) {
        response.writeHead(429, { 'Retry-After': '1', 'Content-Type': 'application/json' });
        response.end('{"error":{"code":"TOO_MANY_REQUESTS","message":"slow down"}}');
        return;
      }
      response.writeHead(status, { 'Content-Type': 'application/json' });
      response.end(status === 201 ? '{"accepted":1}' : '{"error":{"code":"INTERNAL_ERROR","message":"restarting"}}');
    });
    try {
      const client = new TrackingClient(fake.url, { retry: { maxAttempts: 4, baseDelayMs: 10, maxDelayMs: 2000 } });
      expect(await client.logMetrics('run-x', [{ key: 'loss', step: 0, value: 1 }])).toEqual({ accepted: 1 });
      expect(seen.map((attempt) => attempt.status)).toEqual([503, 429, 201]);
      // One key, and a real one: String(undefined) would be the same on every attempt too.
      expect(seen[0].key).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(new Set(seen.map((attempt) => attempt.key)).size).toBe(1);
      expect(seen[2].at - seen[1].at).toBeGreaterThanOrEqual(900);
    } finally {
      await fake.close();
    }
  });

  it('gives up after the last attempt with NETWORK_ERROR when nothing listens, and TIMEOUT when nothing answers', async () => {
    const closedPort = await freePort();
    const unreachable = new TrackingClient(`http://127.0.0.1:${closedPort}`, { retry: { maxAttempts: 2, baseDelayMs: 5 } });
    expect(await errorOf(unreachable.getRun('run-x'))).toMatchObject({ code: 'NETWORK_ERROR', status: 0, transient: true });
    const silent = await scriptedServer(() => undefined);
    try {
      const slow = new TrackingClient(silent.url, { timeoutMs: 100, retry: { maxAttempts: 1 } });
      expect(await errorOf(slow.getRun('run-x'))).toMatchObject({ code: 'TIMEOUT', status: 0 });
    } finally {
      await silent.close();
    }
  });
});
