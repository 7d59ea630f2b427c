import type { Readable } from 'node:stream';

/** Bytes written to a staging area and hashed, not yet visible under their hash. */
export interface StagedBlob {
  /** Lowercase hex SHA-256 of the bytes. */
  readonly hash: string;
  readonly sizeBytes: number;
  /** Makes the bytes available under their hash (a no-op if that hash is already stored). */
  commit(): Promise<void>;
  /** Throws the staged bytes away. */
  discard(): Promise<void>;
}

export interface ByteRange {
  start: number;
  /** Inclusive. */
  end: number;
}

/** Thrown by `stage` when the stream carries more than the allowed number of bytes. */
export class BlobTooLargeError extends Error {
  constructor(readonly limitBytes: number) {
    super(`more than ${limitBytes} bytes`);
  }
}

/**
 * Content-addressed storage of artifact bytes: each distinct content is kept once, under its
 * SHA-256. Which run calls it what lives in the database.
 */
export abstract class ArtifactStore {
  /** Streams `source` to a staging area while hashing it; never holds the whole content in memory. */
  abstract stage(source: Readable, limitBytes: number): Promise<StagedBlob>;
  /** A stream of the blob's bytes, or of one range of them. */
  abstract open(hash: string, range?: ByteRange): Promise<Readable>;
  abstract exists(hash: string): Promise<boolean>;
  abstract delete(hash: string): Promise<void>;
}
