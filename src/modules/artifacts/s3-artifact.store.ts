import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
  S3ServiceException,
  UploadPartCopyCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { createHash, randomBytes } from 'node:crypto';
import { Readable, Transform, TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ServerConfig } from '../../config/server-config.js';
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

const HEX_SHA256 = /^[0-9a-f]{64}$/;
const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

/** S3's own limits on multipart uploads. */
const MAX_PARTS = 10_000;
const MIN_PART_BYTES = 5 * MIB;
const MAX_PART_BYTES = 5 * GIB;
/** The largest object a single CopyObject may copy. */
const MAX_COPY_OBJECT_BYTES = 5 * GIB;

export interface S3ArtifactStoreOptions {
  client: S3Client;
  bucket: string;
  /** Key prefix, '' or folders; a missing trailing `/` is added. */
  prefix?: string;
  /** Where to say the bucket is in messages (an endpoint URL, or "AWS S3"). */
  location?: string;
  /** Smallest part of a streamed upload (default 8 MiB); larger when the size limit needs it to fit in 10,000 parts. */
  minPartBytes?: number;
  /** Parts of one upload in flight at once (default 4): memory per upload is about (queueSize + 1) × part size. */
  queueSize?: number;
  /** Blobs larger than this are committed by a multipart copy (default 5 GiB, CopyObject's limit). */
  copyObjectMaxBytes?: number;
  /** Part size of that multipart copy (default 512 MiB; larger when needed to fit in 10,000 parts). */
  copyPartBytes?: number;
}

/** Thrown at start when the bucket cannot be used; the message says why and never holds a credential. */
export class S3BucketUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'S3BucketUnavailableError';
  }
}

/**
 * Hashes and counts the bytes flowing through, failing once they exceed the limit. (The count is
 * not called `size` or `length`: lib-storage would take either for the body's total length.)
 */
class HashingCounter extends Transform {
  readonly hash = createHash('sha256');
  byteCount = 0;

  constructor(private readonly limitBytes: number) {
    super({ highWaterMark: MIB });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.byteCount += chunk.length;
    if (this.byteCount > this.limitBytes) {
      callback(new BlobTooLargeError(this.limitBytes));
      return;
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }
}

function httpStatusOf(error: unknown): number | undefined {
  if (error instanceof S3ServiceException) {
    return error.$metadata.httpStatusCode;
  }
  if (typeof error === 'object' && error !== null && '$metadata' in error) {
    const metadata = (error as { $metadata?: { httpStatusCode?: number } }).$metadata;
    return metadata?.httpStatusCode;
  }
  return undefined;
}

/** ECONNREFUSED, ENOTFOUND, ETIMEDOUT…: on the error, its cause, or (wrapped by the SDK) in its message. */
function networkErrorCode(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; current instanceof Object && depth < 3; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z_]+$/.test(code)) {
      return code;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return /\b(E[A-Z]{3,}[A-Z_]*)\b/.exec(error instanceof Error ? error.message : '')?.[1];
}

function isNotFound(error: unknown): boolean {
  return httpStatusOf(error) === 404;
}

/** Rounds up to a whole number of MiB. */
function roundUpToMib(bytes: number): number {
  return Math.ceil(bytes / MIB) * MIB;
}

/**
 * The part size of a streamed upload: the configured minimum, or more when an upload of
 * `limitBytes` would not fit in S3's 10,000 parts. The size of a stream is unknown until its
 * end, so the limit is what guarantees every accepted upload fits.
 */
export function uploadPartBytes(limitBytes: number, minPartBytes = 8 * MIB): number {
  const needed = roundUpToMib(Math.ceil(limitBytes / MAX_PARTS));
  return Math.min(MAX_PART_BYTES, Math.max(MIN_PART_BYTES, minPartBytes, needed));
}

