import { Inject, Injectable, Logger } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { ConflictError, DomainError, InvalidRequestError, NotFoundError } from '../../common/errors.js';
import { decodePageToken, encodePageToken } from '../../common/paging.js';
import { toRfc3339 } from '../../common/time.js';
import { SERVER_CONFIG } from '../../config/config.module.js';
import type { ServerConfig } from '../../config/server-config.js';
import type { RunWriteTarget } from '../runs/run.repository.js';
import { ChangeFeedService } from '../live/change-feed.service.js';
import { RunsService } from '../runs/runs.service.js';
import { TelemetryService } from '../telemetry/telemetry.service.js';
import { ArtifactBlobRepository } from './artifact-blob.repository.js';
import { ArtifactGarbageCollector, PIN_LEASE_MS } from './artifact-gc.service.js';
import { artifactKeyProblem } from './artifact-key.js';
import { listingPage, ListingEntry, RowSource } from './artifact-listing.js';
import { ArtifactStore, StagedBlob } from './artifact-store.js';
import { ArtifactTransferAdapter, BlobDownload } from './artifact-transfer.adapter.js';
import { ArtifactRepository, PathBound } from './artifact.repository.js';
import {
  ArtifactDto,
  ArtifactListQueryDto,
  ArtifactListResponseDto,
  ArtifactUploadQueryDto,
  ArtifactUploadResponseDto,
} from './dto/artifact.dto.js';
import { ArtifactEntity } from './entities/artifact.entity.js';

const DEFAULT_ARTIFACT_PAGE = 1000;

/** What serving a stored file needs of its row (a run's artifact or a logged model's file). */
export type StoredFile = Pick<ArtifactEntity, 'path' | 'hash' | 'size_bytes' | 'content_type'>;

/** Bytes received and committed to the store, for an owner other than a run to record. */
export interface ReceivedBlob {
  hash: string;
  sizeBytes: number;
  contentType: string;
}

/** A page cursor: after a key (`a`), or at a key (`f`, the end of a folder). */
type ListingCursor = { a: string } | { f: string };

function isListingCursor(value: Record<string, unknown>): value is ListingCursor {
  return typeof value.a === 'string' || typeof value.f === 'string';
}

function boundOf(cursor: ListingCursor): PathBound {
  return 'a' in cursor ? { path: cursor.a, inclusive: false } : { path: cursor.f, inclusive: true };
}

function cursorOf(bound: PathBound): ListingCursor {
  return bound.inclusive ? { f: bound.path } : { a: bound.path };
}

export function toArtifactDto(row: ArtifactEntity): ArtifactDto {
  return {
    key: row.path,
    hash: `sha256:${row.hash}`,
    size_bytes: row.size_bytes,
    content_type: row.content_type,
    created_at: toRfc3339(row.created_at),
  };
}

function toUploadResponse(row: ArtifactEntity): ArtifactUploadResponseDto {
  return { key: row.path, hash: `sha256:${row.hash}`, size_bytes: row.size_bytes };
}

/** The key, or INVALID_REQUEST naming why it cannot be one. */
function requireKey(key: string): string {
  const problem = artifactKeyProblem(key);
  if (problem !== undefined) {
    throw new InvalidRequestError(`key: ${problem}`);
  }
  return key;
}

/**
 * The rules of run artifacts, shared by the seed API and the MLflow artifact proxy: one store,
 * one table, so a file logged through either API is read through the other.
 */
@Injectable()
export class ArtifactsService {
  private readonly logger = new Logger('Artifacts');

  constructor(
    private readonly artifacts: ArtifactRepository,
    private readonly blobs: ArtifactBlobRepository,
    private readonly runs: RunsService,
    private readonly store: ArtifactStore,
    private readonly transfer: ArtifactTransferAdapter,
    private readonly gc: ArtifactGarbageCollector,
    private readonly telemetry: TelemetryService,
    @Inject(SERVER_CONFIG) private readonly config: ServerConfig,
    private readonly changes: ChangeFeedService,
  ) {}

  /**
   * Stores a multipart upload under `key` (or the file's name). The same bytes under the same
   * key again are accepted; different bytes under an existing key are a CONFLICT unless
   * `overwrite` is set.
   */
  async uploadMultipart(runId: string, request: IncomingMessage, query: ArtifactUploadQueryDto): Promise<ArtifactUploadResponseDto> {
    const run = await this.beforeBody(request, () => this.runs.requireWritable(runId));
    const upload = await this.transfer.receiveMultipart(request, this.store, this.config.maxBodySize);
    const key = upload.fields.get('key') ?? upload.fileName;
    return this.record(run, runId, key, upload.contentType, upload.staged, query.overwrite ?? false);
  }

  /** Stores the raw request body (any content type, streamed) under `key`; same rules as multipart. */
  uploadRaw(runId: string, key: string, request: IncomingMessage, query: ArtifactUploadQueryDto): Promise<ArtifactUploadResponseDto> {
    return this.uploadBody(request, query.overwrite ?? false, () => Promise.resolve({ runId, key }));
  }

