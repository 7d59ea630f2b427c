import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import type { ArtifactBlobRepository } from './artifact-blob.repository.js';
import { ArtifactGarbageCollector, GC_FIRST_PASS_DELAY_MS, GC_INTERVAL_MS } from './artifact-gc.service.js';
import type { ArtifactStore, UploadStaging } from './artifact-store.js';
import type { MultipartUploadRepository } from './multipart-upload.repository.js';

const HOUR = 60 * 60 * 1000;
const uploadId = (digit: string) => digit.repeat(32);

function collector(
  deleteIfUnreferenced: (hash: string) => Promise<boolean>,
  collectable: string[] = [],
  multipart: { expired?: string[]; existing?: string[]; staged?: UploadStaging[] } = {},
) {
  const blobs = {
    deleteIfUnreferenced: jest.fn((hash: string, _now: number, deleteBytes: () => Promise<void>) =>
      deleteIfUnreferenced(hash).then(async (deleted) => {
        if (deleted) {
          await deleteBytes();
        }
        return deleted;
      }),
    ),
    collectableHashes: jest.fn((_now: number, after: string, limit: number) =>
      Promise.resolve(collectable.filter((hash) => hash > after).slice(0, limit)),
    ),
  };
  let expired = multipart.expired ?? [];
  const uploads = {
    expiredIds: jest.fn(() => {
      const batch = expired;
      expired = [];
      return Promise.resolve(batch);
    }),
    delete: jest.fn(() => Promise.resolve(true)),
    existingIds: jest.fn((ids: readonly string[]) => Promise.resolve(new Set(ids.filter((id) => multipart.existing?.includes(id))))),
  };
  let staged = multipart.staged ?? [];
  const store = {
    delete: jest.fn(() => Promise.resolve()),
    sweepStaging: jest.fn(() => Promise.resolve(2)),
    listUploadStaging: jest.fn(() => Promise.resolve(staged)),
    removeUploadStaging: jest.fn((id: string) => {
      staged = staged.filter((staging) => staging.uploadId !== id);
      return Promise.resolve();
    }),
  };
  const gc = new ArtifactGarbageCollector(
    blobs as unknown as ArtifactBlobRepository,
    store as unknown as ArtifactStore,
    uploads as unknown as MultipartUploadRepository,
  );
  return { gc, blobs, store, uploads };
}

