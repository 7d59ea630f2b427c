import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform, TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ArtifactStore, BlobTooLargeError, ByteRange, StagedBlob } from './artifact-store.js';

const HEX_SHA256 = /^[0-9a-f]{64}$/;

/** Hashes and counts the bytes flowing through, failing once they exceed the limit. */
class HashingCounter extends Transform {
  readonly hash = createHash('sha256');
  size = 0;

  constructor(private readonly limitBytes: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.limitBytes) {
      callback(new BlobTooLargeError(this.limitBytes));
      return;
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }
}

/**
 * Blobs on local disk under `<root>/blobs/sha256/ab/cd/<hash>`, staged in `<root>/tmp` on the
 * same file system so that committing is an atomic rename: a reader never sees a partial blob.
 */
export class LocalArtifactStore extends ArtifactStore {
  private readonly blobRoot: string;
  private readonly tmpRoot: string;

  constructor(root: string) {
    super();
    this.blobRoot = path.join(root, 'blobs', 'sha256');
    this.tmpRoot = path.join(root, 'tmp');
  }

  async init(): Promise<void> {
    await mkdir(this.blobRoot, { recursive: true });
    await mkdir(this.tmpRoot, { recursive: true });
  }

  blobPath(hash: string): string {
    if (!HEX_SHA256.test(hash)) {
      throw new Error('not a SHA-256 hex digest');
    }
    return path.join(this.blobRoot, hash.slice(0, 2), hash.slice(2, 4), hash);
  }

  async stage(source: Readable, limitBytes: number): Promise<StagedBlob> {
    const tmpPath = path.join(this.tmpRoot, `${Date.now()}-${randomBytes(8).toString('hex')}.part`);
    const counter = new HashingCounter(limitBytes);
    try {
      await pipeline(source, counter, createWriteStream(tmpPath, { flags: 'wx' }));
    } catch (error) {
      await rm(tmpPath, { force: true });
      throw error;
    }
    const hash = counter.hash.digest('hex');
    const finalPath = this.blobPath(hash);
    let settled = false;
    return {
      hash,
      sizeBytes: counter.size,
      commit: async () => {
        if (settled) {
          return;
        }
        settled = true;
        if (await this.exists(hash)) {
          await rm(tmpPath, { force: true });
          return;
        }
        await mkdir(path.dirname(finalPath), { recursive: true });
        await rename(tmpPath, finalPath);
      },
      discard: async () => {
        settled = true;
        await rm(tmpPath, { force: true });
      },
    };
  }

  async open(hash: string, range?: ByteRange): Promise<Readable> {
    const file = this.blobPath(hash);
    await stat(file);
    return createReadStream(file, range ? { start: range.start, end: range.end } : {});
  }

  async exists(hash: string): Promise<boolean> {
    try {
      await stat(this.blobPath(hash));
      return true;
    } catch {
      return false;
    }
  }

  async delete(hash: string): Promise<void> {
    await rm(this.blobPath(hash), { force: true });
  }
}
