import http from 'node:http';
import { SqlClient } from '../../src/database/sql-client.js';
import {
  binaryPayload,
  blobDir,
  bytesParser,
  eventually,
  expectError,
  filesUnder,
  hexOf,
  keyPath,
  rawRequest,
  sha256,
  storedHashes,
  tmpDir,
} from '../support/artifacts.js';
import { factories, uploadArtifact } from '../support/factories.js';
import { startTestApp, TestApp } from '../support/test-app.js';

describe('raw artifact uploads (PUT /api/v1/runs/{id}/artifacts/{key})', () => {
  let server: TestApp;
  let make: ReturnType<typeof factories>;

  beforeAll(async () => {
    server = await startTestApp();
    make = factories(server.http);
  });
  afterAll(() => server.close());

  const artifactsOf = (runId: string) => `/api/v1/runs/${runId}/artifacts`;
  const put = (runId: string, key: string, bytes: Buffer, contentType = 'application/octet-stream') =>
    server
      .http()
      .put(`${artifactsOf(runId)}/${keyPath(key)}`)
      .set('Content-Type', contentType)
      .send(bytes);
  const download = (runId: string, key: string) =>
    server
      .http()
      .get(`${artifactsOf(runId)}/${keyPath(key)}`)
      .buffer(true)
      .parse(bytesParser);
  const listed = async (runId: string) =>
    (await server.http().get(artifactsOf(runId)).expect(200)).body.artifacts as Array<Record<string, unknown>>;

  describe('storing', () => {
    it('stores the body as the file: 201 with key, SHA-256 and size, and downloads the same bytes with its Content-Type', async () => {
      const run = await make.run();
      const bytes = binaryPayload(200 * 1024 + 3);
      const response = await put(run.id, 'checkpoints/step-100/model.safetensors', bytes, 'application/x-safetensors').expect(201);
      expect(response.body).toEqual({ key: 'checkpoints/step-100/model.safetensors', hash: sha256(bytes), size_bytes: bytes.length });
      const back = await download(run.id, 'checkpoints/step-100/model.safetensors').expect(200);
      expect((back.body as Buffer).equals(bytes)).toBe(true);
      expect(back.headers['content-type']).toMatch(/^application\/x-safetensors/);
      expect(await listed(run.id)).toEqual([
        expect.objectContaining({ key: 'checkpoints/step-100/model.safetensors', content_type: 'application/x-safetensors' }),
      ]);
    });

    it('stores an application/json body byte for byte, even when it is not valid JSON', async () => {
      const run = await make.run();
      for (const [key, text] of [
        ['metrics.json', '{ "loss" :  0.25,\n  "acc": 0.9 }\n'],
        ['broken.json', '{"unterminated": '],
        ['array.json', '[1, 2, 3]'],
      ]) {
        const bytes = Buffer.from(text);
        const response = await rawRequest(server.url, {
          method: 'PUT',
          path: `${artifactsOf(run.id)}/${key}`,
          headers: { 'content-type': 'application/json', 'content-length': bytes.length },
          chunks: [bytes],
        });
        expect(response.status).toBe(201);
        expect(JSON.parse(response.text)).toEqual({ key, hash: sha256(bytes), size_bytes: bytes.length });
        const back = await download(run.id, key).expect(200);
        expect((back.body as Buffer).toString('utf8')).toBe(text);
        expect(back.headers['content-type']).toMatch(/^application\/json/);
      }
    });

    it('stores a body without a Content-Type as application/octet-stream, and an empty body as an empty file', async () => {
      const run = await make.run();
      const bytes = Buffer.from('no type given');
      const response = await rawRequest(server.url, {
        method: 'PUT',
        path: `${artifactsOf(run.id)}/plain.bin`,
        headers: { 'content-length': bytes.length },
        chunks: [bytes],
      });
      expect(response.status).toBe(201);
      const empty = await put(run.id, 'empty.bin', Buffer.alloc(0)).expect(201);
      expect(empty.body).toEqual({ key: 'empty.bin', hash: sha256(Buffer.alloc(0)), size_bytes: 0 });
      const byKey = new Map((await listed(run.id)).map((artifact) => [artifact.key, artifact]));
      expect(byKey.get('plain.bin')).toMatchObject({ content_type: 'application/octet-stream', size_bytes: bytes.length });
      expect(byKey.get('empty.bin')).toMatchObject({ size_bytes: 0 });
    });

    it('streams a chunked body without Content-Length', async () => {
      const run = await make.run();
      const bytes = binaryPayload(300 * 1024);
      const chunks: Buffer[] = [];
      for (let offset = 0; offset < bytes.length; offset += 7000) {
        chunks.push(bytes.subarray(offset, offset + 7000));
      }
      const response = await rawRequest(server.url, {
        method: 'PUT',
        path: `${artifactsOf(run.id)}/chunked.bin`,
        headers: { 'transfer-encoding': 'chunked', 'content-type': 'application/octet-stream' },
        chunks,
      });
      expect(response.status).toBe(201);
      expect(JSON.parse(response.text)).toEqual({ key: 'chunked.bin', hash: sha256(bytes), size_bytes: bytes.length });
    });

    it('accepts the same bytes again under the same key with 201 and keeps one artifact', async () => {
      const run = await make.run();
      const bytes = Buffer.from('same bytes');
      const first = await put(run.id, 'same.txt', bytes).expect(201);
      const again = await put(run.id, 'same.txt', bytes).expect(201);
      expect(again.body).toEqual(first.body);
      expect(await listed(run.id)).toHaveLength(1);
      expect(await filesUnder(tmpDir(server))).toEqual([]);
    });

    it('answers 409 CONFLICT for different bytes under an existing key, keeping the original and no trace of the refused bytes', async () => {
      const run = await make.run();
      const original = binaryPayload(10_000);
      const other = binaryPayload(10_000);
      await put(run.id, 'weights.bin', original).expect(201);
      const response = await put(run.id, 'weights.bin', other);
      expectError(response, 409, 'CONFLICT');
      expect(response.body.error.message).toContain('overwrite=true');
      expect(((await download(run.id, 'weights.bin').expect(200)).body as Buffer).equals(original)).toBe(true);
      expect(await storedHashes(server)).not.toContain(hexOf(other));
      expect(await filesUnder(tmpDir(server))).toEqual([]);
    });

    it('replaces different bytes with ?overwrite=true, for raw and multipart uploads alike', async () => {
      const run = await make.run();
      const first = binaryPayload(5000);
      const second = binaryPayload(6000);
      const third = binaryPayload(7000);
      await put(run.id, 'model.bin', first).expect(201);

      const raw = await server
        .http()
        .put(`${artifactsOf(run.id)}/model.bin?overwrite=true`)
        .set('Content-Type', 'application/x-v2')
        .send(second)
        .expect(201);
      expect(raw.body).toEqual({ key: 'model.bin', hash: sha256(second), size_bytes: second.length });
      expect(((await download(run.id, 'model.bin').expect(200)).body as Buffer).equals(second)).toBe(true);

      const multipart = await server
        .http()
        .post(`${artifactsOf(run.id)}?overwrite=true`)
        .field('key', 'model.bin')
        .attach('file', third, { filename: 'model.bin', contentType: 'application/x-v3' })
        .expect(201);
      expect(multipart.body).toEqual({ key: 'model.bin', hash: sha256(third), size_bytes: third.length });
      const back = await download(run.id, 'model.bin').expect(200);
      expect((back.body as Buffer).equals(third)).toBe(true);
      expect(back.headers['content-type']).toMatch(/^application\/x-v3/);
      expect(await listed(run.id)).toEqual([expect.objectContaining({ key: 'model.bin', hash: sha256(third), size_bytes: third.length })]);
    });

    it('still answers 409 for a multipart upload over an existing key with ?overwrite=false', async () => {
      const run = await make.run();
      await uploadArtifact(server.http, run.id, Buffer.from('one'), { key: 'k.txt' });
      const response = await server
        .http()
        .post(`${artifactsOf(run.id)}?overwrite=false`)
        .field('key', 'k.txt')
        .attach('file', Buffer.from('two'), { filename: 'k.txt' });
      expectError(response, 409, 'CONFLICT');
    });

    it('answers 400 for an overwrite that is not true or false, storing nothing', async () => {
      const run = await make.run();
      const response = await server
        .http()
        .put(`${artifactsOf(run.id)}/x.bin?overwrite=yes`)
        .send(Buffer.from('x'));
      expectError(response, 400, 'INVALID_REQUEST');
      expect(response.body.error.message).toContain('overwrite');
      expect(await listed(run.id)).toEqual([]);
    });

    it('answers 404 for an unknown run and 409 for a deleted one, reading no body and storing nothing', async () => {
      expectError(await put('run-doesnotexist', 'x.bin', Buffer.from('x')), 404, 'NOT_FOUND');
      const run = await make.run();
      await server.app.get(SqlClient).execute("UPDATE runs SET lifecycle_stage = 'deleted' WHERE public_id = ?", [run.id]);
      const response = await put(run.id, 'x.bin', binaryPayload(50_000));
      expectError(response, 409, 'CONFLICT');
      expect(await filesUnder(tmpDir(server))).toEqual([]);
      expect(await listed(run.id)).toEqual([]);
    });
  });

  describe('keys that escape the run folder', () => {
    const escapingPaths: Array<[string, string]> = [
      ['a raw parent segment', '../x'],
      ['a raw parent segment after a folder', 'a/../../x'],
      ['an encoded parent segment', '%2e%2e/x'],
      ['an upper-case encoded parent segment', '%2E%2E/%2E%2E/x'],
      ['encoded slashes around a parent segment', 'a%2F..%2F..%2Fx'],
      ['an encoded absolute path', '%2Fetc%2Fpasswd'],
      ['a leading empty segment', '/etc/passwd'],
      ['an encoded backslash', 'a%5Cb'],
      ['an encoded backslash traversal', '..%5C..%5Cx'],
      ['an encoded NUL byte', 'a%00b'],
      ['an empty segment', 'a//b'],
      ['a dot segment', './x'],
      ['a Windows drive', 'C:%2Fx'],
    ];

    it.each(escapingPaths)('refuses a PUT key with %s with 400 INVALID_REQUEST and stores nothing', async (_what, keyInPath) => {
      const run = await make.run();
      const body = Buffer.from('payload');
      const response = await rawRequest(server.url, {
        method: 'PUT',
        path: `${artifactsOf(run.id)}/${keyInPath}`,
        headers: { 'content-length': body.length, 'content-type': 'application/octet-stream' },
        chunks: [body],
      });
      expectError(response, 400, 'INVALID_REQUEST');
      expect(await listed(run.id)).toEqual([]);
      expect(await filesUnder(tmpDir(server))).toEqual([]);
      expect(await storedHashes(server)).not.toContain(hexOf(body));
    });

    it.each(escapingPaths)('refuses a DELETE key with %s with 400 INVALID_REQUEST', async (_what, keyInPath) => {
      const run = await make.run();
      await uploadArtifact(server.http, run.id, Buffer.from('keep me'), { key: 'x' });
      const response = await rawRequest(server.url, { method: 'DELETE', path: `${artifactsOf(run.id)}/${keyInPath}` });
      expectError(response, 400, 'INVALID_REQUEST');
      expect(await listed(run.id)).toHaveLength(1);
    });
  });

  describe('interrupted uploads', () => {
    it('leaves nothing behind when the client disconnects half-way through a raw upload', async () => {
      const run = await make.run();
      const blobsBefore = await filesUnder(blobDir(server));
      const content = binaryPayload(512 * 1024);
      const { hostname, port } = new URL(server.url);
      const request = http.request({
        host: hostname,
        port,
        method: 'PUT',
        path: `${artifactsOf(run.id)}/interrupted.bin`,
        headers: { 'content-type': 'application/octet-stream', 'content-length': content.length },
      });
      const outcome = new Promise<string>((resolve) => {
        request.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
        request.on('response', (response) => resolve(`response ${response.statusCode}`));
        request.on('close', () => resolve('closed'));
      });
      request.write(content.subarray(0, content.length / 2));

      // The server is staging the half it got: the upload really reached the store.
      expect(
        await eventually(
          () => filesUnder(tmpDir(server)),
          (files) => files.length > 0,
        ),
      ).toHaveLength(1);
      request.destroy();
      await outcome;

      expect(
        await eventually(
          () => filesUnder(tmpDir(server)),
          (files) => files.length === 0,
        ),
      ).toEqual([]);
      expect(await filesUnder(blobDir(server))).toEqual(blobsBefore);
      expect(await listed(run.id)).toEqual([]);
      // The server is still fine.
      await put(run.id, 'after.bin', Buffer.from('after')).expect(201);
    });
  });

  describe('size limit', () => {
    let small: TestApp;
    const LIMIT = 64 * 1024;

    beforeAll(async () => {
      small = await startTestApp({ maxBodySize: LIMIT });
    });
    afterAll(() => small.close());

    /** Nothing listed, nothing staged, no blob beyond those of earlier tests. */
    const expectNothingStored = async (runId: string, blobsBefore: string[]) => {
      const artifacts = (await small.http().get(`/api/v1/runs/${runId}/artifacts`).expect(200)).body.artifacts as unknown[];
      expect(artifacts).toEqual([]);
      expect(
        await eventually(
          () => filesUnder(tmpDir(small)),
          (files) => files.length === 0,
        ),
      ).toEqual([]);
      expect(await filesUnder(blobDir(small))).toEqual(blobsBefore);
    };

    it('answers 413 PAYLOAD_TOO_LARGE for a raw body whose Content-Length is over --max-body-size, and stores nothing', async () => {
      const run = await factories(small.http).run();
      const blobsBefore = await filesUnder(blobDir(small));
      const response = await small
        .http()
        .put(`/api/v1/runs/${run.id}/artifacts/big.bin`)
        .set('Content-Type', 'application/octet-stream')
        .send(binaryPayload(LIMIT + 1));
      expectError(response, 413, 'PAYLOAD_TOO_LARGE');
      expect(response.body.error.message).toContain(String(LIMIT));
      await expectNothingStored(run.id, blobsBefore);
    });

    it('answers 413 for a chunked raw body once it passes the limit, and stores nothing', async () => {
      const run = await factories(small.http).run();
      const blobsBefore = await filesUnder(blobDir(small));
      const content = binaryPayload(4 * LIMIT);
      const chunks: Buffer[] = [];
      for (let offset = 0; offset < content.length; offset += 16 * 1024) {
        chunks.push(content.subarray(offset, offset + 16 * 1024));
      }
      const response = await rawRequest(small.url, {
        method: 'PUT',
        path: `/api/v1/runs/${run.id}/artifacts/big.bin`,
        headers: { 'transfer-encoding': 'chunked', 'content-type': 'application/json' },
        chunks,
      });
      expectError(response, 413, 'PAYLOAD_TOO_LARGE');
      await expectNothingStored(run.id, blobsBefore);
    });

    it('accepts a raw body of exactly the limit', async () => {
      const run = await factories(small.http).run();
      const bytes = binaryPayload(LIMIT);
      const response = await small.http().put(`/api/v1/runs/${run.id}/artifacts/fits.bin`).send(bytes).expect(201);
      expect(response.body).toEqual({ key: 'fits.bin', hash: sha256(bytes), size_bytes: LIMIT });
    });

    it('answers "Expect: 100-continue" with 413 before the body is sent when Content-Length is over the limit', async () => {
      const run = await factories(small.http).run();
      const blobsBefore = await filesUnder(blobDir(small));
      let continued = false;
      const { hostname, port } = new URL(small.url);
      const response = await new Promise<{ status: number; body: string; connection?: string }>((resolve, reject) => {
        const request = http.request(
          {
            host: hostname,
            port,
            method: 'PUT',
            path: `/api/v1/runs/${run.id}/artifacts/huge.bin`,
            headers: { 'content-type': 'application/octet-stream', 'content-length': 10 * 1024 * 1024 * 1024, expect: '100-continue' },
            agent: false,
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('end', () =>
              resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), connection: res.headers.connection }),
            );
          },
        );
        request.on('continue', () => {
          continued = true;
        });
        request.on('error', reject);
        request.flushHeaders();
      });
      expect(continued).toBe(false);
      expect(response.status).toBe(413);
      expect(JSON.parse(response.body)).toEqual({ error: { code: 'PAYLOAD_TOO_LARGE', message: expect.stringContaining(String(LIMIT)) } });
      expect(response.connection).toBe('close');
      await expectNothingStored(run.id, blobsBefore);
    });

    it('sends "100 Continue" for an upload within the limit and stores it', async () => {
      const run = await factories(small.http).run();
      const bytes = binaryPayload(1000);
      const response = await rawRequest(small.url, {
        method: 'PUT',
        path: `/api/v1/runs/${run.id}/artifacts/ok.bin`,
        headers: { 'content-type': 'application/octet-stream', 'content-length': bytes.length, expect: '100-continue' },
        chunks: [bytes],
        waitForContinue: true,
      });
      expect(response.status).toBe(201);
      expect(JSON.parse(response.text)).toEqual({ key: 'ok.bin', hash: sha256(bytes), size_bytes: bytes.length });
    });

    it('answers 413 to a JSON body over --max-json-body-size on other routes (the parser applies there, not the upload limit)', async () => {
      const over = await small
        .http()
        .post('/api/v1/experiments')
        .set('Content-Type', 'application/json')
        .send(JSON.stringify({ name: 'x'.repeat(small.config.maxJsonBodySize + 10) }));
      expectError(over, 413, 'PAYLOAD_TOO_LARGE');
      expect(over.body.error.message).toBe(`request body is larger than the limit of ${small.config.maxJsonBodySize} bytes`);
      // Over the upload limit but within the JSON one: read, then refused for what it says.
      const within = await small
        .http()
        .post('/api/v1/experiments')
        .set('Content-Type', 'application/json')
        .send(JSON.stringify({ name: 'x'.repeat(LIMIT + 10) }));
      expectError(within, 400, 'INVALID_REQUEST');
    });
  });
});
