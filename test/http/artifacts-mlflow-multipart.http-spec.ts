import path from 'node:path';
import { SqlClient } from '../../src/database/sql-client.js';
import { ArtifactGarbageCollector } from '../../src/modules/artifacts/artifact-gc.service.js';
import { PART_SIGNATURE_HEADER, partSignature } from '../../src/modules/artifacts/mlflow-multipart.service.js';
import {
  binaryPayload,
  bytesParser,
  expectMlflowError,
  filesUnder,
  hexOf,
  rawRequest,
  RawResponse,
  sha256,
  tmpDir,
} from '../support/artifacts.js';
import { factories, RunBody } from '../support/factories.js';
import { startTestApp, TestApp } from '../support/test-app.js';

const MPU = '/api/2.0/mlflow-artifacts/mpu';
const KIB = 1024;

interface Credential {
  url: string;
  part_number: number;
  headers: Record<string, string>;
}

interface Created {
  upload_id: string;
  credentials: Credential[];
}

const uploadsDir = (server: TestApp) => path.join(server.storage.dataDir, 'artifacts', 'uploads');

/** The MLflow multipart protocol against one server, as MLflow's HttpArtifactRepository speaks it. */
function multipartClient(server: TestApp, authorization?: string) {
  const auth: Record<string, string> = authorization ? { authorization } : {};
  const folder = (run: RunBody, dir?: string) => `${run.experiment_id}/${run.id}/artifacts${dir ? `/${dir}` : ''}`;
  const post = (step: string, run: RunBody, dir: string | undefined, body: object, root = MPU) =>
    server
      .http()
      .post(`${root}/${step}/${folder(run, dir)}`)
      .set(auth)
      .send(body);
  return {
    create: (run: RunBody, fileName: string, numParts: number, dir?: string) =>
      post('create', run, dir, { path: `/home/trainer/out/${fileName}`, num_parts: numParts }),
    complete: (run: RunBody, fileName: string, uploadId: string, parts: Array<{ part_number: number; etag: string }>, dir?: string) =>
      post('complete', run, dir, { path: `/home/trainer/out/${fileName}`, upload_id: uploadId, parts }),
    abort: (run: RunBody, fileName: string, uploadId: string, dir?: string) =>
      post('abort', run, dir, { path: `/home/trainer/out/${fileName}`, upload_id: uploadId }),
    post,
    /** PUT a part where its credential says, with the credential's headers only (no Authorization), as MLflow's client does. */
    putPart: (credential: Credential, bytes: Buffer, headers: Record<string, string | number> = {}) =>
      rawRequest(server.url, {
        method: 'PUT',
        path: new URL(credential.url).pathname,
        headers: { 'content-length': bytes.length, ...credential.headers, ...headers },
        chunks: [bytes],
      }),
  };
}

/** The part numbers and ETags of answered part PUTs, as the client sends them to complete. */
function etagsOf(responses: Array<{ part: number; response: RawResponse }>): Array<{ part_number: number; etag: string }> {
  return responses.map(({ part, response }) => ({ part_number: part, etag: String(response.headers.etag) }));
}

