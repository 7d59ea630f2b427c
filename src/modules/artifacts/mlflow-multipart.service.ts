import { Inject, Injectable, Logger } from '@nestjs/common';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { DomainError, InvalidRequestError, PayloadTooLargeError } from '../../common/errors.js';
import { SERVER_CONFIG } from '../../config/config.module.js';
import type { ServerConfig } from '../../config/server-config.js';
import { MlflowFields, objectList, optionalInt64, optionalString, requiredString } from '../mlflow/mlflow-request.js';
import { RunsService } from '../runs/runs.service.js';
import { MULTIPART_CLAIM_LEASE_MS } from './artifact-gc.service.js';
import { artifactKeyProblem } from './artifact-key.js';
import { ArtifactStore, StagedPart, UPLOAD_ID } from './artifact-store.js';
import { ArtifactTransferAdapter } from './artifact-transfer.adapter.js';
import { ArtifactsService } from './artifacts.service.js';
import { MultipartUploadEntity, MultipartUploadPartEntity } from './entities/multipart-upload.entity.js';
import { invalidPath, MlflowArtifactsService } from './mlflow-artifacts.service.js';
import { MultipartUploadRepository } from './multipart-upload.repository.js';

/** S3's bounds, which MLflow's clients and documentation follow. */
export const MAX_PARTS = 10_000;
/** An upload not completed or aborted within this is collected with its parts (ArtifactGarbageCollector). */
export const MULTIPART_UPLOAD_LIFETIME_MS = 24 * 60 * 60 * 1000;
/** A completion's claim older than this belongs to a process that died; assembling 5 GiB takes well under it. */
export const COMPLETION_CLAIM_LEASE_MS = MULTIPART_CLAIM_LEASE_MS;
/** The request header a part upload's credential carries: HMAC of the upload id and part number. */
export const PART_SIGNATURE_HEADER = 'x-entrenar-part-signature';
/** Where a part is uploaded: `<root>/<upload id>/<part number>`. */
export const PART_UPLOAD_ROOT = '/api/2.0/mlflow-artifacts/mpu/parts';

/** MLflow's CreateMultipartUpload.Response. */
export interface CreateMultipartUploadResponse {
  upload_id: string;
  credentials: Array<{ url: string; part_number: number; headers: Record<string, string> }>;
}

/** The artifact a multipart request names: the run, and the key of the file inside its artifact folder. */
interface UploadTarget {
  runId: string;
  key: string;
}

/** The file name of the client's local path (`/home/me/model.pt` or `C:\models\model.pt`). */
export function fileNameOf(localPath: string): string {
  return localPath.split(/[\\/]/).pop() ?? '';
}

/** `"abc"`, `W/"abc"` and `abc` are the same tag here: clients hand back what they got, quoted or not. */
export function bareEtag(etag: string): string {
  return etag
    .trim()
    .replace(/^W\//, '')
    .replace(/^"(.*)"$/, '$1');
}

/** The signature of one part's upload credential. */
export function partSignature(secret: string, uploadId: string, partNumber: number): string {
  return createHmac('sha256', secret).update(`${uploadId}:${partNumber}`).digest('base64url');
}

function signatureMatches(expected: string, given: string | string[] | undefined): boolean {
  if (typeof given !== 'string') {
    return false;
  }
  const wanted = Buffer.from(expected);
  const offered = Buffer.from(given);
  return wanted.length === offered.length && timingSafeEqual(wanted, offered);
}

function firstHeader(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first?.split(',')[0].trim() || undefined;
}

/**
 * The scheme, host and path prefix the client reached this server at, for URLs it will call
 * back: the Host header, or what a reverse proxy says in X-Forwarded-Proto/Host/Prefix. Only the
 * caller receives these URLs, so a forged header can only misdirect the caller's own parts.
 */
export function publicBaseUrl(request: IncomingMessage): string {
  const forwardedProto = firstHeader(request, 'x-forwarded-proto')?.toLowerCase();
  const encrypted = (request.socket as { encrypted?: boolean }).encrypted === true;
  const scheme = forwardedProto === 'https' || forwardedProto === 'http' ? forwardedProto : encrypted ? 'https' : 'http';
  const host = firstHeader(request, 'x-forwarded-host') ?? firstHeader(request, 'host');
  if (host === undefined || !/^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/.test(host)) {
    throw new InvalidRequestError('cannot tell where to upload the parts: the request has no usable Host header');
  }
  const prefix = firstHeader(request, 'x-forwarded-prefix') ?? '';
  const safePrefix = /^(\/[A-Za-z0-9._~-]+)*\/?$/.test(prefix) ? prefix.replace(/\/$/, '') : '';
  return `${scheme}://${host}${safePrefix}`;
}

function partNumberOf(text: string): number {
  const number = /^[1-9][0-9]{0,4}$/.test(text) ? Number(text) : NaN;
  if (!(number >= 1 && number <= MAX_PARTS)) {
    throw new InvalidRequestError(`part number must be an integer from 1 to ${MAX_PARTS}, not '${text}'`);
  }
  return number;
}

/** 403 PERMISSION_DENIED, the same whether the upload is unknown or the signature wrong, so neither can be probed. */
function deniedPart(): DomainError {
  return new DomainError('INVALID_REQUEST', 'invalid or expired part upload credential: ask mpu/create for new ones', 'PERMISSION_DENIED');
}

function missing(name: string): InvalidRequestError {
  return new InvalidRequestError(
    `Missing value for required parameter '${name}'. See the API docs for more information about request parameters.`,
  );
}

/** The parts of an upload as one stream of bytes, in the order given; fails if a staged part is not its recorded size. */
async function* concatenatedParts(
  store: ArtifactStore,
  uploadId: string,
  parts: readonly MultipartUploadPartEntity[],
): AsyncGenerator<Buffer> {
  for (const part of parts) {
    const stream = await store.openPart(uploadId, part.staged_name);
    let size = 0;
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      size += chunk.length;
      yield chunk;
    }
    if (size !== Number(part.size_bytes)) {
      throw new Error(`staged part ${part.part_number} of upload ${uploadId} holds ${size} bytes, not the ${part.size_bytes} received`);
    }
  }
}

