import type { Readable } from 'node:stream';

/** Bytes written to a staging area and hashed, not yet visible under their hash. */
export interface StagedBlob {
  /** Lowercase hex SHA-256 of the bytes. */
  readonly hash: string;
  readonly sizeBytes: number;
  /**
   * Makes the bytes available under their hash. When the hash is already stored it may keep the
   * stored copy and drop the staged one: the garbage collector never deletes a blob while an
   * upload holds a pending reference to it (see ArtifactGarbageCollector), so a blob seen to
   * exist here stays until the upload's metadata row refers to it. If the blob is absent at
   * commit time (it may have been collected just before), commit must write it again.
   */
  commit(): Promise<void>;
  /** Throws the staged bytes away. Safe to call after commit (then it does nothing). */
  discard(): Promise<void>;
}

/** A part of an MLflow multipart upload, staged in its upload's staging area. */
export interface StagedPart {
  /** Which staged file of the upload holds the part (for openPart and removePart). */
  readonly name: string;
  /** Lowercase hex SHA-256 of the part's bytes. */
  readonly hash: string;
  readonly sizeBytes: number;
}

/** One multipart upload's staging area as the store sees it. */
export interface UploadStaging {
  uploadId: string;
  /** When anything in it was last written (ms since the epoch). */
  lastWrittenMs: number;
}

/** Upload ids name staging folders: only these can, so no id can reach outside its folder. */
export const UPLOAD_ID = /^[0-9a-f]{32}$/;
const PART_NAME = /^[1-9][0-9]{0,4}-[0-9a-f]{16}$/;

/** Throws unless the id and (when given) the part name are ones this server makes. */
export function requireStagingNames(uploadId: string, partName?: string): void {
  if (!UPLOAD_ID.test(uploadId) || (partName !== undefined && !PART_NAME.test(partName))) {
    throw new Error('not a multipart upload id or part name of this server');
  }
}

/** A fresh name for a part's staged file: the part number, then random (a retried part never meets an earlier attempt). */
export function newPartName(partNumber: number, random: string): string {
  return `${partNumber}-${random}`;
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
 * SHA-256. Which run calls it what lives in the database (`artifacts`), and which blobs exist
 * and which uploads are about to refer to them lives in `artifact_blobs`; the store itself only
 * keeps bytes.
 */
export abstract class ArtifactStore {
  /**
   * Streams `source` to a staging area while hashing it; never holds the whole content in
   * memory. Rejects with BlobTooLargeError past `limitBytes`, or with the source's error if it
   * fails (a dropped connection); either way nothing staged is left behind.
   */
  abstract stage(source: Readable, limitBytes: number): Promise<StagedBlob>;
  /** A stream of the blob's bytes, or of one range of them. Rejects if the blob does not exist. */
  abstract open(hash: string, range?: ByteRange): Promise<Readable>;
  abstract exists(hash: string): Promise<boolean>;
  /**
   * Removes the blob. Idempotent: deleting a blob that is not there succeeds. Only the garbage
   * collector calls this, after checking in the database that nothing refers to the blob.
   */
  abstract delete(hash: string): Promise<void>;

  /**
   * Removes staging leftovers (uploads abandoned by a crash) last written more than
   * `olderThanMs` ago, and returns how many it removed. The garbage collector calls it on each
   * pass with an age well past any upload in progress. Stores whose staging cleans itself up
   * (e.g. a bucket lifecycle rule for incomplete multipart uploads) can keep this default.
   */
  sweepStaging(olderThanMs: number): Promise<number> {
    void olderThanMs;
    return Promise.resolve(0);
  }

  /*
   * The staging area of MLflow multipart uploads: per upload, the parts received so far, kept
   * apart from the blobs and from `sweepStaging`'s area (an upload may take hours), where every
   * replica sharing the store reaches them. Which file holds which part is in the database.
   */

  /**
   * Streams `source` into a new staged file of the upload while hashing it (never holding it
   * whole in memory), durable once this resolves. Rejects with BlobTooLargeError past
   * `limitBytes`, or with the source's error; either way nothing of it is left behind.
   */
  abstract stagePart(uploadId: string, partNumber: number, source: Readable, limitBytes: number): Promise<StagedPart>;
  /** A stream of a staged part's bytes. Rejects if it does not exist. */
  abstract openPart(uploadId: string, name: string): Promise<Readable>;
  /** Removes one staged part. Idempotent. */
  abstract removePart(uploadId: string, name: string): Promise<void>;
  /** Removes everything staged for the upload. Idempotent. */
  abstract removeUploadStaging(uploadId: string): Promise<void>;
  /** Every upload that has something staged, for the garbage collector. */
  abstract listUploadStaging(): Promise<UploadStaging[]>;
}