describe('MLflow multipart artifact upload (mpu/create, part PUTs, mpu/complete, mpu/abort)', () => {
  let server: TestApp;
  let make: ReturnType<typeof factories>;
  let mpu: ReturnType<typeof multipartClient>;
  let sql: SqlClient;

  beforeAll(async () => {
    server = await startTestApp();
    make = factories(server.http);
    mpu = multipartClient(server);
    sql = server.app.get(SqlClient);
  });
  afterAll(() => server.close());

  const v1Artifacts = async (runId: string) =>
    (await server.http().get(`/api/v1/runs/${runId}/artifacts`).expect(200)).body.artifacts as Array<{
      key: string;
      hash: string;
      size_bytes: number;
    }>;
  const v1Download = async (runId: string, key: string) =>
    (await server.http().get(`/api/v1/runs/${runId}/artifacts/${key}`).buffer(true).parse(bytesParser).expect(200)).body as Buffer;
  const uploadRows = async (uploadId: string) =>
    (await sql.query('SELECT upload_id FROM multipart_uploads WHERE upload_id = ?', [uploadId])).length +
    (await sql.query('SELECT upload_id FROM multipart_upload_parts WHERE upload_id = ?', [uploadId])).length;
  const secretOf = async (uploadId: string) =>
    (await sql.queryOne<{ part_secret: string }>('SELECT part_secret FROM multipart_uploads WHERE upload_id = ?', [uploadId]))!.part_secret;

  async function created(run: RunBody, fileName: string, numParts: number, dir?: string): Promise<Created> {
    const response = await mpu.create(run, fileName, numParts, dir);
    expect(response.status).toBe(200);
    return response.body as Created;
  }

  describe('create', () => {
    it('answers an upload id and one credential per part: a URL on this server and a signed header', async () => {
      const run = await make.run();
      const { upload_id, credentials } = await created(run, 'model.bin', 3);
      expect(upload_id).toMatch(/^[0-9a-f]{32}$/);
      expect(credentials.map((credential) => credential.part_number)).toEqual([1, 2, 3]);
      for (const credential of credentials) {
        expect(credential.url).toBe(`${server.url}${MPU}/parts/${upload_id}/${credential.part_number}`);
        expect(Object.keys(credential.headers)).toEqual([PART_SIGNATURE_HEADER]);
        expect(credential.headers[PART_SIGNATURE_HEADER]).toMatch(/^[A-Za-z0-9_-]{43}$/);
      }
      expect(new Set(credentials.map((credential) => credential.headers[PART_SIGNATURE_HEADER])).size).toBe(3);
    });

    it('builds the part URLs from the forwarded scheme, host and prefix a reverse proxy sends', async () => {
      const run = await make.run();
      const response = await server
        .http()
        .post(`${MPU}/create/${run.experiment_id}/${run.id}/artifacts`)
        .set({ 'x-forwarded-proto': 'https', 'x-forwarded-host': 'mlflow.example.org', 'x-forwarded-prefix': '/tracking' })
        .send({ path: 'model.bin', num_parts: 1 })
        .expect(200);
      const { upload_id, credentials } = response.body as Created;
      expect(credentials[0].url).toBe(`https://mlflow.example.org/tracking${MPU}/parts/${upload_id}/1`);
    });

    it('is served under /ajax-api too', async () => {
      const run = await make.run();
      const response = await mpu.post('create', run, undefined, { path: 'a.bin', num_parts: 2 }, '/ajax-api/2.0/mlflow-artifacts/mpu');
      expect(response.status).toBe(200);
      expect((response.body as Created).credentials).toHaveLength(2);
    });

    it.each([
      ['no path', { num_parts: 2 }],
      ['no num_parts', { path: 'model.bin' }],
      ['num_parts 0', { path: 'model.bin', num_parts: 0 }],
      ['num_parts over 10,000', { path: 'model.bin', num_parts: 10_001 }],
      ['num_parts not a number', { path: 'model.bin', num_parts: 'many' }],
      ['a path without a file name', { path: '/home/trainer/out/', num_parts: 1 }],
    ])('answers 400 INVALID_PARAMETER_VALUE for %s and records nothing', async (_case, body) => {
      const run = await make.run();
      expectMlflowError(await mpu.post('create', run, undefined, body), 400, 'INVALID_PARAMETER_VALUE');
      expect(
        await sql.query('SELECT upload_id FROM multipart_uploads WHERE run_id IN (SELECT id FROM runs WHERE public_id = ?)', [run.id]),
      ).toEqual([]);
    });

    it('answers RESOURCE_DOES_NOT_EXIST for a folder that is no run artifact folder, and 400 for an unsafe one', async () => {
      const run = await make.run();
      expectMlflowError(
        await server.http().post(`${MPU}/create/${run.experiment_id}/run-nope/artifacts`).send({ path: 'a.bin', num_parts: 1 }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      );
      expectMlflowError(
        await rawRequest(server.url, {
          method: 'POST',
          path: `${MPU}/create/${run.experiment_id}/${run.id}/artifacts/../x`,
          headers: { 'content-type': 'application/json' },
          chunks: [Buffer.from(JSON.stringify({ path: 'a.bin', num_parts: 1 }))],
        }),
        400,
        'INVALID_PARAMETER_VALUE',
      );
    });
  });

  describe('a whole upload', () => {
    it('takes parts concurrently in any order, answers each with its SHA-256 as ETag, and completes into one artifact in part order', async () => {
      const run = await make.run();
      const sizes = [300 * KIB, 300 * KIB, 300 * KIB, 300 * KIB, 300 * KIB, 77 * KIB];
      const parts = sizes.map((size) => binaryPayload(size));
      const whole = Buffer.concat(parts);
      const { upload_id, credentials } = await created(run, 'model.safetensors', parts.length, 'checkpoints/step-100');
      const answered = await Promise.all(
        [...credentials].reverse().map(async (credential) => ({
          part: credential.part_number,
          response: await mpu.putPart(credential, parts[credential.part_number - 1]),
        })),
      );
      for (const { part, response } of answered) {
        expect(response.status).toBe(200);
        expect(response.headers.etag).toBe(`"${hexOf(parts[part - 1])}"`);
      }
      const completed = await mpu.complete(run, 'model.safetensors', upload_id, etagsOf(answered), 'checkpoints/step-100');
      expect(completed.status).toBe(200);
      expect(completed.body).toEqual({});

      const key = 'checkpoints/step-100/model.safetensors';
      expect(await v1Artifacts(run.id)).toEqual([
        { key, hash: sha256(whole), size_bytes: whole.length, content_type: expect.any(String), created_at: expect.any(String) },
      ]);
      expect((await v1Download(run.id, key)).equals(whole)).toBe(true);
      const listed = await server
        .http()
        .get('/api/2.0/mlflow-artifacts/artifacts')
        .query({ path: `${run.experiment_id}/${run.id}/artifacts/checkpoints/step-100` });
      expect(listed.body).toEqual({ files: [{ path: 'model.safetensors', is_dir: false, file_size: whole.length }] });
      expect(await uploadRows(upload_id)).toBe(0);
      expect(await filesUnder(uploadsDir(server))).toEqual([]);
      expect(await filesUnder(tmpDir(server))).toEqual([]);
    });

    it('stores the file in the run folder when the client names no artifact path, under the file name of a Windows path too', async () => {
      const run = await make.run();
      const bytes = binaryPayload(10 * KIB);
      const response = await mpu.post('create', run, undefined, { path: 'C:\\Users\\me\\weights.pt', num_parts: 1 });
      const { upload_id, credentials } = response.body as Created;
      const put = await mpu.putPart(credentials[0], bytes);
      expect(put.status).toBe(200);
      const done = await mpu.post('complete', run, undefined, {
        path: 'C:\\Users\\me\\weights.pt',
        upload_id,
        parts: [{ part_number: 1, etag: put.headers.etag }],
      });
      expect(done.status).toBe(200);
      expect((await v1Artifacts(run.id)).map((artifact) => artifact.key)).toEqual(['weights.pt']);
    });

    it('replaces an existing file at the key, as a proxy PUT does', async () => {
      const run = await make.run();
      await server
        .http()
        .put(`/api/2.0/mlflow-artifacts/artifacts/${run.experiment_id}/${run.id}/artifacts/model.bin`)
        .send(Buffer.from('old'))
        .expect(200);
      const bytes = binaryPayload(5 * KIB);
      const { upload_id, credentials } = await created(run, 'model.bin', 1);
      const put = await mpu.putPart(credentials[0], bytes);
      expect((await mpu.complete(run, 'model.bin', upload_id, [{ part_number: 1, etag: String(put.headers.etag) }])).status).toBe(200);
      expect((await v1Download(run.id, 'model.bin')).equals(bytes)).toBe(true);
    });

    it('assembles only the parts complete lists, as S3 does', async () => {
      const run = await make.run();
      const parts = [binaryPayload(4 * KIB), binaryPayload(4 * KIB), binaryPayload(4 * KIB)];
      const { upload_id, credentials } = await created(run, 'partial.bin', 3);
      const answered = await Promise.all(
        credentials.map(async (c) => ({ part: c.part_number, response: await mpu.putPart(c, parts[c.part_number - 1]) })),
      );
      const firstAndLast = etagsOf(answered).filter((part) => part.part_number !== 2);
      expect((await mpu.complete(run, 'partial.bin', upload_id, firstAndLast)).status).toBe(200);
      expect((await v1Download(run.id, 'partial.bin')).equals(Buffer.concat([parts[0], parts[2]]))).toBe(true);
      expect(await filesUnder(uploadsDir(server))).toEqual([]);
    });
  });

  describe('parts sent again', () => {
    it('keeps the last bytes sent for a part: complete needs that ETag, and the earlier staged bytes are gone', async () => {
      const run = await make.run();
      const first = binaryPayload(6 * KIB);
      const second = binaryPayload(7 * KIB);
      const { upload_id, credentials } = await created(run, 'retried.bin', 1);
      const before = await mpu.putPart(credentials[0], first);
      const after = await mpu.putPart(credentials[0], second);
      expect([before.status, after.status]).toEqual([200, 200]);
      expect(await filesUnder(path.join(uploadsDir(server), upload_id))).toHaveLength(1);
      expectMlflowError(
        await mpu.complete(run, 'retried.bin', upload_id, [{ part_number: 1, etag: String(before.headers.etag) }]),
        400,
        'INVALID_PARAMETER_VALUE',
      );
      expect((await mpu.complete(run, 'retried.bin', upload_id, [{ part_number: 1, etag: String(after.headers.etag) }])).status).toBe(200);
      expect((await v1Download(run.id, 'retried.bin')).equals(second)).toBe(true);
    });

    it('records exactly one of two concurrent PUTs of the same part, and complete takes only its ETag', async () => {
      const run = await make.run();
      const one = binaryPayload(200 * KIB);
      const other = binaryPayload(200 * KIB);
      const { upload_id, credentials } = await created(run, 'raced.bin', 1);
      const [a, b] = await Promise.all([mpu.putPart(credentials[0], one), mpu.putPart(credentials[0], other)]);
      expect([a.status, b.status]).toEqual([200, 200]);
      const recorded = (await sql.queryOne<{ hash: string }>('SELECT hash FROM multipart_upload_parts WHERE upload_id = ?', [upload_id]))!
        .hash;
      const [winner, loser] = recorded === hexOf(one) ? [one, b] : [other, a];
      expect(recorded).toBe(hexOf(winner));
      expect(await filesUnder(path.join(uploadsDir(server), upload_id))).toHaveLength(1);
      expectMlflowError(
        await mpu.complete(run, 'raced.bin', upload_id, [{ part_number: 1, etag: String(loser.headers.etag) }]),
        400,
        'INVALID_PARAMETER_VALUE',
      );
      expect((await mpu.complete(run, 'raced.bin', upload_id, [{ part_number: 1, etag: `"${hexOf(winner)}"` }])).status).toBe(200);
      expect((await v1Download(run.id, 'raced.bin')).equals(winner)).toBe(true);
    });
  });

  describe('abort', () => {
    it('throws every staged part away and forgets the upload: no artifact, nothing staged, its credentials refused', async () => {
      const run = await make.run();
      const { upload_id, credentials } = await created(run, 'dropped.bin', 3);
      await mpu.putPart(credentials[0], binaryPayload(8 * KIB));
      await mpu.putPart(credentials[1], binaryPayload(8 * KIB));
      expect(await filesUnder(path.join(uploadsDir(server), upload_id))).toHaveLength(2);
      const aborted = await mpu.abort(run, 'dropped.bin', upload_id);
      expect(aborted.status).toBe(200);
      expect(aborted.body).toEqual({});
      expect(await filesUnder(uploadsDir(server))).toEqual([]);
      expect(await uploadRows(upload_id)).toBe(0);
      expect(await v1Artifacts(run.id)).toEqual([]);
      expectMlflowError(await mpu.putPart(credentials[2], binaryPayload(8 * KIB)), 403, 'PERMISSION_DENIED');
      expectMlflowError(await mpu.complete(run, 'dropped.bin', upload_id, [{ part_number: 1, etag: 'x' }]), 400, 'INVALID_PARAMETER_VALUE');
      expectMlflowError(await mpu.abort(run, 'dropped.bin', upload_id), 400, 'INVALID_PARAMETER_VALUE');
    });
  });

  describe('upload ids and part numbers', () => {
    it.each([
      ['an unknown upload id', () => 'f'.repeat(32)],
      ['a malformed upload id', () => '../../etc'],
    ])('answers complete and abort for %s with 400 INVALID_PARAMETER_VALUE', async (_case, id) => {
      const run = await make.run();
      expectMlflowError(await mpu.complete(run, 'a.bin', id(), [{ part_number: 1, etag: 'x' }]), 400, 'INVALID_PARAMETER_VALUE');
      expectMlflowError(await mpu.abort(run, 'a.bin', id()), 400, 'INVALID_PARAMETER_VALUE');
    });

    it('refuses to complete or abort an upload through another artifact than it was created for', async () => {
      const run = await make.run();
      const otherRun = await make.run();
      const { upload_id } = await created(run, 'mine.bin', 1);
      expectMlflowError(await mpu.complete(run, 'other.bin', upload_id, [{ part_number: 1, etag: 'x' }]), 400, 'INVALID_PARAMETER_VALUE');
      expectMlflowError(await mpu.abort(otherRun, 'mine.bin', upload_id), 400, 'INVALID_PARAMETER_VALUE');
      expect((await mpu.abort(run, 'mine.bin', upload_id)).status).toBe(200);
    });

    it.each(['0', '10001', '1.5', 'one', '-1'])('answers a part PUT to part number %s with 400 INVALID_PARAMETER_VALUE', async (number) => {
      const run = await make.run();
      const { upload_id, credentials } = await created(run, 'a.bin', 1);
      const response = await rawRequest(server.url, {
        method: 'PUT',
        path: `${MPU}/parts/${upload_id}/${number}`,
        headers: { ...credentials[0].headers, 'content-length': 3 },
        chunks: [Buffer.from('abc')],
      });
      expectMlflowError(response, 400, 'INVALID_PARAMETER_VALUE');
    });

    it('answers a correctly signed PUT of a part past num_parts with 400, and stores nothing', async () => {
      const run = await make.run();
      const { upload_id } = await created(run, 'a.bin', 2);
      const signature = partSignature(await secretOf(upload_id), upload_id, 3);
      const response = await rawRequest(server.url, {
        method: 'PUT',
        path: `${MPU}/parts/${upload_id}/3`,
        headers: { [PART_SIGNATURE_HEADER]: signature, 'content-length': 3 },
        chunks: [Buffer.from('abc')],
      });
      expectMlflowError(response, 400, 'INVALID_PARAMETER_VALUE');
      expect(JSON.parse(response.text).message).toContain('out of range');
      expect(await filesUnder(uploadsDir(server))).toEqual([]);
    });

    it.each([
      ['without the signature header', () => ({})],
      ['with a forged signature', () => ({ [PART_SIGNATURE_HEADER]: 'A'.repeat(43) })],
    ])('refuses a part PUT %s with 403 PERMISSION_DENIED and stores nothing', async (_case, headers) => {
      const run = await make.run();
      const { upload_id } = await created(run, 'a.bin', 1);
      const response = await rawRequest(server.url, {
        method: 'PUT',
        path: `${MPU}/parts/${upload_id}/1`,
        headers: { ...headers(), 'content-length': 3 },
        chunks: [Buffer.from('abc')],
      });
      expectMlflowError(response, 403, 'PERMISSION_DENIED');
      expect(await filesUnder(uploadsDir(server))).toEqual([]);
    });

    it("refuses one part's credential used for another part, or for another upload", async () => {
      const run = await make.run();
      const first = await created(run, 'a.bin', 2);
      const second = await created(run, 'b.bin', 2);
      const wrongPart = { ...first.credentials[1], headers: first.credentials[0].headers };
      const wrongUpload = { ...second.credentials[0], headers: first.credentials[0].headers };
      expectMlflowError(await mpu.putPart(wrongPart, Buffer.from('abc')), 403, 'PERMISSION_DENIED');
      expectMlflowError(await mpu.putPart(wrongUpload, Buffer.from('abc')), 403, 'PERMISSION_DENIED');
    });
  });

  describe('complete refuses', () => {
    let run: RunBody;
    let upload: Created;
    let etags: Array<{ part_number: number; etag: string }>;
    const parts = [binaryPayload(5 * KIB), binaryPayload(5 * KIB), binaryPayload(2 * KIB)];

    beforeAll(async () => {
      run = await make.run();
      upload = await created(run, 'checked.bin', 3);
      // Part 3 is never sent.
      const answered = await Promise.all(
        upload.credentials
          .slice(0, 2)
          .map(async (c) => ({ part: c.part_number, response: await mpu.putPart(c, parts[c.part_number - 1]) })),
      );
      etags = etagsOf(answered);
    });

    it.each<[string, () => Array<{ part_number: number; etag: string }>, string]>([
      ['a part never uploaded', () => [...etags, { part_number: 3, etag: `"${hexOf(parts[2])}"` }], 'never uploaded'],
      ['a wrong ETag', () => [etags[0], { part_number: 2, etag: `"${hexOf(parts[0])}"` }], 'ETag'],
      ['part number 0', () => [{ part_number: 0, etag: 'x' }, ...etags], 'out of range'],
      ['a part number past num_parts', () => [...etags, { part_number: 4, etag: 'x' }], 'out of range'],
      ['a part listed twice', () => [...etags, etags[1]], 'twice'],
      ['no parts', () => [], 'at least one'],
    ])('%s with 400 INVALID_PARAMETER_VALUE, and the upload stays open', async (_case, list, words) => {
      const response = await mpu.complete(run, 'checked.bin', upload.upload_id, list());
      expectMlflowError(response, 400, 'INVALID_PARAMETER_VALUE');
      expect((response.body as { message: string }).message).toContain(words);
      expect(await v1Artifacts(run.id)).toEqual([]);
      expect(await uploadRows(upload.upload_id)).toBe(3);
    });

    it('a body without upload_id or parts with 400, naming the parameter', async () => {
      for (const [body, name] of [
        [{ path: 'checked.bin', parts: etags }, 'upload_id'],
        [{ path: 'checked.bin', upload_id: upload.upload_id }, 'parts'],
      ] as const) {
        const response = await mpu.post('complete', run, undefined, body);
        expectMlflowError(response, 400, 'INVALID_PARAMETER_VALUE');
        expect((response.body as { message: string }).message).toContain(`'${name}'`);
      }
    });

    it('nothing once the refusals are over: the same upload then completes', async () => {
      expect((await mpu.complete(run, 'checked.bin', upload.upload_id, etags)).status).toBe(200);
      expect((await v1Download(run.id, 'checked.bin')).equals(Buffer.concat(parts.slice(0, 2)))).toBe(true);
    });
  });

  describe('garbage collection', () => {
    it('removes an upload left unfinished past its day, with its staged parts', async () => {
      const run = await make.run();
      const { upload_id, credentials } = await created(run, 'forgotten.bin', 2);
      expect((await mpu.putPart(credentials[0], binaryPayload(4 * KIB))).status).toBe(200);
      expect(await filesUnder(path.join(uploadsDir(server), upload_id))).toHaveLength(1);
      await sql.execute('UPDATE multipart_uploads SET expires_at = ? WHERE upload_id = ?', [Date.now() - 1, upload_id]);
      const gc = server.app.get(ArtifactGarbageCollector);
      // The first call may join the pass the server started on its own before the upload expired.
      await gc.collectAll();
      await gc.collectAll();
      expect(await uploadRows(upload_id)).toBe(0);
      expect(await filesUnder(path.join(uploadsDir(server), upload_id))).toEqual([]);
      expectMlflowError(await mpu.putPart(credentials[1], binaryPayload(4 * KIB)), 403, 'PERMISSION_DENIED');
    });
  });
});

describe('MLflow multipart upload limits', () => {
  const LIMIT = 64 * KIB;
  let server: TestApp;
  let mpu: ReturnType<typeof multipartClient>;
  let make: ReturnType<typeof factories>;

  beforeAll(async () => {
    server = await startTestApp({ maxBodySize: LIMIT });
    make = factories(server.http);
    mpu = multipartClient(server);
  });
  afterAll(() => server.close());

  const create = async (run: RunBody, numParts: number) => (await mpu.create(run, 'big.bin', numParts).expect(200)).body as Created;

  it('answers 413 in the MLflow envelope for a part whose Content-Length is over --max-body-size, before reading it', async () => {
    const run = await make.run();
    const { credentials } = await create(run, 1);
    const response = await rawRequest(server.url, {
      method: 'PUT',
      path: new URL(credentials[0].url).pathname,
      headers: { ...credentials[0].headers, 'content-length': LIMIT + 1 },
      chunks: [],
    });
    expectMlflowError(response, 413, 'INVALID_PARAMETER_VALUE');
    expect(JSON.parse(response.text).message).toContain(String(LIMIT));
    expect(await filesUnder(uploadsDir(server))).toEqual([]);
  });

  it('answers 413 for a chunked part that grows past the limit, and keeps nothing of it', async () => {
    const run = await make.run();
    const { credentials } = await create(run, 1);
    const bytes = binaryPayload(LIMIT + 4 * KIB);
    const response = await rawRequest(server.url, {
      method: 'PUT',
      path: new URL(credentials[0].url).pathname,
      headers: { ...credentials[0].headers, 'transfer-encoding': 'chunked' },
      chunks: [bytes.subarray(0, 32 * KIB), bytes.subarray(32 * KIB)],
    });
    expectMlflowError(response, 413, 'INVALID_PARAMETER_VALUE');
    expect(await filesUnder(uploadsDir(server))).toEqual([]);
    expect(await filesUnder(tmpDir(server))).toEqual([]);
  });

  it('counts all parts of an upload together against the limit', async () => {
    const run = await make.run();
    const { upload_id, credentials } = await create(run, 2);
    expect((await mpu.putPart(credentials[0], binaryPayload(40 * KIB))).status).toBe(200);
    const second = await mpu.putPart(credentials[1], binaryPayload(40 * KIB));
    expectMlflowError(second, 413, 'INVALID_PARAMETER_VALUE');
    expect(JSON.parse(second.text).message).toContain(`${LIMIT - 40 * KIB} bytes left`);
    // Sending the first part again (smaller) leaves room for the second.
    const firstAgain = await mpu.putPart(credentials[0], binaryPayload(20 * KIB));
    const secondAgain = await mpu.putPart(credentials[1], binaryPayload(40 * KIB));
    expect([firstAgain.status, secondAgain.status]).toEqual([200, 200]);
    const done = await mpu.complete(run, 'big.bin', upload_id, [
      { part_number: 1, etag: String(firstAgain.headers.etag) },
      { part_number: 2, etag: String(secondAgain.headers.etag) },
    ]);
    expect(done.status).toBe(200);
  });
});

describe('MLflow multipart upload with API keys', () => {
  const KEY = 'multipart-test-key-0123456789abcdef';
  let server: TestApp;
  let make: ReturnType<typeof factories>;
  let mpu: ReturnType<typeof multipartClient>;

  beforeAll(async () => {
    server = await startTestApp({ authType: 'api_key', apiKeys: [KEY] });
    make = factories(server.http, { authorization: `Bearer ${KEY}` });
    mpu = multipartClient(server, `Bearer ${KEY}`);
  });
  afterAll(() => server.close());

  it('needs the key for create, complete and abort, and admits parts by their signed credential alone', async () => {
    const run = await make.run();
    const bytes = binaryPayload(12 * KIB);
    expectMlflowError(
      await server.http().post(`${MPU}/create/${run.experiment_id}/${run.id}/artifacts`).send({ path: 'model.bin', num_parts: 1 }),
      401,
      'UNAUTHENTICATED',
    );
    const { upload_id, credentials } = (await mpu.create(run, 'model.bin', 1).expect(200)).body as Created;
    const put = await mpu.putPart(credentials[0], bytes);
    expect(put.status).toBe(200);
    const parts = [{ part_number: 1, etag: String(put.headers.etag) }];
    expectMlflowError(
      await server.http().post(`${MPU}/complete/${run.experiment_id}/${run.id}/artifacts`).send({ path: 'model.bin', upload_id, parts }),
      401,
      'UNAUTHENTICATED',
    );
    expect((await mpu.complete(run, 'model.bin', upload_id, parts)).status).toBe(200);
    const stored = await server.http().get(`/api/v1/runs/${run.id}/artifacts`).set('authorization', `Bearer ${KEY}`).expect(200);
    expect(stored.body.artifacts).toMatchObject([{ key: 'model.bin', hash: sha256(bytes), size_bytes: bytes.length }]);
  });

  it('refuses a part PUT with the API key but without the signed credential', async () => {
    const run = await make.run();
    const { credentials } = (await mpu.create(run, 'model.bin', 1).expect(200)).body as Created;
    const response = await rawRequest(server.url, {
      method: 'PUT',
      path: new URL(credentials[0].url).pathname,
      headers: { authorization: `Bearer ${KEY}`, 'content-length': 3 },
      chunks: [Buffer.from('abc')],
    });
    expectMlflowError(response, 403, 'PERMISSION_DENIED');
  });
});
