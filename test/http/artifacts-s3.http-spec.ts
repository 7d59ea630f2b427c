import { CreateMultipartUploadCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import http from 'node:http';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { BlobTooLargeError } from '../../src/modules/artifacts/artifact-store.js';
import { S3ArtifactStore, S3BucketUnavailableError } from '../../src/modules/artifacts/s3-artifact.store.js';
import {
  binaryPayload,
  BOUNDARY,
  bytesParser,
  eventually,
  expectError,
  hexOf,
  multipartHead,
  multipartTail,
  rawRequest,
  sha256,
} from '../support/artifacts.js';
import { factories, RunBody, uploadArtifact } from '../support/factories.js';
import {
  listS3Keys,
  listS3PendingUploads,
  s3StoreOverrides,
  S3TestSettings,
  s3TestClient,
  s3TestSettings,
  uniqueS3Prefix,
} from '../support/s3.js';
import { mlflowApi } from '../support/mlflow.js';
import { startTestApp, TestApp } from '../support/test-app.js';

const MIB = 1024 * 1024;

/** Where the store keeps a blob, as S3ArtifactStore lays it out. */
function blobKey(prefix: string, bytes: Buffer): string {
  const hex = hexOf(bytes);
  return `${prefix}blobs/sha256/${hex.slice(0, 2)}/${hex.slice(2, 4)}/${hex}`;
}

function chunksOf(bytes: Buffer, size: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < bytes.length; offset += size) {
    chunks.push(bytes.subarray(offset, offset + size));
  }
  return chunks;
}