/** The byte ranges (inclusive ends) of a multipart copy of `sizeBytes`, each at most `partBytes` and in at most 10,000 parts. */
export function copyPartRanges(sizeBytes: number, partBytes = 512 * MIB): ByteRange[] {
  const size = Math.min(MAX_PART_BYTES, Math.max(MIN_PART_BYTES, partBytes, roundUpToMib(Math.ceil(sizeBytes / MAX_PARTS))));
  const ranges: ByteRange[] = [];
  for (let start = 0; start < sizeBytes; start += size) {
    ranges.push({ start, end: Math.min(sizeBytes, start + size) - 1 });
  }
  return ranges;
}

/** '' stays ''; anything else ends with exactly one `/`. */
export function normalizePrefix(prefix: string): string {
  return prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
}

/** Runs `work` over `items` with at most `limit` at once; rejects with the first failure once all have settled. */
async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const errors: unknown[] = [];
  const worker = async () => {
    while (next < items.length && errors.length === 0) {
      const index = next++;
      try {
        await work(items[index], index);
      } catch (error) {
        errors.push(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (errors.length > 0) {
    throw errors[0];
  }
}

/**
 * Blobs in an S3 bucket (AWS S3 or any S3-compatible service) under
 * `<prefix>blobs/sha256/ab/cd/<hash>`, through the official AWS SDK.
 *
 * An upload streams through a SHA-256 hash into a multipart upload (lib-storage's `Upload`, a
 * few parts in memory at a time, never the whole file) under a staging key `<prefix>tmp/…`. The
 * hash is known only at the end, so committing copies the staged object to its content address
 * on the server side and deletes the staging object: a reader never sees a partial blob, since
 * an S3 object appears whole when its PUT, copy or multipart completion succeeds. CopyObject
 * copies at most 5 GiB; a larger blob is committed by a multipart copy (UploadPartCopy of
 * ranges of the staged object, then CompleteMultipartUpload), which likewise appears only when
 * complete. An upload that fails (too large, the client gone, the service failing) aborts its
 * multipart upload, so nothing of it stays in the bucket.
 */
export class S3ArtifactStore extends ArtifactStore {
  readonly bucket: string;
  readonly prefix: string;
  private readonly client: S3Client;
  private readonly location: string;
  private readonly minPartBytes: number;
  private readonly queueSize: number;
  private readonly copyObjectMaxBytes: number;
  private readonly copyPartBytes: number;

  constructor(options: S3ArtifactStoreOptions) {
    super();
    this.client = options.client;
    this.bucket = options.bucket;
    this.prefix = normalizePrefix(options.prefix ?? '');
    this.location = options.location ?? 'S3';
    this.minPartBytes = options.minPartBytes ?? 8 * MIB;
    this.queueSize = options.queueSize ?? 4;
    this.copyObjectMaxBytes = options.copyObjectMaxBytes ?? MAX_COPY_OBJECT_BYTES;
    this.copyPartBytes = options.copyPartBytes ?? 512 * MIB;
  }

  /** The store the server's settings describe; credentials come from the AWS SDK's default chain. */
  static fromConfig(config: ServerConfig): S3ArtifactStore {
    const client = new S3Client({
      ...(config.s3Region ? { region: config.s3Region } : {}),
      ...(config.s3Endpoint ? { endpoint: config.s3Endpoint } : {}),
      forcePathStyle: config.s3ForcePathStyle,
      // A bucket in another region than configured still works on AWS S3 (one extra round trip).
      followRegionRedirects: true,
      requestHandler: { connectionTimeout: 10_000 },
    });
    const location = config.s3Endpoint ? `endpoint ${config.s3Endpoint}` : `AWS S3${config.s3Region ? ` (${config.s3Region})` : ''}`;
    return new S3ArtifactStore({ client, bucket: config.s3Bucket, prefix: config.s3Prefix, location });
  }

  /** `s3://bucket/prefix`, for logs. */
  describe(): string {
    return `s3://${this.bucket}/${this.prefix} at ${this.location}`;
  }

  blobKey(hash: string): string {
    if (!HEX_SHA256.test(hash)) {
      throw new Error('not a SHA-256 hex digest');
    }
    return `${this.prefix}blobs/sha256/${hash.slice(0, 2)}/${hash.slice(2, 4)}/${hash}`;
  }

  get stagingPrefix(): string {
    return `${this.prefix}tmp/`;
  }

  /**
   * Checks at start that the bucket exists and these credentials may use it, so a wrong setting
   * stops the server at once instead of failing the first upload. Throws S3BucketUnavailableError.
   */
  async checkBucket(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (error) {
      throw new S3BucketUnavailableError(this.bucketProblem(error));
    }
  }

  private bucketProblem(error: unknown): string {
    const where = `S3 bucket '${this.bucket}' at ${this.location}`;
    const status = httpStatusOf(error);
    const name = error instanceof Error ? error.name : 'Error';
    const message = error instanceof Error ? error.message : String(error);
    if (status === 404) {
      return `${where} does not exist: create it, or name another with --s3-bucket (ENTRENAR_S3_BUCKET)`;
    }
    if (status === 403 || status === 401) {
      return `${where} refused access (HTTP ${status}): check the AWS credentials (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE) and the bucket's policy`;
    }
    if (status === 301 || status === 400) {
      return `${where} answered HTTP ${status}: is --s3-region (ENTRENAR_S3_REGION) the bucket's region, and does the service need --s3-force-path-style?`;
    }
    if (status !== undefined) {
      return `${where} cannot be used: HTTP ${status} ${name}`;
    }
    if (name === 'CredentialsProviderError' || /credential/i.test(message)) {
      return `${where}: no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or run with an IAM role`;
    }
    if (/region/i.test(message)) {
      return `${where}: no usable region: pass --s3-region (ENTRENAR_S3_REGION) or set AWS_REGION`;
    }
    const code = networkErrorCode(error);
    return `${where} cannot be reached: ${code ?? `${name}: ${message}`}`;
  }

  async stage(source: Readable, limitBytes: number): Promise<StagedBlob> {
    const stagingKey = `${this.stagingPrefix}${Date.now()}-${randomBytes(8).toString('hex')}.part`;
    const { hash, sizeBytes } = await this.uploadHashed(stagingKey, source, limitBytes);
    let settled = false;
    return {
      hash,
      sizeBytes,
      commit: async () => {
        if (settled) {
          return;
        }
        settled = true;
        try {
          if (!(await this.exists(hash))) {
            // A blob's name is a promise about its bytes: never give it to an object of another size.
            const staged = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: stagingKey }));
            if (staged.ContentLength !== sizeBytes) {
              throw new Error(`S3 holds ${String(staged.ContentLength)} bytes for an upload of ${sizeBytes} bytes (blob ${hash})`);
            }
            await this.copy(stagingKey, this.blobKey(hash), sizeBytes);
          }
        } catch (error) {
          // The upload fails: its staged bytes must not linger (discard is a no-op after commit).
          await this.deleteKey(stagingKey).catch(() => undefined);
          throw error;
        }
        await this.deleteKey(stagingKey);
      },
      discard: async () => {
        if (settled) {
          return;
        }
        settled = true;
        await this.deleteKey(stagingKey);
      },
    };
  }

  /**
   * Streams `source` to the object `key` through a SHA-256 hash; rejects past `limitBytes` or
   * when the source or the service fails, leaving no object and no multipart upload behind.
   */
  private async uploadHashed(key: string, source: Readable, limitBytes: number): Promise<{ hash: string; sizeBytes: number }> {
    const counter = new HashingCounter(limitBytes);
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: key, Body: counter, ContentType: 'application/octet-stream' },
      partSize: uploadPartBytes(limitBytes, this.minPartBytes),
      queueSize: this.queueSize,
      // On failure lib-storage aborts the multipart upload, so no part stays behind.
      leavePartsOnError: false,
    });
    // If the service fails, stop reading the source too (else the pipeline would wait forever).
    const uploading = upload.done().catch((error: unknown) => {
      counter.destroy(error instanceof Error ? error : new Error(String(error)));
      throw error;
    });
    const [piped, uploaded] = await Promise.allSettled([pipeline(source, counter), uploading]);
    if (piped.status === 'rejected' || uploaded.status === 'rejected') {
      // A single-part PUT may have completed just before the failure was seen.
      await this.deleteKey(key).catch(() => undefined);
      const reasons = [piped, uploaded].flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
      throw reasons.find((reason) => reason instanceof BlobTooLargeError) ?? reasons[0];
    }
    return { hash: counter.hash.digest('hex'), sizeBytes: counter.byteCount };
  }

  /** `<prefix>uploads/`: the staging of MLflow multipart uploads, apart from `tmp/` (which is swept after an hour). */
  get uploadsPrefix(): string {
    return `${this.prefix}uploads/`;
  }

  private uploadPrefix(uploadId: string): string {
    requireStagingNames(uploadId);
    return `${this.uploadsPrefix}${uploadId}/`;
  }

  private partKey(uploadId: string, name: string): string {
    requireStagingNames(uploadId, name);
    return `${this.uploadPrefix(uploadId)}${name}`;
  }

  async stagePart(uploadId: string, partNumber: number, source: Readable, limitBytes: number): Promise<StagedPart> {
    const name = newPartName(partNumber, randomBytes(8).toString('hex'));
    const { hash, sizeBytes } = await this.uploadHashed(this.partKey(uploadId, name), source, limitBytes);
    return { name, hash, sizeBytes };
  }

  async openPart(uploadId: string, name: string): Promise<Readable> {
    const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.partKey(uploadId, name) }));
    if (!(response.Body instanceof Readable)) {
      throw new Error(`S3 returned no byte stream for part ${name} of upload ${uploadId}`);
    }
    return response.Body;
  }

  async removePart(uploadId: string, name: string): Promise<void> {
    await this.deleteKey(this.partKey(uploadId, name));
  }

  /** Deletes the upload's staged objects and aborts any S3 multipart upload still writing one. */
  async removeUploadStaging(uploadId: string): Promise<void> {
    const prefix = this.uploadPrefix(uploadId);
    await this.forEachPendingUpload(prefix, (pending) =>
      this.client
        .send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: pending.key, UploadId: pending.uploadId }))
        .then(() => undefined),
    );
    let continuationToken: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: continuationToken }),
      );
      const keys = (page.Contents ?? []).flatMap((object) => (object.Key ? [object.Key] : []));
      await forEachLimited(keys, 8, (key) => this.deleteKey(key));
      continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (continuationToken);
  }

  async listUploadStaging(): Promise<UploadStaging[]> {
    const lastWritten = new Map<string, number>();
    const note = (key: string, when: Date | undefined) => {
      const uploadId = key.slice(this.uploadsPrefix.length).split('/')[0];
      if (UPLOAD_ID.test(uploadId)) {
        lastWritten.set(uploadId, Math.max(lastWritten.get(uploadId) ?? 0, when?.getTime() ?? 0));
      }
    };
    let continuationToken: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.uploadsPrefix, ContinuationToken: continuationToken }),
      );
      for (const object of page.Contents ?? []) {
        if (object.Key) {
          note(object.Key, object.LastModified);
        }
      }
      continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (continuationToken);
    await this.forEachPendingUpload(this.uploadsPrefix, (pending) => {
      note(pending.key, pending.initiated);
      return Promise.resolve();
    });
    return [...lastWritten].map(([uploadId, lastWrittenMs]) => ({ uploadId, lastWrittenMs }));
  }

  /** Every unfinished S3 multipart upload under `prefix` (a part being written, or abandoned by a crash). */
  private async forEachPendingUpload(
    prefix: string,
    visit: (pending: { key: string; uploadId: string; initiated?: Date }) => Promise<void>,
  ): Promise<void> {
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    do {
      const page = await this.client.send(
        new ListMultipartUploadsCommand({ Bucket: this.bucket, Prefix: prefix, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }),
      );
      for (const pending of page.Uploads ?? []) {
        if (pending.Key && pending.UploadId) {
          await visit({ key: pending.Key, uploadId: pending.UploadId, initiated: pending.Initiated });
        }
      }
      const more = page.IsTruncated === true;
      keyMarker = more ? page.NextKeyMarker : undefined;
      uploadIdMarker = more ? page.NextUploadIdMarker : undefined;
    } while (keyMarker);
  }

  async open(hash: string, range?: ByteRange): Promise<Readable> {
    const response = await this.client.send(
      new GetObjectCommand({
        Bucket: this.bucket,
        Key: this.blobKey(hash),
        ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
      }),
    );
    if (!(response.Body instanceof Readable)) {
      throw new Error(`S3 returned no byte stream for blob ${hash}`);
    }
    return response.Body;
  }

  async exists(hash: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.blobKey(hash) }));
      return true;
    } catch (error) {
      if (isNotFound(error)) {
        return false;
      }
      throw error;
    }
  }

  async delete(hash: string): Promise<void> {
    await this.deleteKey(this.blobKey(hash));
  }

  /**
   * Removes staging objects and unfinished multipart uploads under `<prefix>tmp/` older than
   * `olderThanMs` (left by a server that died mid-upload). Returns how many it removed.
   */
  override async sweepStaging(olderThanMs: number): Promise<number> {
    const cutoff = Date.now() - olderThanMs;
    let removed = 0;
    let continuationToken: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.stagingPrefix, ContinuationToken: continuationToken }),
      );
      for (const object of page.Contents ?? []) {
        if (object.Key && object.LastModified && object.LastModified.getTime() < cutoff) {
          await this.deleteKey(object.Key);
          removed++;
        }
      }
      continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (continuationToken);

    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    do {
      const page = await this.client.send(
        new ListMultipartUploadsCommand({
          Bucket: this.bucket,
          Prefix: this.stagingPrefix,
          KeyMarker: keyMarker,
          UploadIdMarker: uploadIdMarker,
        }),
      );
      for (const pending of page.Uploads ?? []) {
        if (pending.Key && pending.UploadId && pending.Initiated && pending.Initiated.getTime() < cutoff) {
          await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: pending.Key, UploadId: pending.UploadId }));
          removed++;
        }
      }
      const more = page.IsTruncated === true;
      keyMarker = more ? page.NextKeyMarker : undefined;
      uploadIdMarker = more ? page.NextUploadIdMarker : undefined;
    } while (keyMarker);
    return removed;
  }

  /** Closes the SDK's pooled connections (Nest calls it when the app closes). */
  onModuleDestroy(): void {
    this.client.destroy();
  }

  private async deleteKey(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  private copySource(key: string): string {
    return `${this.bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
  }

  /** A server-side copy that appears at `to` only once complete. */
  private async copy(from: string, to: string, sizeBytes: number): Promise<void> {
    if (sizeBytes <= this.copyObjectMaxBytes) {
      await this.client.send(new CopyObjectCommand({ Bucket: this.bucket, Key: to, CopySource: this.copySource(from) }));
      return;
    }
    const created = await this.client.send(
      new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: to, ContentType: 'application/octet-stream' }),
    );
    const uploadId = created.UploadId;
    if (!uploadId) {
      throw new Error('S3 started a multipart copy without an upload id');
    }
    try {
      const ranges = copyPartRanges(sizeBytes, this.copyPartBytes);
      const parts: CompletedPart[] = new Array<CompletedPart>(ranges.length);
      await forEachLimited(ranges, 4, async (range, index) => {
        const result = await this.client.send(
          new UploadPartCopyCommand({
            Bucket: this.bucket,
            Key: to,
            UploadId: uploadId,
            PartNumber: index + 1,
            CopySource: this.copySource(from),
            CopySourceRange: `bytes=${range.start}-${range.end}`,
          }),
        );
        const etag = result.CopyPartResult?.ETag;
        if (!etag) {
          throw new Error(`S3 answered part ${index + 1} of a multipart copy without an ETag`);
        }
        parts[index] = { PartNumber: index + 1, ETag: etag };
      });
      await this.client.send(
        new CompleteMultipartUploadCommand({ Bucket: this.bucket, Key: to, UploadId: uploadId, MultipartUpload: { Parts: parts } }),
      );
    } catch (error) {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: to, UploadId: uploadId })).catch(() => undefined);
      throw error;
    }
  }
}
