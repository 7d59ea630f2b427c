import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { BlobTooLargeError } from './artifact-store.js';
import { LocalArtifactStore } from './local-artifact.store.js';

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) {
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

describe('LocalArtifactStore', () => {
  let root: string;
  let store: LocalArtifactStore;
  const bytes = Buffer.from('the quick brown fox jumps over the lazy dog');
  const hash = createHash('sha256').update(bytes).digest('hex');
  const staging = () => readdir(path.join(root, 'tmp'));

  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'entrenar-local-store-'));
    store = new LocalArtifactStore(root);
    await store.init();
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('stages with the SHA-256 and size, is invisible until commit, then readable under ab/cd/<hash>', async () => {
    const staged = await store.stage(Readable.from([bytes.subarray(0, 10), bytes.subarray(10)]), 1000);
    expect(staged).toMatchObject({ hash, sizeBytes: bytes.length });
    expect(await store.exists(hash)).toBe(false);
    await staged.commit();
    expect(await store.exists(hash)).toBe(true);
    expect(await readFile(path.join(root, 'blobs', 'sha256', hash.slice(0, 2), hash.slice(2, 4), hash))).toEqual(bytes);
    expect(await staging()).toEqual([]);
  });

  it('reads one inclusive range of a blob', async () => {
    await (await store.stage(Readable.from([bytes]), 1000)).commit();
    expect((await readAll(await store.open(hash, { start: 4, end: 8 }))).toString()).toBe('quick');
    expect(await readAll(await store.open(hash))).toEqual(bytes);
  });

  it('rejects open for a blob that is not there', async () => {
    await expect(store.open('0'.repeat(64))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('keeps the stored copy and drops the staged one when the hash is already stored', async () => {
    await (await store.stage(Readable.from([bytes]), 1000)).commit();
    const again = await store.stage(Readable.from([bytes]), 1000);
    await again.commit();
    expect(await staging()).toEqual([]);
    expect(await readAll(await store.open(hash))).toEqual(bytes);
  });

  it('writes the blob again on commit if it was deleted after staging', async () => {
    await (await store.stage(Readable.from([bytes]), 1000)).commit();
    const again = await store.stage(Readable.from([bytes]), 1000);
    await store.delete(hash);
    await again.commit();
    expect(await readAll(await store.open(hash))).toEqual(bytes);
  });

  it('throws the staged bytes away on discard, and discard after commit keeps the blob', async () => {
    const dropped = await store.stage(Readable.from([bytes]), 1000);
    await dropped.discard();
    expect(await staging()).toEqual([]);
    expect(await store.exists(hash)).toBe(false);
    const kept = await store.stage(Readable.from([bytes]), 1000);
    await kept.commit();
    await kept.discard();
    expect(await store.exists(hash)).toBe(true);
  });

  it('fails with BlobTooLargeError past the limit and leaves nothing staged', async () => {
    await expect(store.stage(Readable.from([bytes]), bytes.length - 1)).rejects.toBeInstanceOf(BlobTooLargeError);
    expect(await staging()).toEqual([]);
    const exact = await store.stage(Readable.from([bytes]), bytes.length);
    expect(exact.sizeBytes).toBe(bytes.length);
  });

  it('fails with the source error when the source breaks, and leaves nothing staged', async () => {
    const source = new PassThrough();
    const staging$ = store.stage(source, 1000);
    source.write(bytes);
    setImmediate(() => source.destroy(new Error('connection reset')));
    await expect(staging$).rejects.toThrow('connection reset');
    expect(await staging()).toEqual([]);
  });

  it('fails with the source error when the source breaks before staging reads it, without an unhandled error', async () => {
    const source = new PassThrough();
    const staging$ = store.stage(source, 1000);
    source.destroy(new Error('reset before the first byte'));
    await expect(staging$).rejects.toThrow('reset before the first byte');
    expect(await staging()).toEqual([]);
  });

  describe('uploads larger than the staging ring (4 MiB)', () => {
    // Odd chunk sizes: chunks straddle slot boundaries and the ring wraps several times.
    const large = randomBytes(9 * 1024 * 1024 + 123);
    const largeHash = createHash('sha256').update(large).digest('hex');
    function* chunksOf(data: Buffer, size: number): Generator<Buffer> {
      for (let offset = 0; offset < data.length; offset += size) {
        yield data.subarray(offset, offset + size);
      }
    }

    it('hashes and writes every byte in order, whatever the chunk sizes', async () => {
      for (const chunkSize of [7_777, 65_536, 3 * 1024 * 1024 + 1]) {
        const staged = await store.stage(Readable.from(chunksOf(large, chunkSize)), large.length);
        expect(staged).toMatchObject({ hash: largeHash, sizeBytes: large.length });
        await staged.commit();
        // Buffer.equals: toEqual walks megabytes element by element.
        expect((await readAll(await store.open(largeHash))).equals(large)).toBe(true);
        await store.delete(largeHash);
      }
      expect(await staging()).toEqual([]);
    });

    it('fails past the limit with slots still in flight, and leaves nothing staged', async () => {
      await expect(store.stage(Readable.from(chunksOf(large, 65_536)), 6 * 1024 * 1024)).rejects.toBeInstanceOf(BlobTooLargeError);
      expect(await staging()).toEqual([]);
    });

    it('fails with the source error when the source breaks after megabytes, and leaves nothing staged', async () => {
      const source = new PassThrough();
      const staging$ = store.stage(source, large.length);
      for (const chunk of chunksOf(large.subarray(0, 5 * 1024 * 1024), 65_536)) {
        if (!source.write(chunk)) {
          await once(source, 'drain');
        }
      }
      source.destroy(new Error('connection reset'));
      await expect(staging$).rejects.toThrow('connection reset');
      expect(await staging()).toEqual([]);
    });

    it('stages several uploads at once, each with its own hash', async () => {
      const other = randomBytes(5 * 1024 * 1024);
      const [first, second] = await Promise.all([
        store.stage(Readable.from(chunksOf(large, 65_536)), large.length),
        store.stage(Readable.from(chunksOf(other, 65_536)), other.length),
      ]);
      expect(first.hash).toBe(largeHash);
      expect(second.hash).toBe(createHash('sha256').update(other).digest('hex'));
    });
  });

  it('deletes idempotently', async () => {
    await (await store.stage(Readable.from([bytes]), 1000)).commit();
    await store.delete(hash);
    await store.delete(hash);
    expect(await store.exists(hash)).toBe(false);
  });

  it('refuses a name that is not a SHA-256 digest', () => {
    expect(() => store.blobPath('../../etc/passwd')).toThrow('not a SHA-256 hex digest');
  });

  it('sweeps staging files older than the age given, and only those', async () => {
    const tmp = path.join(root, 'tmp');
    await writeFile(path.join(tmp, 'old.part'), 'x');
    await writeFile(path.join(tmp, 'new.part'), 'x');
    await writeFile(path.join(tmp, 'not-staging.txt'), 'x');
    const longAgo = new Date(Date.now() - 3 * 60 * 60 * 1000);
    await utimes(path.join(tmp, 'old.part'), longAgo, longAgo);
    await utimes(path.join(tmp, 'not-staging.txt'), longAgo, longAgo);
    expect(await store.sweepStaging(60 * 60 * 1000)).toBe(1);
    expect((await staging()).sort()).toEqual(['new.part', 'not-staging.txt']);
  });

  describe('multipart upload staging', () => {
    const id = 'a'.repeat(32);
    const uploads = () => readdir(path.join(root, 'uploads'));

    it('stages a part under uploads/<id>/ with its SHA-256 and size, reads it back, and removes it alone', async () => {
      const first = await store.stagePart(id, 1, Readable.from([bytes]), 1000);
      const second = await store.stagePart(id, 1, Readable.from([Buffer.from('again')]), 1000);
      expect(first).toEqual({ name: expect.stringMatching(/^1-[0-9a-f]{16}$/), hash, sizeBytes: bytes.length });
      expect(second.name).not.toBe(first.name);
      expect(await readAll(await store.openPart(id, first.name))).toEqual(bytes);
      await store.removePart(id, first.name);
      expect(await readdir(path.join(root, 'uploads', id))).toEqual([second.name]);
      expect(await staging()).toEqual([]);
    });

    it('fails past the limit with BlobTooLargeError and keeps nothing of the part', async () => {
      await expect(store.stagePart(id, 2, Readable.from([bytes]), 10)).rejects.toBeInstanceOf(BlobTooLargeError);
      expect(await readdir(path.join(root, 'uploads', id))).toEqual([]);
    });

    it('lists each upload with its last write, and removes an upload with all its parts', async () => {
      const other = 'b'.repeat(32);
      const before = Date.now();
      await store.stagePart(id, 1, Readable.from([bytes]), 1000);
      await store.stagePart(other, 3, Readable.from([bytes]), 1000);
      const listed = await store.listUploadStaging();
      expect(listed.map((staging) => staging.uploadId).sort()).toEqual([id, other]);
      expect(Math.min(...listed.map((staging) => staging.lastWrittenMs))).toBeGreaterThanOrEqual(before - 1000);
      await store.removeUploadStaging(id);
      expect(await uploads()).toEqual([other]);
      await store.removeUploadStaging(id);
    });

    it('refuses ids and part names it never makes, so nothing outside uploads/ can be named', async () => {
      await expect(store.stagePart('../../etc', 1, Readable.from([bytes]), 1000)).rejects.toThrow('upload id');
      await expect(store.openPart(id, '../x')).rejects.toThrow('part name');
      await expect(store.removeUploadStaging('..')).rejects.toThrow('upload id');
    });
  });
});