async function bytesOf(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) {
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

describe('the s3 artifact store, on a real S3-compatible server', () => {
  let settings: S3TestSettings;
  let s3: S3Client;

  beforeAll(() => {
    settings = s3TestSettings();
    s3 = s3TestClient(settings);
  });
  afterAll(() => s3?.destroy());

  const keysUnder = (prefix: string) => listS3Keys(s3, settings.bucket, prefix);
  const pendingUploadsUnder = (prefix: string) => listS3PendingUploads(s3, settings.bucket, prefix);

  describe('over HTTP', () => {
    let server: TestApp;
    let make: ReturnType<typeof factories>;
    let prefix: string;

    beforeAll(async () => {
      settings = s3TestSettings();
      prefix = uniqueS3Prefix('http');
      server = await startTestApp(s3StoreOverrides(settings, prefix));
      make = factories(server.http);
    });
    afterAll(() => server?.close());

    const artifactsOf = (runId: string) => `/api/v1/runs/${runId}/artifacts`;
    const download = (runId: string, key: string) =>
      server
        .http()
        .get(`${artifactsOf(runId)}/${key}`)
        .buffer(true)
        .parse(bytesParser);

    it('round-trips a multipart upload: the real SHA-256, the same bytes back, one object under blobs/ and nothing staged', async () => {
      const run = await make.run();
      const bytes = binaryPayload(300 * 1024 + 7);
      const uploaded = await uploadArtifact(server.http, run.id, bytes, { key: 'model/weights.bin' });
      expect(uploaded).toEqual({ key: 'model/weights.bin', hash: sha256(bytes), size_bytes: bytes.length });

      const back = await download(run.id, 'model/weights.bin').expect(200);
      expect((back.body as Buffer).equals(bytes)).toBe(true);
      expect(back.headers['content-length']).toBe(String(bytes.length));
      expect(back.headers.etag).toBe(`"${sha256(bytes)}"`);

      const head = await s3.send(new HeadObjectCommand({ Bucket: settings.bucket, Key: blobKey(prefix, bytes) }));
      expect(head.ContentLength).toBe(bytes.length);
      expect(await keysUnder(`${prefix}tmp/`)).toEqual([]);
    });

    it('streams an upload of several parts (a real multipart upload) and a raw PUT, and reads both back whole', async () => {
      const run = await make.run();
      const bytes = binaryPayload(20 * MIB + 123);
      const uploaded = await uploadArtifact(server.http, run.id, bytes, { key: 'big/multipart.bin' });
      expect(uploaded).toEqual({ key: 'big/multipart.bin', hash: sha256(bytes), size_bytes: bytes.length });

      const raw = binaryPayload(9 * MIB);
      const put = await rawRequest(server.url, {
        method: 'PUT',
        path: `${artifactsOf(run.id)}/big/raw.bin`,
        headers: { 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' },
        chunks: chunksOf(raw, 256 * 1024),
      });
      expect(put.status).toBe(201);
      expect(JSON.parse(put.text)).toEqual({ key: 'big/raw.bin', hash: sha256(raw), size_bytes: raw.length });

      for (const [key, expected] of [
        ['big/multipart.bin', bytes],
        ['big/raw.bin', raw],
      ] as const) {
        const back = await download(run.id, key).expect(200);
        expect(sha256(back.body as Buffer)).toBe(sha256(expected));
        expect((back.body as Buffer).length).toBe(expected.length);
      }
      const head = await s3.send(new HeadObjectCommand({ Bucket: settings.bucket, Key: blobKey(prefix, bytes) }));
      expect(head.ContentLength).toBe(bytes.length);
      expect(await keysUnder(`${prefix}tmp/`)).toEqual([]);
      expect(await pendingUploadsUnder(prefix)).toEqual([]);
    });

    it('stores an empty file as an empty object under the SHA-256 of no bytes', async () => {
      const run = await make.run();
      const empty = Buffer.alloc(0);
      expect(await uploadArtifact(server.http, run.id, empty, { key: 'empty.txt' })).toEqual({
        key: 'empty.txt',
        hash: 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
        size_bytes: 0,
      });
      const head = await s3.send(new HeadObjectCommand({ Bucket: settings.bucket, Key: blobKey(prefix, empty) }));
      expect(head.ContentLength).toBe(0);
      const back = await download(run.id, 'empty.txt').expect(200);
      expect((back.body as Buffer).length).toBe(0);
    });

    it('stores the same bytes once: two runs and two keys, one object under blobs/', async () => {
      const first = await make.run();
      const second = await make.run();
      const bytes = binaryPayload(128 * 1024);
      const before = await keysUnder(`${prefix}blobs/`);
      await uploadArtifact(server.http, first.id, bytes, { key: 'one.bin' });
      await uploadArtifact(server.http, first.id, bytes, { key: 'copy/two.bin' });
      await uploadArtifact(server.http, second.id, bytes, { key: 'one.bin' });

      const after = await keysUnder(`${prefix}blobs/`);
      expect(after.filter((key) => !before.includes(key))).toEqual([blobKey(prefix, bytes)]);
      expect(await keysUnder(`${prefix}tmp/`)).toEqual([]);
      for (const [runId, key] of [
        [first.id, 'one.bin'],
        [first.id, 'copy/two.bin'],
        [second.id, 'one.bin'],
      ]) {
        const back = await download(runId, key).expect(200);
        expect((back.body as Buffer).equals(bytes)).toBe(true);
      }
    });

    describe('range downloads', () => {
      let runId: string;
      const bytes = binaryPayload(100_000);

      beforeAll(async () => {
        runId = (await make.run()).id;
        await uploadArtifact(server.http, runId, bytes, { key: 'ranged.bin' });
      });

      it.each([
        ['a closed range', 'bytes=10-99', 10, 99],
        ['an open-ended range', 'bytes=99000-', 99_000, bytes.length - 1],
        ['a suffix range', 'bytes=-500', bytes.length - 500, bytes.length - 1],
        ['the first byte', 'bytes=0-0', 0, 0],
      ])('answers %s with 206 and exactly those bytes from S3', async (_what, range, start, end) => {
        const response = await rawRequest(server.url, { method: 'GET', path: `${artifactsOf(runId)}/ranged.bin`, headers: { range } });
        expect(response.status).toBe(206);
        expect(response.headers['content-range']).toBe(`bytes ${start}-${end}/${bytes.length}`);
        expect(response.headers['content-length']).toBe(String(end - start + 1));
        expect(response.body.equals(bytes.subarray(start, end + 1))).toBe(true);
      });

      it('answers 416 for a range past the end', async () => {
        const response = await rawRequest(server.url, {
          method: 'GET',
          path: `${artifactsOf(runId)}/ranged.bin`,
          headers: { range: `bytes=${bytes.length}-` },
        });
        expect(response.status).toBe(416);
        expect(response.headers['content-range']).toBe(`bytes */${bytes.length}`);
      });
    });

    it('deletes the object once no artifact refers to its bytes any more, and not before', async () => {
      const run = await make.run();
      const bytes = binaryPayload(64 * 1024);
      await uploadArtifact(server.http, run.id, bytes, { key: 'a.bin' });
      await uploadArtifact(server.http, run.id, bytes, { key: 'b.bin' });
      const key = blobKey(prefix, bytes);
      expect(await keysUnder(key)).toEqual([key]);

      await server
        .http()
        .delete(`${artifactsOf(run.id)}/a.bin`)
        .expect(204);
      expect(await keysUnder(key)).toEqual([key]);
      expectError(await server.http().get(`${artifactsOf(run.id)}/a.bin`), 404, 'NOT_FOUND');
      expect(((await download(run.id, 'b.bin').expect(200)).body as Buffer).equals(bytes)).toBe(true);

      await server
        .http()
        .delete(`${artifactsOf(run.id)}/b.bin`)
        .expect(204);
      expect(await keysUnder(key)).toEqual([]);
      expectError(await server.http().get(`${artifactsOf(run.id)}/b.bin`), 404, 'NOT_FOUND');
    });

    it("stores a logged model's file on S3 through the MLflow proxy, sharing the blob of a run artifact with the same bytes until both are gone", async () => {
      const mlflow = mlflowApi(server.http);
      const experimentId = await mlflow.createExperiment();
      const created = await mlflow.post('logged-models', { experiment_id: experimentId }).expect(200);
      const model = created.body.model as { info: { artifact_uri: string } };
      const modelFile = `/api/2.0/mlflow-artifacts/artifacts/${model.info.artifact_uri.replace(/^mlflow-artifacts:\/+/, '')}/model.pkl`;
      const bytes = binaryPayload(32 * 1024);
      const run = await make.run();
      await uploadArtifact(server.http, run.id, bytes, { key: 'copy.bin' });

      const put = await rawRequest(server.url, {
        method: 'PUT',
        path: modelFile,
        headers: { 'content-type': 'application/octet-stream', 'content-length': bytes.length },
        chunks: [bytes],
      });
      expect(put.status).toBe(200);
      const key = blobKey(prefix, bytes);
      expect(await keysUnder(key)).toEqual([key]);
      expect(((await server.http().get(modelFile).buffer(true).parse(bytesParser).expect(200)).body as Buffer).equals(bytes)).toBe(true);

      await server
        .http()
        .delete(`${artifactsOf(run.id)}/copy.bin`)
        .expect(204);
      expect(await keysUnder(key)).toEqual([key]);
      await server.http().delete(modelFile).expect(200);
      expect(await keysUnder(key)).toEqual([]);
    });

    it('keeps nothing of an upload whose client disconnects after parts already reached S3', async () => {
      const run = await make.run();
      const blobsBefore = await keysUnder(`${prefix}blobs/`);
      const content = binaryPayload(24 * MIB);
      const head = multipartHead('interrupted.bin');
      const { hostname, port } = new URL(server.url);
      const request = http.request({
        host: hostname,
        port,
        method: 'POST',
        path: artifactsOf(run.id),
        headers: {
          'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
          'content-length': head.length + content.length + multipartTail.length,
        },
      });
      const outcome = new Promise<string>((resolve) => {
        request.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
        request.on('response', (response) => resolve(`response ${response.statusCode}`));
        request.on('close', () => resolve('closed'));
      });
      request.write(head);
      for (const chunk of chunksOf(content.subarray(0, 18 * MIB), MIB)) {
        request.write(chunk);
      }
      // The server has started a multipart upload in the bucket: the bytes really went to S3.
      const pending = await eventually(
        () => pendingUploadsUnder(`${prefix}tmp/`),
        (keys) => keys.length > 0,
        20_000,
      );
      expect(pending).toHaveLength(1);
      request.destroy();
      await outcome;

      expect(
        await eventually(
          () => pendingUploadsUnder(prefix),
          (keys) => keys.length === 0,
          20_000,
        ),
      ).toEqual([]);
      expect(await keysUnder(`${prefix}tmp/`)).toEqual([]);
      expect(await keysUnder(`${prefix}blobs/`)).toEqual(blobsBefore);
      const listed = await server.http().get(artifactsOf(run.id)).expect(200);
      expect(listed.body.artifacts).toEqual([]);
      await uploadArtifact(server.http, run.id, Buffer.from('after'), { key: 'after.txt' });
    });
  });

  describe('MLflow multipart uploads over HTTP', () => {
    let server: TestApp;
    let make: ReturnType<typeof factories>;
    let prefix: string;

    interface Credential {
      url: string;
      part_number: number;
      headers: Record<string, string>;
    }

    beforeAll(async () => {
      settings = s3TestSettings();
      prefix = uniqueS3Prefix('mpu');
      server = await startTestApp(s3StoreOverrides(settings, prefix));
      make = factories(server.http);
    });
    afterAll(() => server?.close());

    const mpu = (step: string, run: RunBody, body: object) =>
      server.http().post(`/api/2.0/mlflow-artifacts/mpu/${step}/${run.experiment_id}/${run.id}/artifacts/ckpt`).send(body);
    const putPart = (credential: Credential, bytes: Buffer) =>
      rawRequest(server.url, {
        method: 'PUT',
        path: new URL(credential.url).pathname,
        headers: { ...credential.headers, 'content-length': bytes.length },
        chunks: [bytes],
      });

    it('stages parts under uploads/ (a part over one S3 part size too) and completes them into one blob, leaving nothing staged', async () => {
      const run = await make.run();
      const parts = [binaryPayload(9 * MIB + 5), binaryPayload(2 * MIB)];
      const whole = Buffer.concat(parts);
      const created = await mpu('create', run, { path: '/out/model.pt', num_parts: 2 }).expect(200);
      const { upload_id, credentials } = created.body as { upload_id: string; credentials: Credential[] };
      const answered = await Promise.all(credentials.map((credential) => putPart(credential, parts[credential.part_number - 1])));
      expect(answered.map((response) => response.status)).toEqual([200, 200]);
      expect(answered.map((response) => response.headers.etag)).toEqual(parts.map((part) => `"${hexOf(part)}"`));
      expect(await keysUnder(`${prefix}uploads/${upload_id}/`)).toHaveLength(2);

      const etags = answered.map((response, index) => ({ part_number: index + 1, etag: String(response.headers.etag) }));
      await mpu('complete', run, { path: '/out/model.pt', upload_id, parts: etags }).expect(200);

      const back = await server.http().get(`/api/v1/runs/${run.id}/artifacts/ckpt/model.pt`).buffer(true).parse(bytesParser).expect(200);
      expect(sha256(back.body as Buffer)).toBe(sha256(whole));
      const head = await s3.send(new HeadObjectCommand({ Bucket: settings.bucket, Key: blobKey(prefix, whole) }));
      expect(head.ContentLength).toBe(whole.length);
      expect(await keysUnder(`${prefix}uploads/`)).toEqual([]);
      expect(await keysUnder(`${prefix}tmp/`)).toEqual([]);
      expect(await pendingUploadsUnder(prefix)).toEqual([]);
    });

    it('throws the staged parts away on abort', async () => {
      const run = await make.run();
      const created = await mpu('create', run, { path: 'dropped.bin', num_parts: 2 }).expect(200);
      const { upload_id, credentials } = created.body as { upload_id: string; credentials: Credential[] };
      expect((await putPart(credentials[0], binaryPayload(MIB))).status).toBe(200);
      expect(await keysUnder(`${prefix}uploads/${upload_id}/`)).toHaveLength(1);
      await mpu('abort', run, { path: 'dropped.bin', upload_id }).expect(200);
      expect(await keysUnder(`${prefix}uploads/`)).toEqual([]);
      expect(await pendingUploadsUnder(prefix)).toEqual([]);
    });
  });

  describe('over HTTP with a size limit', () => {
    let small: TestApp;
    let prefix: string;
    const LIMIT = 12 * MIB;

    beforeAll(async () => {
      settings = s3TestSettings();
      prefix = uniqueS3Prefix('limit');
      small = await startTestApp({ ...s3StoreOverrides(settings, prefix), maxBodySize: LIMIT });
    });
    afterAll(() => small?.close());

    it('answers 413 for a chunked upload over --max-body-size after parts reached S3, and leaves no object and no upload in the bucket', async () => {
      const run = await factories(small.http).run();
      // Without Content-Length the server finds out only while streaming, after a first 8 MiB part went to S3.
      const content = binaryPayload(20 * MIB);
      const response = await rawRequest(small.url, {
        method: 'POST',
        path: `/api/v1/runs/${run.id}/artifacts`,
        headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, 'transfer-encoding': 'chunked' },
        chunks: [multipartHead('big.bin'), ...chunksOf(content, MIB), multipartTail],
      });
      expectError(response, 413, 'PAYLOAD_TOO_LARGE');
      expect(await keysUnder(prefix)).toEqual([]);
      expect(await pendingUploadsUnder(prefix)).toEqual([]);
      const listed = await small.http().get(`/api/v1/runs/${run.id}/artifacts`).expect(200);
      expect(listed.body.artifacts).toEqual([]);
    });

    it('still accepts an upload just under the limit', async () => {
      const run = await factories(small.http).run();
      const bytes = binaryPayload(LIMIT - 1024);
      expect(await uploadArtifact(small.http, run.id, bytes, { key: 'fits.bin' })).toEqual({
        key: 'fits.bin',
        hash: sha256(bytes),
        size_bytes: bytes.length,
      });
      expect(await keysUnder(prefix)).toEqual([blobKey(prefix, bytes)]);
    });
  });

  describe('S3ArtifactStore itself', () => {
    let prefix: string;
    let store: S3ArtifactStore;
    const storeClient = () =>
      new S3Client({
        endpoint: settings.endpoint,
        region: settings.region,
        forcePathStyle: true,
        credentials: { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey },
      });

    beforeAll(() => {
      settings = s3TestSettings();
      prefix = uniqueS3Prefix('store');
      // Tiny thresholds, so that the paths huge blobs take run here on a few MiB.
      store = new S3ArtifactStore({
        client: storeClient(),
        bucket: settings.bucket,
        prefix: prefix.slice(0, -1),
        minPartBytes: 5 * MIB,
        copyObjectMaxBytes: MIB,
        copyPartBytes: 5 * MIB,
      });
    });
    afterAll(() => store?.onModuleDestroy());

    it('commits a blob over the CopyObject limit by a multipart copy, whole and under its hash', async () => {
      const bytes = binaryPayload(12 * MIB + 5);
      const staged = await store.stage(Readable.from(chunksOf(bytes, 256 * 1024)), 64 * MIB);
      expect(staged).toMatchObject({ hash: hexOf(bytes), sizeBytes: bytes.length });
      expect(await store.exists(staged.hash)).toBe(false);
      expect(await keysUnder(`${prefix}tmp/`)).toHaveLength(1);

      await staged.commit();
      expect(await store.exists(staged.hash)).toBe(true);
      expect(await keysUnder(prefix)).toEqual([blobKey(prefix, bytes)]);
      expect(await pendingUploadsUnder(prefix)).toEqual([]);
      expect(sha256(await bytesOf(await store.open(staged.hash)))).toBe(sha256(bytes));
      const range = { start: 5 * MIB - 10, end: 10 * MIB + 10 };
      expect((await bytesOf(await store.open(staged.hash, range))).equals(bytes.subarray(range.start, range.end + 1))).toBe(true);

      await store.delete(staged.hash);
      await store.delete(staged.hash);
      expect(await store.exists(staged.hash)).toBe(false);
      await expect(store.open(staged.hash)).rejects.toThrow();
    });

    it('commits a blob already stored by dropping the staged copy; discard drops the staged copy', async () => {
      const bytes = binaryPayload(1000);
      const first = await store.stage(Readable.from([bytes]), MIB);
      await first.commit();
      const again = await store.stage(Readable.from([bytes]), MIB);
      await again.commit();
      await again.discard();
      expect(await keysUnder(prefix)).toEqual([blobKey(prefix, bytes)]);

      const other = await store.stage(Readable.from([binaryPayload(10)]), MIB);
      expect(await keysUnder(`${prefix}tmp/`)).toHaveLength(1);
      await other.discard();
      expect(await keysUnder(`${prefix}tmp/`)).toEqual([]);
      expect(await store.exists(other.hash)).toBe(false);
      await store.delete(first.hash);
    });

    it('rejects a stream over the limit within its first part with BlobTooLargeError, leaving nothing', async () => {
      const source = Readable.from(chunksOf(binaryPayload(200 * 1024), 16 * 1024));
      await expect(store.stage(source, 64 * 1024)).rejects.toBeInstanceOf(BlobTooLargeError);
      expect(await keysUnder(prefix)).toEqual([]);
      expect(await pendingUploadsUnder(prefix)).toEqual([]);
    });

    it('rejects a stream over the limit after parts were uploaded with BlobTooLargeError and aborts its multipart upload', async () => {
      const source = Readable.from(chunksOf(binaryPayload(16 * MIB), MIB));
      await expect(store.stage(source, 11 * MIB)).rejects.toBeInstanceOf(BlobTooLargeError);
      expect(await keysUnder(prefix)).toEqual([]);
      expect(await pendingUploadsUnder(prefix)).toEqual([]);
    });

    it('rejects with the source error when the source fails, leaving nothing', async () => {
      async function* failing() {
        yield binaryPayload(6 * MIB);
        yield binaryPayload(MIB);
        await new Promise((resolve) => setImmediate(resolve));
        throw new Error('connection reset by peer');
      }
      await expect(store.stage(Readable.from(failing()), 64 * MIB)).rejects.toThrow('connection reset by peer');
      expect(await keysUnder(prefix)).toEqual([]);
      expect(await pendingUploadsUnder(prefix)).toEqual([]);
    });

    it('sweeps staging objects and multipart uploads older than asked, and leaves younger ones', async () => {
      await s3.send(new PutObjectCommand({ Bucket: settings.bucket, Key: `${prefix}tmp/crashed.part`, Body: 'half' }));
      await s3.send(new CreateMultipartUploadCommand({ Bucket: settings.bucket, Key: `${prefix}tmp/crashed-mpu.part` }));
      await s3.send(new PutObjectCommand({ Bucket: settings.bucket, Key: `${prefix}blobs/not-staging`, Body: 'kept' }));

      expect(await store.sweepStaging(60 * 60 * 1000)).toBe(0);
      expect(await keysUnder(`${prefix}tmp/`)).toEqual([`${prefix}tmp/crashed.part`]);
      expect(await pendingUploadsUnder(prefix)).toEqual([`${prefix}tmp/crashed-mpu.part`]);

      // S3 keeps times to the second: wait until both are in the past.
      await new Promise((resolve) => setTimeout(resolve, 1100));
      expect(await store.sweepStaging(0)).toBe(2);
      expect(await keysUnder(`${prefix}tmp/`)).toEqual([]);
      expect(await pendingUploadsUnder(prefix)).toEqual([]);
      expect(await keysUnder(`${prefix}blobs/`)).toEqual([`${prefix}blobs/not-staging`]);
    });

    it('lists and removes the staging of multipart uploads, aborting an S3 upload still writing a part', async () => {
      const id = 'c'.repeat(32);
      const staged = await store.stagePart(id, 2, Readable.from([Buffer.from('part two')]), MIB);
      expect(staged).toEqual({ name: expect.stringMatching(/^2-[0-9a-f]{16}$/), hash: hexOf(Buffer.from('part two')), sizeBytes: 8 });
      expect(await bytesOf(await store.openPart(id, staged.name))).toEqual(Buffer.from('part two'));
      await s3.send(new CreateMultipartUploadCommand({ Bucket: settings.bucket, Key: `${prefix}uploads/${id}/3-0123456789abcdef` }));
      expect((await store.listUploadStaging()).map((staging) => staging.uploadId)).toEqual([id]);

      await store.removeUploadStaging(id);
      expect(await keysUnder(`${prefix}uploads/`)).toEqual([]);
      expect(await pendingUploadsUnder(prefix)).toEqual([]);
      expect(await store.listUploadStaging()).toEqual([]);
      await expect(store.stagePart('../escape', 1, Readable.from([Buffer.from('x')]), MIB)).rejects.toThrow('upload id');
    });

    describe('checkBucket (run at start)', () => {
      const storeWith = (client: S3Client, bucket = settings.bucket) =>
        new S3ArtifactStore({ client, bucket, location: `endpoint ${settings.endpoint}` });

      async function problemOf(candidate: S3ArtifactStore): Promise<string> {
        try {
          await candidate.checkBucket();
        } catch (error) {
          expect(error).toBeInstanceOf(S3BucketUnavailableError);
          return (error as Error).message;
        } finally {
          candidate.onModuleDestroy();
        }
        throw new Error('expected checkBucket to fail');
      }

      it('passes for the test bucket', async () => {
        const good = storeWith(storeClient());
        await expect(good.checkBucket()).resolves.toBeUndefined();
        good.onModuleDestroy();
      });

      it('says the bucket does not exist, naming it and the flag', async () => {
        const message = await problemOf(storeWith(storeClient(), 'no-such-bucket-entrenar'));
        expect(message).toContain("S3 bucket 'no-such-bucket-entrenar'");
        expect(message).toContain('does not exist');
        expect(message).toContain('--s3-bucket');
      });

      it('says access was refused for a wrong secret, without showing any credential', async () => {
        const wrongSecret = 'wrong-secret-d41d8cd98f00b204';
        const client = new S3Client({
          endpoint: settings.endpoint,
          region: settings.region,
          forcePathStyle: true,
          credentials: { accessKeyId: settings.accessKeyId, secretAccessKey: wrongSecret },
        });
        const message = await problemOf(storeWith(client));
        expect(message).toContain('refused access (HTTP 403)');
        expect(message).toContain('AWS_ACCESS_KEY_ID');
        expect(message).not.toContain(wrongSecret);
        expect(message).not.toContain(settings.accessKeyId);
        expect(message).not.toContain(settings.secretAccessKey);
      });

      it('says the endpoint cannot be reached when nothing listens there', async () => {
        const client = new S3Client({
          endpoint: 'http://127.0.0.1:9',
          region: settings.region,
          forcePathStyle: true,
          maxAttempts: 1,
          credentials: { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey },
        });
        const message = await problemOf(new S3ArtifactStore({ client, bucket: settings.bucket, location: 'endpoint http://127.0.0.1:9' }));
        expect(message).toBe(`S3 bucket '${settings.bucket}' at endpoint http://127.0.0.1:9 cannot be reached: ECONNREFUSED`);
      });
    });

    it('reads back what it wrote as text too (a sanity check of the stream it returns)', async () => {
      const staged = await store.stage(Readable.from([Buffer.from('hello, s3')]), MIB);
      await staged.commit();
      expect(await text(await store.open(staged.hash))).toBe('hello, s3');
      expect(await text(await store.open(staged.hash, { start: 7, end: 8 }))).toBe('s3');
      await store.delete(staged.hash);
    });
  });
});