/**
 * MLflow's multipart artifact upload through the proxy (`MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD`):
 * `mpu/create` answers one credential per part, a URL on this server plus a signed header;
 * the client PUTs each part there (in parallel, without its own credentials: MLflow's client
 * sends only the credential's headers, as it would to a presigned S3 URL); `mpu/complete`
 * assembles the parts the client lists, in part order, into an ordinary artifact (hashed and
 * deduplicated like any upload); `mpu/abort` throws the parts away. Parts are staged in the
 * artifact store and recorded in the database, so any replica can serve any step.
 */
@Injectable()
export class MlflowMultipartService {
  private readonly logger = new Logger('MultipartUpload');

  constructor(
    private readonly artifacts: ArtifactsService,
    private readonly mlflowArtifacts: MlflowArtifactsService,
    private readonly runs: RunsService,
    private readonly uploads: MultipartUploadRepository,
    private readonly store: ArtifactStore,
    private readonly transfer: ArtifactTransferAdapter,
    @Inject(SERVER_CONFIG) private readonly config: ServerConfig,
  ) {}

  /** POST mpu/create/<folder>: `{path, num_parts}` → `{upload_id, credentials}`. */
  async create(artifactPath: string, fields: MlflowFields, request: IncomingMessage): Promise<CreateMultipartUploadResponse> {
    const target = await this.target(artifactPath, fields);
    const numParts = optionalInt64(fields, 'num_parts');
    if (numParts === undefined || numParts < 1 || numParts > MAX_PARTS) {
      throw new InvalidRequestError(`num_parts must be from 1 to ${MAX_PARTS}, not ${String(numParts ?? 0)}`);
    }
    const run = await this.runs.requireWritable(target.runId);
    const base = publicBaseUrl(request);
    const now = Date.now();
    const upload: MultipartUploadEntity = {
      upload_id: randomBytes(16).toString('hex'),
      run_id: run.id,
      path: target.key,
      num_parts: numParts,
      part_secret: randomBytes(32).toString('base64url'),
      completing_since: null,
      created_at: now,
      expires_at: now + MULTIPART_UPLOAD_LIFETIME_MS,
    };
    await this.uploads.insert(upload);
    const credentials = Array.from({ length: numParts }, (_unused, index) => {
      const partNumber = index + 1;
      return {
        url: `${base}${PART_UPLOAD_ROOT}/${upload.upload_id}/${partNumber}`,
        part_number: partNumber,
        headers: { [PART_SIGNATURE_HEADER]: partSignature(upload.part_secret, upload.upload_id, partNumber) },
      };
    });
    return { upload_id: upload.upload_id, credentials };
  }