  /**
   * Stores the raw request body as the artifact `locate` names (also the MLflow proxy's PUT).
   * Everything that can refuse the upload (the target, the key, the run's state, a declared
   * length over the limit) is checked before the body is read.
   */
  async uploadBody(
    request: IncomingMessage,
    overwrite: boolean,
    locate: () => Promise<{ runId: string; key: string }>,
  ): Promise<ArtifactUploadResponseDto> {
    const { run, runId, key } = await this.beforeBody(request, async () => {
      const target = await locate();
      requireKey(target.key);
      const writable = await this.runs.requireWritable(target.runId);
      this.transfer.rejectDeclaredTooLarge(request, this.config.maxBodySize);
      return { run: writable, ...target };
    });
    const body = await this.transfer.receiveBody(request, this.store, this.config.maxBodySize);
    return this.record(run, runId, key, body.contentType, body.staged, overwrite);
  }

  /**
   * Stores the bytes of `source` (streamed, hashed, deduplicated like any upload) as the artifact
   * `key` of the run; how an MLflow multipart upload's parts become one artifact.
   */
  async storeStream(
    runId: string,
    key: string,
    contentType: string,
    source: Readable,
    overwrite: boolean,
  ): Promise<ArtifactUploadResponseDto> {
    let run: RunWriteTarget;
    try {
      requireKey(key);
      run = await this.runs.requireWritable(runId);
    } catch (error) {
      source.destroy();
      throw error;
    }
    const staged = await this.store.stage(source, this.config.maxBodySize);
    return this.record(run, runId, key, contentType, staged, overwrite);
  }

  async download(runId: string, key: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
    const run = await this.runs.requireReadable(runId);
    requireKey(key);
    const row = await this.artifacts.findByPath(run.id, key);
    if (!row) {
      if (await this.artifacts.hasFolder(run.id, key)) {
        throw new DomainError('NOT_FOUND', `'${key}' is a folder of run ${runId}, not a file: list it with ?prefix=${key}/&delimiter=/`);
      }
      throw new NotFoundError('Artifact', `${runId}/${key}`);
    }
    await this.sendFile(request, response, row);
  }

  /** Streams a stored artifact (ETag, Range, 304 and 416 included); `contentType` overrides the stored one. */
  async sendFile(request: IncomingMessage, response: ServerResponse, row: StoredFile, contentType = row.content_type): Promise<void> {
    const download: BlobDownload = {
      hash: row.hash,
      sizeBytes: row.size_bytes,
      contentType,
      fileName: row.path,
      open: (range) => this.store.open(row.hash, range),
    };
    const sentBytes = await this.transfer.sendBlob(request, response, download);
    this.telemetry.countArtifactBytesSent(sentBytes);
  }

  async list(runId: string, query: ArtifactListQueryDto): Promise<ArtifactListResponseDto> {
    const run = await this.runs.requireReadable(runId);
    const cursor = decodePageToken(query.page_token, isListingCursor);
    const page = await listingPage((from, limit) => this.artifacts.listFrom(run.id, from, limit), {
      prefix: query.prefix ?? '',
      delimiter: query.delimiter,
      start: cursor ? boundOf(cursor) : undefined,
      limit: query.max_results ?? DEFAULT_ARTIFACT_PAGE,
    });
    const artifacts: ArtifactDto[] = [];
    const folders: string[] = [];
    for (const entry of page.entries) {
      if (entry.kind === 'file') {
        artifacts.push(toArtifactDto(entry.row));
      } else {
        folders.push(entry.folder);
      }
    }
    return { artifacts, folders, next_page_token: page.next ? encodePageToken(cursorOf(page.next)) : undefined };
  }

  /** Every entry directly in the folder `folder` ('' for the run's root), files and sub-folders in key order. */
  listFolder(runInternalId: number, folder: string): Promise<ListingEntry<ArtifactEntity>[]> {
    return this.listFolderOf((from, limit) => this.artifacts.listFrom(runInternalId, from, limit), folder);
  }

  /** Every entry directly in the folder `folder` of any owner's files (a run's, a logged model's), in key order. */
  async listFolderOf<Row extends { path: string }>(source: RowSource<Row>, folder: string): Promise<ListingEntry<Row>[]> {
    const prefix = folder === '' ? '' : `${folder}/`;
    const entries: ListingEntry<Row>[] = [];
    let start: PathBound | undefined;
    do {
      const page = await listingPage(source, { prefix, delimiter: '/', start, limit: DEFAULT_ARTIFACT_PAGE });
      entries.push(...page.entries);
      start = page.next;
    } while (start);
    return entries;
  }

  findFile(runInternalId: number, key: string): Promise<ArtifactEntity | undefined> {
    return this.artifacts.findByPath(runInternalId, key);
  }

  /** Deletes one artifact; its blob is freed if no other artifact has the same content. */
  async remove(runId: string, key: string): Promise<void> {
    const run = await this.runs.requireWritable(runId);
    requireKey(key);
    const hash = await this.artifacts.deleteByPath(run.id, key);
    if (hash === undefined) {
      throw new NotFoundError('Artifact', `${runId}/${key}`);
    }
    this.changes.runChanged(run, ['artifacts']);
    await this.gc.collect([hash]);
  }

