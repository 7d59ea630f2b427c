import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { FileHandle, mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ArtifactStore, BlobTooLargeError, ByteRange, StagedBlob } from './artifact-store.js';

const HEX_SHA256 = /^[0-9a-f]{64}$/;
const STAGING_SUFFIX = '.part';

/**
 * Buffering between the socket, the hash and the disk. Node's default (16 KiB) makes a write
 * system call per network chunk; 1 MiB lets the file stream gather chunks into one writev and
 * keeps reads for downloads large, while memory per transfer stays bounded at a few MiB.
 */
export const IO_BUFFER_BYTES = 1024 * 1024;

/** Writes every byte of `buffers` at the current position (a short write is continued). */
async function writeAll(handle: FileHandle, buffers: Buffer[]): Promise<void> {
  let pending = buffers;
  while (pending.length > 0) {
    const { bytesWritten } = await handle.writev(pending);
    let skip = bytesWritten;
    const rest: Buffer[] = [];
    for (const buffer of pending) {
      if (skip >= buffer.length) {
        skip -= buffer.length;
      } else {
        rest.push(skip > 0 ? buffer.subarray(skip) : buffer);
        skip = 0;
      }
    }
    pending = rest;
  }
}

/**
 * The end of a staging pipeline: hashes, counts and writes the bytes to an open file, failing
 * once they exceed the limit. Chunks that arrive while a write is under way are written
 * together with one writev (a network upload comes in 64 KiB pieces), and each batch is hashed
 * on the main thread while the thread pool writes it, so hashing and disk I/O overlap.
 */
class HashingFileWriter extends Writable {
  readonly hash = createHash('sha256');
  size = 0;

  constructor(
    private readonly handle: FileHandle,
    private readonly limitBytes: number,
  ) {
    super({ highWaterMark: IO_BUFFER_BYTES });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.writeBatch([chunk], callback);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    this.writeBatch(
      chunks.map((entry) => entry.chunk),
      callback,
    );
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.handle.close().then(
      () => callback(error),
      () => callback(error),
    );
  }

  private writeBatch(buffers: Buffer[], callback: (error?: Error | null) => void): void {
    const batchBytes = buffers.reduce((total, buffer) => total + buffer.length, 0);
    if (this.size + batchBytes > this.limitBytes) {
      callback(new BlobTooLargeError(this.limitBytes));
      return;
    }
    this.size += batchBytes;
    const written = writeAll(this.handle, buffers);
    for (const buffer of buffers) {
      this.hash.update(buffer);
    }
    written.then(() => callback(), callback);
  }
}

/** fsync on a file, or on a directory so that a rename into it survives a power cut. */
async function syncPath(target: string): Promise<void> {
  const handle = await open(target, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Blobs on local disk under `<root>/blobs/sha256/ab/cd/<hash>`, staged in `<root>/tmp` on the
 * same file system so that committing is an atomic rename: a reader never sees a partial blob.
 * A new blob is fsynced before the rename (and its folder after it), so a blob's name is a
 * promise about its content even after a power cut.
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
    const tmpPath = path.join(this.tmpRoot, `${Date.now()}-${randomBytes(8).toString('hex')}${STAGING_SUFFIX}`);
    // The source may fail while the file opens, before the pipeline listens: the pipeline still
    // sees that failure (a destroyed stream), but the error event must not go unhandled.
    const quiet = () => undefined;
    source.on('error', quiet);
    // Open before streaming: a stream that opened lazily could still create the file after a
    // failure had already cleaned up, leaving an empty staging file behind.
    let sink: HashingFileWriter;
    try {
      sink = new HashingFileWriter(await open(tmpPath, 'wx'), limitBytes);
    } catch (error) {
      source.off('error', quiet);
      source.destroy();
      throw error;
    }
    try {
      await pipeline(source, sink);
    } catch (error) {
      if (!sink.closed) {
        await once(sink, 'close').catch(() => undefined);
      }
      await rm(tmpPath, { force: true });
      throw error;
    } finally {
      source.off('error', quiet);
    }
    // The file is closed (the writer destroys itself after finishing) before commit renames it.
    if (!sink.closed) {
      sink.destroy();
      await once(sink, 'close').catch(() => undefined);
    }
    const hash = sink.hash.digest('hex');
    const finalPath = this.blobPath(hash);
    let settled = false;
    return {
      hash,
      sizeBytes: sink.size,
      commit: async () => {
        if (settled) {
          return;
        }
        settled = true;
        if (await this.exists(hash)) {
          await rm(tmpPath, { force: true });
          return;
        }
        // Durable before it is visible: the bytes reach the disk, then the name does. (A
        // duplicate of a stored blob is dropped above without paying for the fsync.)
        await syncPath(tmpPath);
        const directory = path.dirname(finalPath);
        await mkdir(directory, { recursive: true });
        await rename(tmpPath, finalPath);
        await syncPath(directory);
      },
      discard: async () => {
        if (settled) {
          return;
        }
        settled = true;
        await rm(tmpPath, { force: true });
      },
    };
  }

  async open(hash: string, range?: ByteRange): Promise<Readable> {
    const file = this.blobPath(hash);
    // Opening first makes a missing blob a rejection here rather than a stream error later.
    const handle = await open(file, 'r');
    return handle.createReadStream({ highWaterMark: IO_BUFFER_BYTES, ...(range ? { start: range.start, end: range.end } : {}) });
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

  override async sweepStaging(olderThanMs: number): Promise<number> {
    const cutoff = Date.now() - olderThanMs;
    let removed = 0;
    let names: string[];
    try {
      names = await readdir(this.tmpRoot);
    } catch {
      return 0;
    }
    for (const name of names) {
      if (!name.endsWith(STAGING_SUFFIX)) {
        continue;
      }
      const file = path.join(this.tmpRoot, name);
      try {
        if ((await stat(file)).mtimeMs < cutoff) {
          await rm(file, { force: true });
          removed++;
        }
      } catch {
        // Gone already (committed or discarded meanwhile).
      }
    }
    return removed;
  }
}
