import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { FileHandle, mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  ArtifactStore,
  BlobTooLargeError,
  ByteRange,
  newPartName,
  requireStagingNames,
  StagedBlob,
  StagedPart,
  UPLOAD_ID,
  UploadStaging,
} from './artifact-store.js';
import { OffThreadSha256 } from './sha256-thread.js';

const HEX_SHA256 = /^[0-9a-f]{64}$/;
const STAGING_SUFFIX = '.part';

/** Read size for downloads: large reads, while memory per transfer stays at a few MiB. */
export const IO_BUFFER_BYTES = 1024 * 1024;

/**
 * A staging upload passes through a ring of slots in shared memory: each full slot is hashed by
 * the hashing thread and written by the thread pool at the same time, and is reused once both
 * are done. 8 × 512 KiB keeps enough in flight to ride out a slow write, at 4 MiB per upload.
 */
const SLOT_BYTES = 512 * 1024;
const SLOT_COUNT = 8;
/**
 * Rings of finished uploads wait here for the next ones. A ring lent to the hashing thread stays
 * alive in that thread's heap until it collects garbage, which it seldom does (it allocates
 * little): a ring per upload let 100 uploads of 10 MiB in a row (a multipart upload's parts) lift
 * the server's RSS from 140 to 590 MiB; reused, memory follows the uploads in flight.
 */
const idleRings: SharedArrayBuffer[] = [];
const MAX_IDLE_RINGS = 8;

function acquireRing(): SharedArrayBuffer {
  return idleRings.pop() ?? new SharedArrayBuffer(SLOT_BYTES * SLOT_COUNT);
}

/** Only once nothing (a write, a hash update) uses the ring any more. */
function releaseRing(ring: SharedArrayBuffer): void {
  if (idleRings.length < MAX_IDLE_RINGS) {
    idleRings.push(ring);
  }
}
/**
 * Positional writes in flight at once (the default thread pool has 4 threads). Measured with
 * `npm run bench:artifacts`-sized uploads: 4 beat 1 and 2 by 5-15%; 8 gained nothing more.
 */
const MAX_WRITES_IN_FLIGHT = 4;
/**
 * Start writing the file back to disk every so many bytes, while the rest still arrives: the
 * fsync before commit then has little left to do, instead of flushing gigabytes at the end
 * (1.5 s of a 2 GiB upload, measured). 16 MiB beat 64 and 256 MiB.
 */
const WRITE_BACK_EVERY_BYTES = 16 * 1024 * 1024;

/** Writes `length` bytes of `source` from `offset` at `position` of the file (continuing short writes). */
async function writeAt(handle: FileHandle, source: Buffer, offset: number, length: number, position: number): Promise<void> {
  let done = 0;
  while (done < length) {
    const { bytesWritten } = await handle.write(source, offset + done, length - done, position + done);
    done += bytesWritten;
  }
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(`staging failed: ${JSON.stringify(value)}`);
}

interface SlotWrite {
  slot: number;
  length: number;
  position: number;
}

/**
 * The end of a staging pipeline: counts the bytes (failing once they exceed the limit), copies
 * them into the slot ring, and has each full slot hashed off the event loop and written to the
 * open file with positional writes. The event loop only receives and copies, so a large upload
 * neither stalls other requests nor waits for the hash.
 */
