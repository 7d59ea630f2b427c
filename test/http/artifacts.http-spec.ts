import http from 'node:http';
import {
  BOUNDARY,
  binaryPayload,
  blobDir,
  bytesParser,
  eventually,
  expectError,
  filesUnder,
  multipartHead,
  multipartTail,
  rawRequest,
  SHA256,
  sha256,
  tmpDir,
} from '../support/artifacts.js';
import { factories, uploadArtifact } from '../support/factories.js';
import { startTestApp, TestApp } from '../support/test-app.js';

describe('artifacts over HTTP', () => {
  let server: TestApp;
  let make: ReturnType<typeof factories>;

  beforeAll(async () => {
    server = await startTestApp();
    make = factories(server.http);
  });
  afterAll(() => server.close());

  const artifactsOf = (runId: string) => `/api/v1/runs/${runId}/artifacts`;

  const download = (runId: string, key: string) =>
    server
      .http()
      .get(`${artifactsOf(runId)}/${key.split('/').map(encodeURIComponent).join('/')}`)
      .buffer(true)
      .parse(bytesParser);

  describe('upload and download', () => {
    it('answers 201 with the key, the real SHA-256 of the bytes and their size', async () => {
      const run = await make.run();
      const bytes = binaryPayload(300 * 1024);
      const response = await server
        .http()
        .post(artifactsOf(run.id))
        .field('key', 'model.safetensors')
        .attach('file', bytes, { filename: 'whatever.bin', contentType: 'application/octet-stream' })
        .expect(201);
      expect(response.body).toEqual({ key: 'model.safetensors', hash: sha256(bytes), size_bytes: bytes.length });
      expect(response.body.hash).toMatch(SHA256);
    });

    it('streams back exactly the uploaded bytes of a nested key, with Content-Length and Content-Type', async () => {
      const run = await make.run();
      const bytes = binaryPayload(450 * 1024 + 17);
      await uploadArtifact(server.http, run.id, bytes, { key: 'a/b/c.bin', contentType: 'application/x-entrenar-checkpoint' });

      const response = await download(run.id, 'a/b/c.bin').expect(200);
      expect(Buffer.isBuffer(response.body)).toBe(true);
      expect((response.body as Buffer).equals(bytes)).toBe(true);
      expect(response.headers['content-length']).toBe(String(bytes.length));
      expect(response.headers['content-type']).toMatch(/^application\/x-entrenar-checkpoint\b/);
      expect(response.headers['content-disposition']).toContain('filename="c.bin"');
    });

    it('uses the uploaded file name as the key when no key is sent', async () => {
      const run = await make.run();
      const bytes = Buffer.from('epoch,loss\n1,0.5\n');
      const response = await server
        .http()
        .post(artifactsOf(run.id))
        .attach('file', bytes, { filename: 'history.csv', contentType: 'text/csv' })
        .expect(201);
      expect(response.body).toEqual({ key: 'history.csv', hash: sha256(bytes), size_bytes: bytes.length });
      const back = await download(run.id, 'history.csv').expect(200);
      expect((back.body as Buffer).equals(bytes)).toBe(true);
      expect(back.headers['content-type']).toMatch(/^text\/csv\b/);
    });

    it('stores an empty file with the SHA-256 of no bytes and size 0', async () => {
      const run = await make.run();
      const empty = Buffer.alloc(0);
      const response = await uploadArtifact(server.http, run.id, empty, { key: 'empty.txt' });
      expect(response).toEqual({
        key: 'empty.txt',
        hash: 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
        size_bytes: 0,
      });
      const back = await download(run.id, 'empty.txt').expect(200);
      expect(back.headers['content-length']).toBe('0');
      expect((back.body as Buffer).length).toBe(0);
    });

    it('round-trips keys with spaces and non-ASCII characters', async () => {
      const run = await make.run();
      const bytes = Buffer.from('rapport');
      const key = 'reports/résumé final (v2).txt';
      const uploaded = await uploadArtifact(server.http, run.id, bytes, { key });
      expect(uploaded.key).toBe(key);
      const back = await download(run.id, key).expect(200);
      expect((back.body as Buffer).equals(bytes)).toBe(true);
      const listed = await server.http().get(artifactsOf(run.id)).expect(200);
      expect((listed.body.artifacts as Array<{ key: string }>).map((artifact) => artifact.key)).toEqual([key]);
    });

    it('keeps the same content under two keys and two runs, each downloadable', async () => {
      const first = await make.run();
      const second = await make.run();
      const bytes = binaryPayload(64 * 1024);
      await uploadArtifact(server.http, first.id, bytes, { key: 'one.bin' });
      await uploadArtifact(server.http, first.id, bytes, { key: 'copy/two.bin' });
      await uploadArtifact(server.http, second.id, bytes, { key: 'one.bin' });
      for (const [runId, key] of [
        [first.id, 'one.bin'],
        [first.id, 'copy/two.bin'],
        [second.id, 'one.bin'],
      ]) {
        const back = await download(runId, key).expect(200);
        expect((back.body as Buffer).equals(bytes)).toBe(true);
      }
      // Content-addressed: one blob for the three names.
      const blobs = await filesUnder(blobDir(server));
      expect(blobs.filter((file) => file.endsWith(sha256(bytes).slice('sha256:'.length)))).toHaveLength(1);
    });

    it('accepts the same bytes under the same key again with 201, keeping one artifact', async () => {
      const run = await make.run();
      const bytes = Buffer.from('identical content');
      const first = await uploadArtifact(server.http, run.id, bytes, { key: 'same.txt' });
      const again = await server
        .http()
        .post(artifactsOf(run.id))
        .field('key', 'same.txt')
        .attach('file', bytes, { filename: 'same.txt' })
        .expect(201);
      expect(again.body).toEqual(first);
      const listed = await server.http().get(artifactsOf(run.id)).expect(200);
      expect(listed.body.artifacts).toHaveLength(1);
      expect(await filesUnder(tmpDir(server))).toEqual([]);
    });

    it('answers 409 CONFLICT for different bytes under an existing key, and keeps the original', async () => {
      const run = await make.run();
      const original = binaryPayload(20 * 1024);
      const other = binaryPayload(20 * 1024);
      await uploadArtifact(server.http, run.id, original, { key: 'weights/final.bin' });
      const response = await server
        .http()
        .post(artifactsOf(run.id))
        .field('key', 'weights/final.bin')
        .attach('file', other, { filename: 'final.bin' })
        .expect(409);
      expectError(response, 409, 'CONFLICT');
      expect(response.body.error.message).toContain('weights/final.bin');

      const back = await download(run.id, 'weights/final.bin').expect(200);
      expect((back.body as Buffer).equals(original)).toBe(true);
      const listed = await server.http().get(artifactsOf(run.id)).expect(200);
      expect(listed.body.artifacts).toEqual([expect.objectContaining({ key: 'weights/final.bin', hash: sha256(original) })]);
      // The refused bytes were neither kept as a blob nor left in staging.
      const rejectedHash = sha256(other).slice('sha256:'.length);
      expect((await filesUnder(blobDir(server))).some((file) => file.endsWith(rejectedHash))).toBe(false);
      expect(await filesUnder(tmpDir(server))).toEqual([]);
    });
  });

  describe('listing', () => {
    it('lists artifacts by key with hash, size, content type and creation time', async () => {
      const run = await make.run();
      const model = binaryPayload(4096);
      const config = Buffer.from('{"lr":0.001}');
      await uploadArtifact(server.http, run.id, model, { key: 'model/weights.bin' });
      await uploadArtifact(server.http, run.id, config, { key: 'config.json', contentType: 'application/json' });

      const response = await server.http().get(artifactsOf(run.id)).expect(200);
      expect(response.body).toEqual({
        folders: [],
        artifacts: [
          {
            key: 'config.json',
            hash: sha256(config),
            size_bytes: config.length,
            content_type: 'application/json',
            created_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/),
          },
          {
            key: 'model/weights.bin',
            hash: sha256(model),
            size_bytes: model.length,
            content_type: 'application/octet-stream',
            created_at: expect.stringMatching(/Z$/),
          },
        ],
      });
    });

    it('answers an empty list for a run without artifacts', async () => {
      const run = await make.run();
      const response = await server.http().get(artifactsOf(run.id)).expect(200);
      expect(response.body).toEqual({ artifacts: [], folders: [] });
    });

    it('pages with max_results and next_page_token, visiting every artifact once', async () => {
      const run = await make.run();
      const keys = ['e.txt', 'a.txt', 'd/x.txt', 'b.txt', 'c.txt'];
      for (const key of keys) {
        await uploadArtifact(server.http, run.id, Buffer.from(key), { key });
      }
      const seen: string[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const response = await server
          .http()
          .get(artifactsOf(run.id))
          .query({ max_results: 2, ...(token ? { page_token: token } : {}) })
          .expect(200);
        expect(response.body.artifacts.length).toBeLessThanOrEqual(2);
        seen.push(...(response.body.artifacts as Array<{ key: string }>).map((artifact) => artifact.key));
        token = response.body.next_page_token as string | undefined;
        pages++;
      } while (token && pages < 10);
      expect(pages).toBe(3);
      expect(seen).toEqual([...keys].sort());
    });

    it('answers 400 for a max_results out of range or a page token it did not issue', async () => {
      const run = await make.run();
      expectError(await server.http().get(artifactsOf(run.id)).query({ max_results: 0 }), 400, 'INVALID_REQUEST');
      expectError(await server.http().get(artifactsOf(run.id)).query({ max_results: 'many' }), 400, 'INVALID_REQUEST');
      expectError(await server.http().get(artifactsOf(run.id)).query({ page_token: 'bm90LWEtdG9rZW4' }), 400, 'INVALID_REQUEST');
    });
  });

  describe('not found', () => {
    it('answers 404 NOT_FOUND for an upload, a list or a download on an unknown run', async () => {
      const upload = await server.http().post(artifactsOf('run-doesnotexist')).attach('file', Buffer.from('x'), { filename: 'x.txt' });
      expectError(upload, 404, 'NOT_FOUND');
      expect(upload.body.error.message).toContain('run-doesnotexist');
      expectError(await server.http().get(artifactsOf('run-doesnotexist')), 404, 'NOT_FOUND');
      expectError(await server.http().get(`${artifactsOf('run-doesnotexist')}/x.txt`), 404, 'NOT_FOUND');
      expect(await filesUnder(tmpDir(server))).toEqual([]);
    });

    it('answers 404 NOT_FOUND for an unknown key of a known run, including a folder prefix of a key', async () => {
      const run = await make.run();
      await uploadArtifact(server.http, run.id, Buffer.from('deep'), { key: 'a/b/c.bin' });
      const missing = await server.http().get(`${artifactsOf(run.id)}/nope.bin`);
      expectError(missing, 404, 'NOT_FOUND');
      expect(missing.body.error.message).toContain('nope.bin');
      expectError(await server.http().get(`${artifactsOf(run.id)}/a/b`), 404, 'NOT_FOUND');
      expectError(await server.http().get(`${artifactsOf(run.id)}/a/b/c.bin/more`), 404, 'NOT_FOUND');
    });

    it("does not serve one run's artifact through another run", async () => {
      const owner = await make.run();
      const other = await make.run();
      await uploadArtifact(server.http, owner.id, Buffer.from('private'), { key: 'secret.txt' });
      expectError(await server.http().get(`${artifactsOf(other.id)}/secret.txt`), 404, 'NOT_FOUND');
    });
  });

  describe('keys that escape the run folder', () => {
    const escapingKeys: Array<[string, string]> = [
      ['a parent segment', '../x'],
      ['a parent segment after a folder', 'a/../../x'],
      ['an absolute path', '/etc/passwd'],
      ['a backslash', 'a\\b'],
      ['a Windows parent path', '..\\..\\x'],
      ['a NUL byte', 'a\u0000b'],
      ['an empty segment', 'a//b'],
      ['a trailing slash', 'a/'],
      ['a dot segment', './x'],
      ['a Windows drive', 'C:/x'],
    ];

    it.each(escapingKeys)('refuses an upload key with %s with 400 INVALID_REQUEST and stores nothing', async (_what, key) => {
      const run = await make.run();
      const response = await server
        .http()
        .post(artifactsOf(run.id))
        .field('key', key)
        .attach('file', Buffer.from('payload'), { filename: 'payload.txt' });
      expectError(response, 400, 'INVALID_REQUEST');
      expect(response.body.error.message).toMatch(/^key: /);
      const listed = await server.http().get(artifactsOf(run.id)).expect(200);
      expect(listed.body.artifacts).toEqual([]);
      expect(await filesUnder(tmpDir(server))).toEqual([]);
    });

    it('keeps only the base name of an uploaded file name with folders when it becomes the key', async () => {
      const run = await make.run();
      const head = Buffer.from(
        `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="../../escape.txt"\r\n` +
          'Content-Type: text/plain\r\n\r\nescaped',
      );
      const body = Buffer.concat([head, multipartTail]);
      const response = await rawRequest(server.url, {
        method: 'POST',
        path: artifactsOf(run.id),
        headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, 'content-length': body.length },
        chunks: [body],
      });
      expect(response.status).toBe(201);
      expect(JSON.parse(response.text)).toMatchObject({ key: 'escape.txt', size_bytes: 'escaped'.length });
      const listed = await server.http().get(artifactsOf(run.id)).expect(200);
      expect((listed.body.artifacts as Array<{ key: string }>).map((artifact) => artifact.key)).toEqual(['escape.txt']);
    });

    const escapingPaths: Array<[string, string]> = [
      ['a raw parent segment', '../x'],
      ['a raw parent segment after a folder', 'a/../../x'],
      ['an encoded parent segment', '%2e%2e/x'],
      ['an upper-case encoded parent segment', '%2E%2E/%2E%2E/x'],
      ['encoded slashes around a parent segment', 'a%2F..%2F..%2Fx'],
      ['an encoded absolute path', '%2Fetc%2Fpasswd'],
      ['a leading empty segment', '/etc/passwd'],
      ['an encoded backslash', 'a%5Cb'],
      ['an encoded NUL byte', 'a%00b'],
      ['an empty segment', 'a//b'],
      ['a dot segment', './x'],
    ];

    it.each(escapingPaths)('refuses a download path with %s with 400 INVALID_REQUEST', async (_what, keyPath) => {
      const run = await make.run();
      await uploadArtifact(server.http, run.id, Buffer.from('inside'), { key: 'x' });
      const response = await rawRequest(server.url, { method: 'GET', path: `${artifactsOf(run.id)}/${keyPath}` });
      expectError(response, 400, 'INVALID_REQUEST');
    });
  });

  describe('malformed uploads', () => {
    it('answers 400 for a body that is not multipart', async () => {
      const run = await make.run();
      const json = await server.http().post(artifactsOf(run.id)).send({ file: 'not a file' });
      expectError(json, 400, 'INVALID_REQUEST');
      const text = await server
        .http()
        .post(artifactsOf(run.id))
        .set('Content-Type', 'application/octet-stream')
        .send(Buffer.from('raw bytes'));
      expectError(text, 400, 'INVALID_REQUEST');
      const none = await server.http().post(artifactsOf(run.id));
      expectError(none, 400, 'INVALID_REQUEST');
      expect((await server.http().get(artifactsOf(run.id)).expect(200)).body.artifacts).toEqual([]);
    });

    it('answers 400 for a multipart body without a boundary', async () => {
      const run = await make.run();
      const response = await rawRequest(server.url, {
        method: 'POST',
        path: artifactsOf(run.id),
        headers: { 'content-type': 'multipart/form-data', 'content-length': 5 },
        chunks: [Buffer.from('hello')],
      });
      expectError(response, 400, 'INVALID_REQUEST');
    });

    it('answers 400 naming "file" when there is no file part', async () => {
      const run = await make.run();
      const response = await server.http().post(artifactsOf(run.id)).field('key', 'lonely.txt');
      expectError(response, 400, 'INVALID_REQUEST');
      expect(response.body.error.message).toContain('file');
      expect((await server.http().get(artifactsOf(run.id)).expect(200)).body.artifacts).toEqual([]);
    });

    it('answers 400 when the only file part has another name', async () => {
      const run = await make.run();
      const response = await server.http().post(artifactsOf(run.id)).attach('upload', Buffer.from('x'), { filename: 'x.txt' });
      expectError(response, 400, 'INVALID_REQUEST');
      expect((await server.http().get(artifactsOf(run.id)).expect(200)).body.artifacts).toEqual([]);
    });

    it('answers 400 for two files and stores neither', async () => {
      const run = await make.run();
      const response = await server
        .http()
        .post(artifactsOf(run.id))
        .attach('file', Buffer.from('first'), { filename: 'first.txt' })
        .attach('file', Buffer.from('second'), { filename: 'second.txt' });
      expectError(response, 400, 'INVALID_REQUEST');
      expect((await server.http().get(artifactsOf(run.id)).expect(200)).body.artifacts).toEqual([]);
      expect(await filesUnder(tmpDir(server))).toEqual([]);
    });

    it('answers 400 for a truncated multipart body (no closing boundary) and stores nothing', async () => {
      const run = await make.run();
      const body = Buffer.concat([multipartHead('cut.bin'), Buffer.from('half a file')]);
      const response = await rawRequest(server.url, {
        method: 'POST',
        path: artifactsOf(run.id),
        headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, 'content-length': body.length },
        chunks: [body],
      });
      expectError(response, 400, 'INVALID_REQUEST');
      expect((await server.http().get(artifactsOf(run.id)).expect(200)).body.artifacts).toEqual([]);
      expect(
        await eventually(
          () => filesUnder(tmpDir(server)),
          (files) => files.length === 0,
        ),
      ).toEqual([]);
    });

    it('leaves nothing behind when the client disconnects half-way through an upload', async () => {
      const run = await make.run();
      const blobsBefore = await filesUnder(blobDir(server));
      const content = binaryPayload(256 * 1024);
      const head = multipartHead('interrupted.bin');
      const fullLength = head.length + content.length + multipartTail.length;
      const { hostname, port } = new URL(server.url);

      const request = http.request({
        host: hostname,
        port,
        method: 'POST',
        path: artifactsOf(run.id),
        headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, 'content-length': fullLength },
      });
      const outcome = new Promise<string>((resolve) => {
        request.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
        request.on('response', (response) => resolve(`response ${response.statusCode}`));
        request.on('close', () => resolve('closed'));
      });
      request.write(head);
      request.write(content.subarray(0, content.length / 2));

      // The server is staging the half it got: the upload really reached the store.
      const staging = await eventually(
        () => filesUnder(tmpDir(server)),
        (files) => files.length > 0,
      );
      expect(staging).toHaveLength(1);
      request.destroy();
      await outcome;

      expect(
        await eventually(
          () => filesUnder(tmpDir(server)),
          (files) => files.length === 0,
        ),
      ).toEqual([]);
      expect(await filesUnder(blobDir(server))).toEqual(blobsBefore);
      const listed = await server.http().get(artifactsOf(run.id)).expect(200);
      expect(listed.body.artifacts).toEqual([]);
      // The server is still fine.
      await uploadArtifact(server.http, run.id, Buffer.from('after'), { key: 'after.txt' });
    });
  });

  describe('size limit', () => {
    let small: TestApp;
    const LIMIT = 64 * 1024;

    beforeAll(async () => {
      small = await startTestApp({ maxBodySize: LIMIT });
    });
    afterAll(() => small.close());

    const expectNothingStored = async (runId: string) => {
      const listed = await small.http().get(`/api/v1/runs/${runId}/artifacts`).expect(200);
      expect(listed.body.artifacts).toEqual([]);
      expect(
        await eventually(
          () => filesUnder(tmpDir(small)),
          (files) => files.length === 0,
        ),
      ).toEqual([]);
      expect(await filesUnder(blobDir(small))).toEqual([]);
    };

    it('answers 413 PAYLOAD_TOO_LARGE for an upload over --max-body-size and stores nothing', async () => {
      const run = await factories(small.http).run();
      const response = await small
        .http()
        .post(`/api/v1/runs/${run.id}/artifacts`)
        .field('key', 'big.bin')
        .attach('file', binaryPayload(200 * 1024), { filename: 'big.bin' });
      expectError(response, 413, 'PAYLOAD_TOO_LARGE');
      await expectNothingStored(run.id);
    });

    it('answers 413 for a chunked upload without Content-Length once the file exceeds the limit, and stores nothing', async () => {
      const run = await factories(small.http).run();
      const content = binaryPayload(200 * 1024);
      const chunks = [multipartHead('big.bin')];
      for (let offset = 0; offset < content.length; offset += 16 * 1024) {
        chunks.push(content.subarray(offset, offset + 16 * 1024));
      }
      chunks.push(multipartTail);
      const response = await rawRequest(small.url, {
        method: 'POST',
        path: `/api/v1/runs/${run.id}/artifacts`,
        headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, 'transfer-encoding': 'chunked' },
        chunks,
      });
      expectError(response, 413, 'PAYLOAD_TOO_LARGE');
      await expectNothingStored(run.id);
    });

    it('still accepts an upload under the limit', async () => {
      const run = await factories(small.http).run();
      const bytes = binaryPayload(32 * 1024);
      const response = await uploadArtifact(small.http, run.id, bytes, { key: 'fits.bin' });
      expect(response).toEqual({ key: 'fits.bin', hash: sha256(bytes), size_bytes: bytes.length });
    });
  });
});