  /**
   * PUT mpu/parts/<upload id>/<part number>: the raw body is the part, staged (streamed, never
   * held in memory) and answered with its ETag. A part sent again replaces the earlier one. All
   * parts together may hold at most --max-body-size bytes.
   */
  async uploadPart(uploadId: string, partNumberText: string, request: IncomingMessage): Promise<{ etag: string }> {
    const { partNumber, limitBytes } = await this.beforePartBody(request, async () => {
      const number = partNumberOf(partNumberText);
      const upload = UPLOAD_ID.test(uploadId) ? await this.uploads.find(uploadId) : undefined;
      if (
        !upload ||
        upload.expires_at < Date.now() ||
        !signatureMatches(partSignature(upload.part_secret, uploadId, number), request.headers[PART_SIGNATURE_HEADER])
      ) {
        throw deniedPart();
      }
      if (number > upload.num_parts) {
        throw new InvalidRequestError(`part number ${number} is out of range: the upload has ${upload.num_parts} part(s)`);
      }
      this.requireNotCompleting(upload);
      const left = Math.max(0, this.config.maxBodySize - (await this.uploads.bytesOfOtherParts(uploadId, number)));
      this.rejectPartDeclaredTooLarge(request, left);
      return { partNumber: number, limitBytes: left };
    });
    let staged: StagedPart;
    try {
      staged = await this.transfer.receiveBodyInto(request, limitBytes, (body) =>
        this.store.stagePart(uploadId, partNumber, body, limitBytes),
      );
    } catch (error) {
      throw error instanceof PayloadTooLargeError ? this.partTooLarge(limitBytes) : error;
    }
    const outcome = await this.uploads
      .recordPart(
        {
          upload_id: uploadId,
          part_number: partNumber,
          staged_name: staged.name,
          hash: staged.hash,
          size_bytes: staged.sizeBytes,
          uploaded_at: Date.now(),
        },
        Date.now(),
        COMPLETION_CLAIM_LEASE_MS,
      )
      .catch(async (error: unknown) => {
        await this.store.removePart(uploadId, staged.name).catch(() => undefined);
        throw error;
      });
    if (!outcome.recorded) {
      await this.store.removePart(uploadId, staged.name).catch(() => undefined);
      throw outcome.reason === 'completing'
        ? this.completing(uploadId)
        : new InvalidRequestError(`multipart upload '${uploadId}' was completed or aborted while this part arrived`);
    }
    if (outcome.replacedName !== undefined && outcome.replacedName !== staged.name) {
      await this.store.removePart(uploadId, outcome.replacedName).catch((error: unknown) => {
        this.logger.warn(`could not remove a replaced part of upload ${uploadId}; it goes with the upload: ${String(error)}`);
      });
    }
    return { etag: `"${staged.hash}"` };
  }

  /** POST mpu/complete/<folder>: `{path, upload_id, parts: [{part_number, etag}]}` → `{}`, the artifact in place. */
  async complete(artifactPath: string, fields: MlflowFields): Promise<Record<string, never>> {
    const target = await this.target(artifactPath, fields);
    const uploadId = requiredString(fields, 'upload_id');
    if (fields.parts === undefined || fields.parts === null) {
      throw missing('parts');
    }
    const listed = objectList(fields, 'parts').map((part) => {
      const partNumber = optionalInt64(part, 'part_number');
      if (partNumber === undefined) {
        throw missing('parts.part_number');
      }
      return { partNumber, etag: optionalString(part, 'etag') ?? '' };
    });
    if (listed.length === 0) {
      throw new InvalidRequestError('parts must list at least one part');
    }
    const upload = await this.requireUpload(uploadId, target);
    if (!(await this.uploads.claimForCompletion(uploadId, Date.now(), COMPLETION_CLAIM_LEASE_MS))) {
      throw (await this.uploads.find(uploadId)) ? this.completing(uploadId) : this.noSuchUpload(uploadId, target);
    }
    try {
      const received = new Map((await this.uploads.parts(uploadId)).map((part) => [part.part_number, part]));
      const chosen: MultipartUploadPartEntity[] = [];
      for (const { partNumber, etag } of [...listed].sort((a, b) => a.partNumber - b.partNumber)) {
        if (partNumber < 1 || partNumber > upload.num_parts) {
          throw new InvalidRequestError(`part number ${partNumber} is out of range: the upload has ${upload.num_parts} part(s)`);
        }
        if (chosen.length > 0 && chosen[chosen.length - 1].part_number === partNumber) {
          throw new InvalidRequestError(`part ${partNumber} is listed twice`);
        }
        const part = received.get(partNumber);
        if (!part) {
          throw new InvalidRequestError(`part ${partNumber} of multipart upload '${uploadId}' was never uploaded`);
        }
        if (bareEtag(etag) !== part.hash) {
          throw new InvalidRequestError(`the ETag given for part ${partNumber} is not the one its upload answered`);
        }
        chosen.push(part);
      }
      const total = chosen.reduce((sum, part) => sum + Number(part.size_bytes), 0);
      if (total > this.config.maxBodySize) {
        throw new PayloadTooLargeError(`the parts hold ${total} bytes, over the upload limit of ${this.config.maxBodySize} bytes`, 413);
      }
      const source = Readable.from(concatenatedParts(this.store, uploadId, chosen), { objectMode: false });
      await this.artifacts.storeStream(target.runId, target.key, 'application/octet-stream', source, true);
    } catch (error) {
      await this.uploads.releaseClaim(uploadId).catch(() => undefined);
      throw error;
    }
    await this.uploads.delete(uploadId);
    await this.removeStaging(uploadId);
    return {};
  }