  /**
   * Deletes the file `key` or everything in the folder `key/` ('' for every artifact of the
   * run), freeing blobs nothing else refers to. Returns how many artifacts were deleted.
   */
  async removeFileOrFolder(run: RunWriteTarget, key: string): Promise<number> {
    const hashes = await this.artifacts.deleteFileOrFolder(run.id, key);
    if (hashes.length > 0) {
      this.changes.runChanged(run, ['artifacts']);
    }
    await this.gc.collect(hashes);
    return hashes.length;
  }

  /**
   * Runs the checks that decide whether an upload is wanted before its body is read; if one
   * fails, the body is refused (not read to the end) and the error answered at once.
   */
  private async beforeBody<T>(request: IncomingMessage, checks: () => Promise<T>): Promise<T> {
    try {
      return await checks();
    } catch (error) {
      this.transfer.refuseBody(request);
      throw error;
    }
  }

  /**
   * Records staged bytes as the artifact `key` (see keepStaged for how the blob is protected),
   * then gives up the staged copy whatever happens.
   */
  private async record(
    run: RunWriteTarget,
    runId: string,
    key: string,
    contentType: string,
    staged: StagedBlob,
    overwrite: boolean,
  ): Promise<ArtifactUploadResponseDto> {
    try {
      requireKey(key);
      const existing = await this.artifacts.findByPath(run.id, key);
      if (existing && existing.hash === staged.hash) {
        this.telemetry.countArtifactBytesReceived(staged.sizeBytes);
        return toUploadResponse(existing);
      }
      if (existing && !overwrite) {
        throw this.conflict(runId, key, existing.hash);
      }
      const { row: recorded } = await this.keepStaged(staged, async () => {
        const artifact = {
          run_id: run.id,
          path: key,
          hash: staged.hash,
          size_bytes: staged.sizeBytes,
          content_type: contentType,
          created_at: Date.now(),
        };
        if (overwrite) {
          return this.artifacts.replace(artifact);
        }
        const { row } = await this.artifacts.insertOrGet(artifact);
        if (row.hash !== staged.hash) {
          // Another upload took the key between our check and our insert.
          throw this.conflict(runId, key, row.hash);
        }
        return { row };
      });
      this.changes.runChanged(run, ['artifacts']);
      return toUploadResponse(recorded);
    } finally {
      // A no-op once committed; otherwise the staged bytes must not linger.
      await staged.discard().catch(() => undefined);
    }
  }

  /**
   * Stores the raw request body for an owner other than a run (a logged model): `check` may
   * refuse it before the body is read; `save` records the committed bytes and returns the hash
   * the file held before, if any. The blob is protected exactly as a run artifact's is.
   */
  async uploadBodyTo(
    request: IncomingMessage,
    check: () => Promise<void>,
    save: (blob: ReceivedBlob) => Promise<{ previousHash?: string }>,
  ): Promise<void> {
    await this.beforeBody(request, async () => {
      await check();
      this.transfer.rejectDeclaredTooLarge(request, this.config.maxBodySize);
    });
    const body = await this.transfer.receiveBody(request, this.store, this.config.maxBodySize);
    try {
      const { hash, sizeBytes } = body.staged;
      await this.keepStaged(body.staged, () => save({ hash, sizeBytes, contentType: body.contentType }));
    } finally {
      await body.staged.discard().catch(() => undefined);
    }
  }

  /** Frees the blobs of deleted files that nothing else refers to. */
  async releaseBlobs(hashes: string[]): Promise<void> {
    await this.gc.collect(hashes);
  }

  /**
   * Commits staged bytes and records them through `save`. The blob is protected from the
   * garbage collector by a pending reference from before it is committed until after its row is
   * recorded. If the row cannot be recorded (a conflict, a database failure), the committed blob
   * is collected at once unless something else refers to it; if the process dies in between,
   * the pending reference expires and a later full pass collects it. A blob the row replaced is
   * collected too.
   */
  private async keepStaged<Saved extends { previousHash?: string }>(staged: StagedBlob, save: () => Promise<Saved>): Promise<Saved> {
    const now = Date.now();
    await this.blobs.pin(staged.hash, staged.sizeBytes, now, now + PIN_LEASE_MS);
    let saved: Saved | undefined;
    try {
      await staged.commit();
      saved = await save();
    } finally {
      await this.blobs.unpin(staged.hash).catch((error: unknown) => {
        this.logger.warn(`could not drop the pending reference to blob ${staged.hash}; it expires by itself: ${String(error)}`);
      });
      if (!saved) {
        await this.gc.collect([staged.hash]);
      }
    }
    this.telemetry.countArtifactBytesReceived(staged.sizeBytes);
    if (saved.previousHash !== undefined && saved.previousHash !== staged.hash) {
      await this.gc.collect([saved.previousHash]);
    }
    return saved;
  }

  private conflict(runId: string, key: string, existingHash: string): ConflictError {
    return new ConflictError(
      `artifact '${key}' of run ${runId} already holds different bytes (sha256:${existingHash}); send ?overwrite=true to replace them`,
    );
  }
}
