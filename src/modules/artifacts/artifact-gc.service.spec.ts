import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import type { ArtifactBlobRepository } from './artifact-blob.repository.js';
import { ArtifactGarbageCollector } from './artifact-gc.service.js';
import type { ArtifactStore } from './artifact-store.js';

function collector(deleteIfUnreferenced: (hash: string) => Promise<boolean>, collectable: string[] = []) {
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
  const store = { delete: jest.fn(() => Promise.resolve()), sweepStaging: jest.fn(() => Promise.resolve(2)) };
  return { gc: new ArtifactGarbageCollector(blobs as unknown as ArtifactBlobRepository, store as unknown as ArtifactStore), blobs, store };
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
    expect(await gc.collectAll()).toEqual({ deletedBlobs: 1203, sweptStagingFiles: 2 });
    expect(blobs.collectableHashes).toHaveBeenCalledTimes(3);
  });

  it('shares one pass between concurrent calls', async () => {
    const { gc, blobs } = collector(() => Promise.resolve(true), ['x']);
    const [first, second] = await Promise.all([gc.collectAll(), gc.collectAll()]);
    expect(first).toBe(second);
    expect(blobs.collectableHashes).toHaveBeenCalledTimes(1);
  });

  it('stops scheduling and waits for the pass under way when the module is destroyed', async () => {
    const { gc } = collector(() => Promise.resolve(true), ['x']);
    const pass = gc.collectAll();
    await gc.onModuleDestroy();
    await expect(pass).resolves.toBeDefined();
  });
});