  /** POST mpu/abort/<folder>: `{path, upload_id}` → `{}`, every part thrown away. */
  async abort(artifactPath: string, fields: MlflowFields): Promise<Record<string, never>> {
    const target = await this.target(artifactPath, fields);
    const uploadId = requiredString(fields, 'upload_id');
    await this.requireUpload(uploadId, target);
    const outcome = await this.uploads.deleteUnlessClaimed(uploadId, Date.now(), COMPLETION_CLAIM_LEASE_MS);
    if (outcome === 'completing') {
      throw this.completing(uploadId);
    }
    if (outcome === 'gone') {
      throw this.noSuchUpload(uploadId, target);
    }
    await this.removeStaging(uploadId);
    return {};
  }

  /** The artifact a request names: the folder in the URL, plus the file name of the client's `path`. */
  private async target(artifactPath: string, fields: MlflowFields): Promise<UploadTarget> {
    const name = fileNameOf(requiredString(fields, 'path'));
    const located = await this.mlflowArtifacts.resolveRunPath(artifactPath);
    const key = located.key === '' ? name : `${located.key}/${name}`;
    if (artifactKeyProblem(key) !== undefined) {
      throw invalidPath();
    }
    return { runId: located.runId, key };
  }

  private async requireUpload(uploadId: string, target: UploadTarget): Promise<MultipartUploadEntity> {
    const upload = UPLOAD_ID.test(uploadId) ? await this.uploads.find(uploadId) : undefined;
    const run = upload ? await this.runs.requireReadable(target.runId) : undefined;
    if (!upload || !run || upload.run_id !== run.id || upload.path !== target.key) {
      throw this.noSuchUpload(uploadId, target);
    }
    return upload;
  }

  private requireNotCompleting(upload: MultipartUploadEntity): void {
    if (upload.completing_since !== null && upload.completing_since > Date.now() - COMPLETION_CLAIM_LEASE_MS) {
      throw this.completing(upload.upload_id);
    }
  }

  private async beforePartBody<T>(request: IncomingMessage, checks: () => Promise<T>): Promise<T> {
    try {
      return await checks();
    } catch (error) {
      this.transfer.refuseBody(request);
      throw error;
    }
  }

  private rejectPartDeclaredTooLarge(request: IncomingMessage, limitBytes: number): void {
    try {
      this.transfer.rejectDeclaredTooLarge(request, limitBytes);
    } catch (error) {
      throw error instanceof PayloadTooLargeError ? this.partTooLarge(limitBytes) : error;
    }
  }

  /** 413 (on this MLflow route too: the part's URL is ours, and the status says what went wrong). */
  private partTooLarge(limitBytes: number): PayloadTooLargeError {
    const limit = this.config.maxBodySize;
    return new PayloadTooLargeError(
      limitBytes === limit
        ? `part is larger than the upload limit of ${limit} bytes`
        : `part is larger than the ${limitBytes} bytes left of the upload limit of ${limit} bytes (all parts together)`,
      413,
    );
  }

  private async removeStaging(uploadId: string): Promise<void> {
    await this.store.removeUploadStaging(uploadId).catch((error: unknown) => {
      this.logger.warn(`could not remove the staged parts of upload ${uploadId}; the garbage collector will: ${String(error)}`);
    });
  }

  private completing(uploadId: string): InvalidRequestError {
    return new InvalidRequestError(`multipart upload '${uploadId}' is being completed`);
  }

  private noSuchUpload(uploadId: string, target: UploadTarget): InvalidRequestError {
    return new InvalidRequestError(`no multipart upload '${uploadId}' is in progress for artifact '${target.key}'`);
  }
}
