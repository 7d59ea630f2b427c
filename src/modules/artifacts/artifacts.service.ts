import { Inject, Injectable, StreamableFile } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import { ConflictError, InvalidRequestError, NotFoundError } from '../../common/errors.js';
import { decodePageToken, pageOf } from '../../common/paging.js';
import { toRfc3339 } from '../../common/time.js';
import { SERVER_CONFIG } from '../../config/config.module.js';
import type { ServerConfig } from '../../config/server-config.js';
import { RunsService } from '../runs/runs.service.js';
import { artifactKeyProblem } from './artifact-key.js';
import { ArtifactStore, StagedBlob } from './artifact-store.js';
import { ArtifactTransferAdapter } from './artifact-transfer.adapter.js';
import { ArtifactRepository } from './artifact.repository.js';
import { ArtifactDto, ArtifactListResponseDto, ArtifactPageQueryDto, ArtifactUploadResponseDto } from './dto/artifact.dto.js';
import { ArtifactEntity } from './entities/artifact.entity.js';

const DEFAULT_ARTIFACT_PAGE = 1000;

function isPathCursor(value: Record<string, unknown>): value is { p: string } {
  return typeof value.p === 'string';
}

function toArtifactDto(row: ArtifactEntity): ArtifactDto {
  return {
    key: row.path,
    hash: `sha256:${row.hash}`,
    size_bytes: row.size_bytes,
    content_type: row.content_type,
    created_at: toRfc3339(row.created_at),
  };
}

/** `attachment; filename=…` safe for any name (RFC 6266 / 5987). */
function contentDisposition(key: string): string {
  const base = path.posix.basename(key);
  const ascii = base.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(base)}`;
}

@Injectable()
export class ArtifactsService {
  constructor(
    private readonly artifacts: ArtifactRepository,
    private readonly runs: RunsService,
    private readonly store: ArtifactStore,
    private readonly transfer: ArtifactTransferAdapter,
    @Inject(SERVER_CONFIG) private readonly config: ServerConfig,
  ) {}

  /**
   * Stores a multipart upload under `key` (or the file's name). Uploading the same bytes to the
   * same key again is accepted; different bytes under an existing key are a CONFLICT.
   */
  async uploadMultipart(runId: string, request: IncomingMessage): Promise<ArtifactUploadResponseDto> {
    const run = await this.runs.requireWritable(runId);
    const upload = await this.transfer.receiveMultipart(request, this.store, this.config.maxBodySize);
    const { staged } = upload;
    try {
      return await this.record(run.id, runId, upload.fields.get('key') ?? upload.fileName, upload.contentType, staged);
    } catch (error) {
      // Whatever failed (a bad key, a conflict, the database), the staged bytes must not linger.
      await staged.discard().catch(() => undefined);
      throw error;
    }
  }

  private async record(
    runInternalId: number,
    runId: string,
    key: string,
    contentType: string,
    staged: StagedBlob,
  ): Promise<ArtifactUploadResponseDto> {
    const problem = artifactKeyProblem(key);
    if (problem !== undefined) {
      throw new InvalidRequestError(`key: ${problem}`);
    }
    const existing = await this.artifacts.findByPath(runInternalId, key);
    if (existing && existing.hash !== staged.hash) {
      throw new ConflictError(`artifact '${key}' of run ${runId} already holds different bytes (sha256:${existing.hash})`);
    }
    await staged.commit();
    const { row } = await this.artifacts.insertOrGet({
      run_id: runInternalId,
      path: key,
      hash: staged.hash,
      size_bytes: staged.sizeBytes,
      content_type: contentType,
      created_at: Date.now(),
    });
    if (row.hash !== staged.hash) {
      throw new ConflictError(`artifact '${key}' of run ${runId} already holds different bytes (sha256:${row.hash})`);
    }
    return { key, hash: `sha256:${row.hash}`, size_bytes: row.size_bytes };
  }

  async download(runId: string, key: string): Promise<StreamableFile> {
    const run = await this.runs.requireReadable(runId);
    const problem = artifactKeyProblem(key);
    if (problem !== undefined) {
      throw new InvalidRequestError(`key: ${problem}`);
    }
    const row = await this.artifacts.findByPath(run.id, key);
    if (!row) {
      throw new NotFoundError('Artifact', `${runId}/${key}`);
    }
    const stream = await this.store.open(row.hash);
    return new StreamableFile(stream, { type: row.content_type, length: row.size_bytes, disposition: contentDisposition(key) });
  }

  async list(runId: string, query: ArtifactPageQueryDto): Promise<ArtifactListResponseDto> {
    const run = await this.runs.requireReadable(runId);
    const limit = query.max_results ?? DEFAULT_ARTIFACT_PAGE;
    const cursor = decodePageToken(query.page_token, isPathCursor);
    const rows = await this.artifacts.listByRun(run.id, { afterPath: cursor?.p, limit });
    const page = pageOf(rows, limit, (last) => ({ p: last.path }), toArtifactDto);
    return { artifacts: page.items, next_page_token: page.nextPageToken };
  }
}