describe('ArtifactGarbageCollector', () => {
  beforeAll(() => {
    Logger.overrideLogger(false);
  });

  it('deletes each distinct hash once, counting only those actually deleted', async () => {
    const { gc, store } = collector((hash) => Promise.resolve(hash !== 'kept'));
    expect(await gc.collect(['a', 'kept', 'a', 'b'])).toBe(2);
    expect(store.delete.mock.calls).toEqual([['a'], ['b']]);
  });

  it('never throws: a blob it cannot collect now waits for the next pass', async () => {
    const { gc } = collector((hash) => (hash === 'broken' ? Promise.reject(new Error('disk on fire')) : Promise.resolve(true)));
    expect(await gc.collect(['broken', 'fine'])).toBe(1);
  });

  it('walks every collectable hash in batches on a full pass, then sweeps staging', async () => {
    const hashes = Array.from({ length: 1203 }, (_unused, index) => String(index).padStart(5, '0'));
    const { gc, blobs } = collector(() => Promise.resolve(true), hashes);
    expect(await gc.collectAll()).toEqual({ deletedBlobs: 1203, sweptStagingFiles: 2, removedUploads: 0 });
    expect(blobs.collectableHashes).toHaveBeenCalledTimes(3);
  });

  it('removes expired multipart uploads (row, then staged parts) and staging no upload refers to once untouched for an hour', async () => {
    const now = Date.now();
    const { gc, store, uploads } = collector(() => Promise.resolve(true), [], {
      expired: [uploadId('a')],
      existing: [uploadId('b')],
      staged: [
        { uploadId: uploadId('a'), lastWrittenMs: now - 30 * HOUR },
        { uploadId: uploadId('b'), lastWrittenMs: now - 30 * HOUR },
        { uploadId: uploadId('c'), lastWrittenMs: now - 2 * HOUR },
        { uploadId: uploadId('d'), lastWrittenMs: now - 60_000 },
      ],
    });
    const report = await gc.collectAll();
    expect(uploads.delete.mock.calls).toEqual([[uploadId('a')]]);
    // a: expired; b: still in progress; c: nobody's, untouched for two hours; d: nobody's yet, but written a minute ago.
    expect(store.removeUploadStaging.mock.calls).toEqual([[uploadId('a')], [uploadId('c')]]);
    expect(report.removedUploads).toBe(2);
  });

  it('shares one pass between concurrent calls', async () => {
    const { gc, blobs } = collector(() => Promise.resolve(true), ['x']);
    const [first, second] = await Promise.all([gc.collectAll(), gc.collectAll()]);
    expect(first).toBe(second);
    expect(blobs.collectableHashes).toHaveBeenCalledTimes(1);
  });

  it('waits for the pass under way when the module is destroyed, and the pass stops after its current batch', async () => {
    const { gc, blobs, store, uploads } = collector(() => Promise.resolve(true), ['x']);
    let releaseBatch!: () => void;
    const batchHeld = new Promise<void>((resolve) => (releaseBatch = resolve));
    blobs.collectableHashes.mockImplementationOnce(() => batchHeld.then(() => ['x']));
    const events: string[] = [];
    const pass = gc.collectAll().then((report) => {
      events.push('pass done');
      return report;
    });
    const destroyed = gc.onModuleDestroy().then(() => events.push('destroyed'));
    // Shutdown must not finish while the pass is still reading its batch.
    await new Promise((resolve) => setImmediate(resolve));
    expect(events).toEqual([]);
    releaseBatch();
    await destroyed;
    expect(events).toEqual(['pass done', 'destroyed']);
    // The batch in hand is finished; the rest of the pass (staging, uploads) is left for the next start.
    expect(await pass).toEqual({ deletedBlobs: 1, sweptStagingFiles: 0, removedUploads: 0 });
    expect(store.sweepStaging).not.toHaveBeenCalled();
    expect(uploads.expiredIds).not.toHaveBeenCalled();
  });

  describe('scheduling', () => {
    beforeEach(() => {
      jest.useFakeTimers();
    });
    afterEach(() => {
      jest.useRealTimers();
    });

    it('runs a full pass shortly after start and again every interval', async () => {
      const { gc, blobs } = collector(() => Promise.resolve(true));
      gc.onApplicationBootstrap();
      await jest.advanceTimersByTimeAsync(GC_FIRST_PASS_DELAY_MS);
      expect(blobs.collectableHashes).toHaveBeenCalledTimes(1);
      await jest.advanceTimersByTimeAsync(GC_INTERVAL_MS);
      expect(blobs.collectableHashes).toHaveBeenCalledTimes(2);
      await gc.onModuleDestroy();
    });

    it('schedules no pass once the module is destroyed', async () => {
      const { gc, blobs } = collector(() => Promise.resolve(true));
      gc.onApplicationBootstrap();
      expect(jest.getTimerCount()).toBe(1);
      await gc.onModuleDestroy();
      expect(jest.getTimerCount()).toBe(0);
      await jest.advanceTimersByTimeAsync(GC_FIRST_PASS_DELAY_MS + 3 * GC_INTERVAL_MS);
      expect(blobs.collectableHashes).not.toHaveBeenCalled();
    });

    it('schedules no further pass, and does no further work, when destroyed during a scheduled pass', async () => {
      const { gc, blobs } = collector(() => Promise.resolve(true));
      let releaseBatch!: () => void;
      blobs.collectableHashes.mockImplementationOnce(() => new Promise<string[]>((resolve) => (releaseBatch = () => resolve([]))));
      gc.onApplicationBootstrap();
      await jest.advanceTimersByTimeAsync(GC_FIRST_PASS_DELAY_MS);
      expect(blobs.collectableHashes).toHaveBeenCalledTimes(1);
      const destroyed = gc.onModuleDestroy();
      releaseBatch();
      await destroyed;
      // Let the finished pass's follow-up (which would schedule the next one) run.
      await jest.advanceTimersByTimeAsync(0);
      expect(jest.getTimerCount()).toBe(0);
      await jest.advanceTimersByTimeAsync(3 * GC_INTERVAL_MS);
      expect(blobs.collectableHashes).toHaveBeenCalledTimes(1);
    });
  });
});
