import { jest } from '@jest/globals';
import { utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { SqlClient } from '../../src/database/sql-client.js';
import { ArtifactBlobRepository } from '../../src/modules/artifacts/artifact-blob.repository.js';
import { ArtifactGarbageCollector } from '../../src/modules/artifacts/artifact-gc.service.js';
import { ArtifactStore } from '../../src/modules/artifacts/artifact-store.js';
import { binaryPayload, bytesParser, filesUnder, hexOf, keyPath, storedHashes, tmpDir } from '../support/artifacts.js';
import { factories } from '../support/factories.js';
import { mlflowApi } from '../support/mlflow.js';
import { startTestApp, TestApp } from '../support/test-app.js';

const HOUR = 60 * 60 * 1000;

describe('artifact garbage collection', () => {
  let server: TestApp;
  let make: ReturnType<typeof factories>;
  let gc: ArtifactGarbageCollector;
  let blobs: ArtifactBlobRepository;
  let store: ArtifactStore;
  let sql: SqlClient;

  beforeAll(async () => {
    server = await startTestApp();
    make = factories(server.http);
    gc = server.app.get(ArtifactGarbageCollector);
    blobs = server.app.get(ArtifactBlobRepository);
    store = server.app.get(ArtifactStore);
    sql = server.app.get(SqlClient);
  });
  afterAll(() => server.close());

  const url = (runId: string, key: string) => `/api/v1/runs/${runId}/artifacts/${keyPath(key)}`;
  const put = (runId: string, key: string, bytes: Buffer, overwrite = false) =>
    server
      .http()
      .put(`${url(runId, key)}${overwrite ? '?overwrite=true' : ''}`)
      .set('Content-Type', 'application/octet-stream')
      .send(bytes);
  const remove = (runId: string, key: string) => server.http().delete(url(runId, key));
  const downloaded = async (runId: string, key: string) =>
    (await server.http().get(url(runId, key)).buffer(true).parse(bytesParser).expect(200)).body as Buffer;
  const registered = async (hash: string) =>
    (await sql.queryOne<{ one: number }>('SELECT 1 AS one FROM artifact_blobs WHERE hash = ?', [hash])) !== undefined;
  const hasBlob = async (bytes: Buffer) => (await storedHashes(server)).includes(hexOf(bytes));

  /** Puts `bytes` in the store the way an upload does (pending reference, then commit) and stops there, as a crash would. */
  async function commitWithoutRow(bytes: Buffer, pinnedUntil: number): Promise<string> {
    const staged = await store.stage(Readable.from([bytes]), bytes.length);
    await blobs.pin(staged.hash, staged.sizeBytes, Date.now(), pinnedUntil);
    await staged.commit();
    return staged.hash;
  }

  describe('after deletes and overwrites', () => {
    it('frees the blob of a deleted artifact before the delete answers', async () => {
      const run = await make.run();
      const bytes = binaryPayload(30_000);
      await put(run.id, 'model.bin', bytes).expect(201);
      expect(await hasBlob(bytes)).toBe(true);
      await remove(run.id, 'model.bin').expect(204);
      expect(await hasBlob(bytes)).toBe(false);
      expect(await registered(hexOf(bytes))).toBe(false);
    });

    it('keeps a blob while any artifact, in any run, still has the same content', async () => {
      const first = await make.run();
      const second = await make.run();
      const bytes = binaryPayload(20_000);
      await put(first.id, 'a.bin', bytes).expect(201);
      await put(first.id, 'copy/a.bin', bytes).expect(201);
      await put(second.id, 'a.bin', bytes).expect(201);

      await remove(first.id, 'a.bin').expect(204);
      expect(await hasBlob(bytes)).toBe(true);
      await remove(second.id, 'a.bin').expect(204);
      expect(await hasBlob(bytes)).toBe(true);
      expect((await downloaded(first.id, 'copy/a.bin')).equals(bytes)).toBe(true);
      await remove(first.id, 'copy/a.bin').expect(204);
      expect(await hasBlob(bytes)).toBe(false);
    });

    it('frees the replaced blob on overwrite, unless another artifact still has it', async () => {
      const run = await make.run();
      const old = binaryPayload(10_000);
      const shared = binaryPayload(10_000);
      const replacement = binaryPayload(10_000);
      await put(run.id, 'alone.bin', old).expect(201);
      await put(run.id, 'alone.bin', replacement, true).expect(201);
      expect(await hasBlob(old)).toBe(false);

      await put(run.id, 'shared-1.bin', shared).expect(201);
      await put(run.id, 'shared-2.bin', shared).expect(201);
      await put(run.id, 'shared-1.bin', replacement, true).expect(201);
      expect(await hasBlob(shared)).toBe(true);
      expect((await downloaded(run.id, 'shared-2.bin')).equals(shared)).toBe(true);
      expect((await downloaded(run.id, 'shared-1.bin')).equals(replacement)).toBe(true);
    });

    it("counts a logged model's file as a reference: a full pass keeps its blob, replacing or deleting the file frees it", async () => {
      const mlflow = mlflowApi(server.http);
      const created = await mlflow.post('logged-models', { experiment_id: await mlflow.createExperiment() }).expect(200);
      const folder = (created.body.model as { info: { artifact_uri: string } }).info.artifact_uri.replace(/^mlflow-artifacts:\/+/, '');
      const modelFile = `/api/2.0/mlflow-artifacts/artifacts/${folder}/model.pkl`;
      const first = binaryPayload(12_000);
      const second = binaryPayload(12_000);
      const putModelFile = (bytes: Buffer) =>
        server.http().put(modelFile).set('Content-Type', 'application/octet-stream').send(bytes).expect(200);

      await putModelFile(first);
      await gc.collectAll();
      expect(await hasBlob(first)).toBe(true);

      await putModelFile(second);
      expect(await hasBlob(first)).toBe(false);
      await gc.collectAll();
      expect(await hasBlob(second)).toBe(true);

      await server.http().delete(modelFile).expect(200);
      expect(await hasBlob(second)).toBe(false);
      expect(await registered(hexOf(second))).toBe(false);
    });

    it('keeps no blob of an upload that lost the race for a key (its row could not be recorded)', async () => {
      const run = await make.run();
      for (let round = 0; round < 6; round++) {
        const mine = binaryPayload(200_000);
        const theirs = binaryPayload(200_000);
        const key = `contested-${round}.bin`;
        const responses = await Promise.all([put(run.id, key, mine), put(run.id, key, theirs)]);
        expect(responses.map((response) => response.status).sort()).toEqual([201, 409]);
        const winner = responses[0].status === 201 ? mine : theirs;
        const loser = winner === mine ? theirs : mine;
        expect((await downloaded(run.id, key)).equals(winner)).toBe(true);
        expect(await hasBlob(winner)).toBe(true);
        expect(await hasBlob(loser)).toBe(false);
        expect(await registered(hexOf(loser))).toBe(false);
      }
      expect(await filesUnder(tmpDir(server))).toEqual([]);
    });
  });

  describe('full passes', () => {
    it('collects a blob whose upload died after committing it, once its pending reference has expired', async () => {
      const bytes = binaryPayload(5000);
      const hash = await commitWithoutRow(bytes, Date.now() - HOUR);
      expect(await hasBlob(bytes)).toBe(true);
      const report = await gc.collectAll();
      expect(report.deletedBlobs).toBeGreaterThanOrEqual(1);
      expect(await hasBlob(bytes)).toBe(false);
      expect(await registered(hash)).toBe(false);
    });

    it('leaves a committed blob alone while its upload still holds a live pending reference', async () => {
      const bytes = binaryPayload(5000);
      const hash = await commitWithoutRow(bytes, Date.now() + HOUR);
      await gc.collectAll();
      expect(await gc.collect([hash])).toBe(0);
      expect(await hasBlob(bytes)).toBe(true);

      // The upload records its row (here: another upload of the same bytes does), then lets go.
      const run = await make.run();
      await put(run.id, 'late.bin', bytes).expect(201);
      await blobs.unpin(hash);
      await gc.collectAll();
      expect((await downloaded(run.id, 'late.bin')).equals(bytes)).toBe(true);

      // Once nothing refers to it, it goes.
      await remove(run.id, 'late.bin').expect(204);
      expect(await hasBlob(bytes)).toBe(false);
    });

    it('collects a committed blob as soon as its upload gives up its pending reference without a row', async () => {
      const bytes = binaryPayload(5000);
      const hash = await commitWithoutRow(bytes, Date.now() + HOUR);
      await blobs.unpin(hash);
      expect(await gc.collect([hash])).toBe(1);
      expect(await hasBlob(bytes)).toBe(false);
    });

    it('removes staging files abandoned long ago and keeps fresh ones (an upload in progress)', async () => {
      const stale = path.join(tmpDir(server), `1-${'a'.repeat(16)}.part`);
      const fresh = path.join(tmpDir(server), `2-${'b'.repeat(16)}.part`);
      await writeFile(stale, 'left by a crash');
      await writeFile(fresh, 'being written');
      const longAgo = new Date(Date.now() - 2 * HOUR);
      await utimes(stale, longAgo, longAgo);
      const report = await gc.collectAll();
      expect(report.sweptStagingFiles).toBe(1);
      expect(await filesUnder(tmpDir(server))).toEqual([path.basename(fresh)]);
      await store.sweepStaging(-1);
      expect(await filesUnder(tmpDir(server))).toEqual([]);
    });
  });

  /** Runs targeted and full collections of `hash` back to back until `work` settles, then returns its result. */
  async function whileCollecting<T>(hash: string, work: PromiseLike<T>): Promise<T> {
    let settled = false;
    const done = Promise.resolve(work).finally(() => {
      settled = true;
    });
    let passes = 0;
    while (!settled) {
      await (passes++ % 5 === 4 ? gc.collectAll() : gc.collect([hash]));
    }
    return done;
  }

  /**
   * Runs `work` with every upload's commit followed at once by a collection of its blob: the
   * moment when the blob is in the store but the upload's row is not yet in the database.
   * Returns what those collections deleted.
   */
  async function collectingRightAfterCommit<T>(work: () => PromiseLike<T>): Promise<{ result: T; deletedInBetween: number }> {
    const stage = store.stage.bind(store);
    let deletedInBetween = 0;
    const spy = jest.spyOn(store, 'stage').mockImplementation(async (source, limitBytes) => {
      const staged = await stage(source, limitBytes);
      return {
        hash: staged.hash,
        sizeBytes: staged.sizeBytes,
        discard: () => staged.discard(),
        commit: async () => {
          await staged.commit();
          deletedInBetween += await gc.collect([staged.hash]);
          deletedInBetween += (await gc.collectAll()).deletedBlobs;
        },
      };
    });
    try {
      return { result: await work(), deletedInBetween };
    } finally {
      spy.mockRestore();
    }
  }

  describe('racing uploads', () => {
    it('leaves a new blob alone when a collection runs between its commit and its row', async () => {
      const run = await make.run();
      const bytes = binaryPayload(40_000);
      const { result, deletedInBetween } = await collectingRightAfterCommit(() => put(run.id, 'fresh.bin', bytes));
      expect(result.status).toBe(201);
      expect(deletedInBetween).toBe(0);
      expect((await downloaded(run.id, 'fresh.bin')).equals(bytes)).toBe(true);
    });

    it('leaves an abandoned copy of the same bytes alone once an upload has claimed it, even if collectable a moment before', async () => {
      const run = await make.run();
      const bytes = binaryPayload(40_000);
      await commitWithoutRow(bytes, Date.now() - HOUR);
      const { result, deletedInBetween } = await collectingRightAfterCommit(() => put(run.id, 'claimed.bin', bytes));
      expect(result.status).toBe(201);
      expect(deletedInBetween).toBe(0);
      expect(await hasBlob(bytes)).toBe(true);
      expect((await downloaded(run.id, 'claimed.bin')).equals(bytes)).toBe(true);
    });

    it('never loses the blob of an upload that races a delete and collections of the same bytes', async () => {
      const seedRun = await make.run();
      const uploads = await make.run();
      const rounds = 12;
      for (let round = 0; round < rounds; round++) {
        const bytes = binaryPayload(150_000);
        await put(seedRun.id, `seed-${round}.bin`, bytes).expect(201);
        // The only reference goes away while two uploads of the same bytes arrive and the
        // collector runs, full pass and targeted, all at once.
        const [deleted, first, second] = await whileCollecting(
          hexOf(bytes),
          Promise.all([
            remove(seedRun.id, `seed-${round}.bin`),
            put(uploads.id, `a-${round}.bin`, bytes),
            put(uploads.id, `b-${round}.bin`, bytes),
          ]),
        );
        expect([deleted.status, first.status, second.status]).toEqual([204, 201, 201]);
        await gc.collectAll();
        expect(await hasBlob(bytes)).toBe(true);
        expect((await downloaded(uploads.id, `a-${round}.bin`)).equals(bytes)).toBe(true);
        expect((await downloaded(uploads.id, `b-${round}.bin`)).equals(bytes)).toBe(true);
      }
      expect(await filesUnder(tmpDir(server))).toEqual([]);
    });

    it('never loses the blob of an upload whose bytes a collection is deleting at that moment', async () => {
      const run = await make.run();
      for (let round = 0; round < 12; round++) {
        const bytes = binaryPayload(100_000);
        // An unreferenced blob (an abandoned upload) that the collector is about to delete...
        const hash = await commitWithoutRow(bytes, Date.now() - HOUR);
        // ...while a real upload of the same bytes arrives.
        const response = await whileCollecting(hash, put(run.id, `r-${round}.bin`, bytes));
        expect(response.status).toBe(201);
        expect(await hasBlob(bytes)).toBe(true);
        expect((await downloaded(run.id, `r-${round}.bin`)).equals(bytes)).toBe(true);
      }
    });
  });
});