class StagingFileWriter extends Writable {
  size = 0;
  /** Set by `_final`, once every byte is written and hashed. */
  digest?: string;
  private readonly memory = acquireRing();
  private readonly ring = Buffer.from(this.memory);
  private readonly hash = new OffThreadSha256(this.memory);
  /** Operations (hash, write) not yet finished per slot; a slot is free at 0. */
  private readonly slotUsers = new Array<number>(SLOT_COUNT).fill(0);
  private slot = 0;
  private slotFill = 0;
  private filePosition = 0;
  private readonly writeQueue: SlotWrite[] = [];
  private writesInFlight = 0;
  private bytesWritten = 0;
  private bytesWrittenBack = 0;
  private writingBack?: Promise<void>;
  /** A chunk whose rest waits for a free slot, with the callback that asks for more. */
  private held?: { chunk: Buffer; offset: number; callback: (error?: Error | null) => void };
  private failure?: Error;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly handle: FileHandle,
    private readonly limitBytes: number,
  ) {
    super({ highWaterMark: SLOT_BYTES });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.failure) {
      callback(this.failure);
      return;
    }
    if (this.size + chunk.length > this.limitBytes) {
      callback(new BlobTooLargeError(this.limitBytes));
      return;
    }
    this.size += chunk.length;
    this.copyIn(chunk, 0, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.slotFill > 0) {
      this.dispatch();
    }
    this.settled()
      .then(() => this.writingBack)
      .then(async () => {
        if (this.failure) {
          throw this.failure;
        }
        this.digest = await this.hash.digest();
      })
      .then(
        () => callback(),
        (error: unknown) => callback(asError(error)),
      );
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // The thread pool and the hashing thread may still use the file and the ring: close after them.
    this.held = undefined;
    this.failure ??= error ?? undefined;
    this.settled()
      .then(() => this.writingBack?.catch(() => undefined))
      .then(() => this.handle.close())
      .then(
        () => undefined,
        () => undefined,
      )
      .finally(() => {
        if (this.digest === undefined) {
          this.hash.dispose();
        }
        // Settled: every hash update was answered and every write is done.
        releaseRing(this.memory);
        callback(error);
      });
  }

  private copyIn(chunk: Buffer, from: number, callback: (error?: Error | null) => void): void {
    let offset = from;
    while (offset < chunk.length) {
      if (this.slotUsers[this.slot] > 0) {
        this.held = { chunk, offset, callback };
        return;
      }
      const length = Math.min(SLOT_BYTES - this.slotFill, chunk.length - offset);
      chunk.copy(this.ring, this.slot * SLOT_BYTES + this.slotFill, offset, offset + length);
      this.slotFill += length;
      offset += length;
      if (this.slotFill === SLOT_BYTES) {
        this.dispatch();
      }
    }
    callback();
  }

  /** Hands the current slot to the hashing thread and the write queue, and moves to the next. */
  private dispatch(): void {
    const slot = this.slot;
    const length = this.slotFill;
    this.slotUsers[slot] = 2;
    this.hash.update(slot * SLOT_BYTES, length).then(
      () => this.release(slot),
      (error: unknown) => this.release(slot, error),
    );
    this.writeQueue.push({ slot, length, position: this.filePosition });
    this.filePosition += length;
    this.slot = (slot + 1) % SLOT_COUNT;
    this.slotFill = 0;
    this.pumpWrites();
  }

  private pumpWrites(): void {
    while (this.writesInFlight < MAX_WRITES_IN_FLIGHT && this.writeQueue.length > 0) {
      const next = this.writeQueue.shift() as SlotWrite;
      if (this.failure) {
        this.release(next.slot);
        continue;
      }
      this.writesInFlight++;
      writeAt(this.handle, this.ring, next.slot * SLOT_BYTES, next.length, next.position).then(
        () => {
          this.writesInFlight--;
          this.bytesWritten += next.length;
          this.startWriteBack();
          this.release(next.slot);
          this.pumpWrites();
        },
        (error: unknown) => {
          this.writesInFlight--;
          this.release(next.slot, error);
          this.pumpWrites();
        },
      );
    }
  }

  private startWriteBack(): void {
    if (this.writingBack || this.failure || this.bytesWritten - this.bytesWrittenBack < WRITE_BACK_EVERY_BYTES) {
      return;
    }
    const upTo = this.bytesWritten;
    this.writingBack = this.handle.datasync().then(
      () => {
        this.bytesWrittenBack = upTo;
        this.writingBack = undefined;
      },
      (error: unknown) => {
        this.failure ??= asError(error);
        this.writingBack = undefined;
      },
    );
  }

  private release(slot: number, error?: unknown): void {
    this.slotUsers[slot]--;
    if (error !== undefined) {
      this.failure ??= asError(error);
    }
    const held = this.held;
    if (held && (this.failure || this.slotUsers[this.slot] === 0)) {
      this.held = undefined;
      if (this.failure) {
        held.callback(this.failure);
      } else {
        this.copyIn(held.chunk, held.offset, held.callback);
      }
    }
    if (this.writesInFlight === 0 && this.writeQueue.length === 0 && this.slotUsers.every((users) => users === 0)) {
      for (const wake of this.idleWaiters.splice(0)) {
        wake();
      }
    }
  }

  /** Resolves once no slot is being hashed or written. */
  private settled(): Promise<void> {
    if (this.writesInFlight === 0 && this.writeQueue.length === 0 && this.slotUsers.every((users) => users === 0)) {
      return Promise.resolve();
    }
    return new Promise((resolve) => this.idleWaiters.push(resolve));
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
 * Streams `source` into a new file at `target` (which must not exist) while hashing it off the
 * event loop; rejects past `limitBytes` or with the source's error, removing the file.
 */
async function writeHashed(target: string, source: Readable, limitBytes: number): Promise<{ hash: string; sizeBytes: number }> {
  // The source may fail while the file opens, before the pipeline listens: the pipeline still
  // sees that failure (a destroyed stream), but the error event must not go unhandled.
  const quiet = () => undefined;
  source.on('error', quiet);
  // Open before streaming: a stream that opened lazily could still create the file after a
  // failure had already cleaned up, leaving an empty staging file behind.
  let sink: StagingFileWriter;
  try {
    sink = new StagingFileWriter(await open(target, 'wx'), limitBytes);
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
    await rm(target, { force: true });
    throw error;
  } finally {
    source.off('error', quiet);
  }
  // The file is closed (the writer destroys itself after finishing) before anyone renames it.
  if (!sink.closed) {
    sink.destroy();
    await once(sink, 'close').catch(() => undefined);
  }
  const hash = sink.digest;
  if (hash === undefined) {
    throw new Error('staging finished without a digest');
  }
  return { hash, sizeBytes: sink.size };
}

/**
 * Blobs on local disk under `<root>/blobs/sha256/ab/cd/<hash>`, staged in `<root>/tmp` on the
 * same file system so that committing is an atomic rename: a reader never sees a partial blob.
 * A new blob is fsynced before the rename (and its folder after it), so a blob's name is a
 * promise about its content even after a power cut. Parts of MLflow multipart uploads are
 * staged in `<root>/uploads/<upload id>/`, fsynced before they are acknowledged.
 */
export class LocalArtifactStore extends ArtifactStore {
  private readonly blobRoot: string;
  private readonly tmpRoot: string;
  private readonly uploadsRoot: string;

  constructor(root: string) {
    super();
    this.blobRoot = path.join(root, 'blobs', 'sha256');
    this.tmpRoot = path.join(root, 'tmp');
    this.uploadsRoot = path.join(root, 'uploads');
  }

  async init(): Promise<void> {
    await mkdir(this.blobRoot, { recursive: true });
    await mkdir(this.tmpRoot, { recursive: true });
    await mkdir(this.uploadsRoot, { recursive: true });
  }

  blobPath(hash: string): string {
    if (!HEX_SHA256.test(hash)) {
      throw new Error('not a SHA-256 hex digest');
    }
    return path.join(this.blobRoot, hash.slice(0, 2), hash.slice(2, 4), hash);
  }

  async stage(source: Readable, limitBytes: number): Promise<StagedBlob> {
    const tmpPath = path.join(this.tmpRoot, `${Date.now()}-${randomBytes(8).toString('hex')}${STAGING_SUFFIX}`);
    const { hash, sizeBytes } = await writeHashed(tmpPath, source, limitBytes);
    const finalPath = this.blobPath(hash);
    let settled = false;
    return {
      hash,
      sizeBytes,
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
    // Always with an end: the stream then ends right after pushing the last byte, rather than a
    // read later when it meets end of file, so the response is complete before a client that has
    // all the bytes hangs up (otherwise such downloads were logged as aborted).
    const { start, end } = range ?? { start: 0, end: (await handle.stat()).size - 1 };
    return handle.createReadStream({ highWaterMark: IO_BUFFER_BYTES, start, end: Math.max(end, start) });
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

  async stagePart(uploadId: string, partNumber: number, source: Readable, limitBytes: number): Promise<StagedPart> {
    const name = newPartName(partNumber, randomBytes(8).toString('hex'));
    const folder = this.uploadFolder(uploadId);
    const file = this.partPath(uploadId, name);
    try {
      await mkdir(folder, { recursive: true });
    } catch (error) {
      source.destroy();
      throw error;
    }
    const { hash, sizeBytes } = await writeHashed(file, source, limitBytes);
    try {
      // Acknowledged parts survive a power cut, like committed blobs.
      await syncPath(file);
      await syncPath(folder);
    } catch (error) {
      await rm(file, { force: true });
      throw error;
    }
    return { name, hash, sizeBytes };
  }

  async openPart(uploadId: string, name: string): Promise<Readable> {
    const handle = await open(this.partPath(uploadId, name), 'r');
    return handle.createReadStream({ highWaterMark: IO_BUFFER_BYTES });
  }

  async removePart(uploadId: string, name: string): Promise<void> {
    await rm(this.partPath(uploadId, name), { force: true });
  }

  async removeUploadStaging(uploadId: string): Promise<void> {
    await rm(this.uploadFolder(uploadId), { recursive: true, force: true });
  }

  async listUploadStaging(): Promise<UploadStaging[]> {
    let names: string[];
    try {
      names = await readdir(this.uploadsRoot);
    } catch {
      return [];
    }
    const found: UploadStaging[] = [];
    for (const uploadId of names.filter((name) => UPLOAD_ID.test(name))) {
      const folder = path.join(this.uploadsRoot, uploadId);
      try {
        let lastWrittenMs = (await stat(folder)).mtimeMs;
        for (const file of await readdir(folder)) {
          lastWrittenMs = Math.max(lastWrittenMs, (await stat(path.join(folder, file))).mtimeMs);
        }
        found.push({ uploadId, lastWrittenMs });
      } catch {
        // Removed meanwhile (completed or aborted).
      }
    }
    return found;
  }

  private uploadFolder(uploadId: string): string {
    requireStagingNames(uploadId);
    return path.join(this.uploadsRoot, uploadId);
  }

  private partPath(uploadId: string, name: string): string {
    requireStagingNames(uploadId, name);
    return path.join(this.uploadsRoot, uploadId, name);
  }
}
