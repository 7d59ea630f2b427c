import { Controller, Delete, Get, HttpCode, HttpStatus, Param, Post, Put, Query, Req, Res } from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
  ApiHeader,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, ApiErrorResponses } from '../../common/decorators/api-error-responses.decorator.js';
import { ArtifactsService } from './artifacts.service.js';
import {
  ArtifactListQueryDto,
  ArtifactListResponseDto,
  ArtifactUploadQueryDto,
  ArtifactUploadResponseDto,
  UploadArtifactDto,
} from './dto/artifact.dto.js';

/** Express 5 hands a `*key` wildcard over as its path segments. */
export function joinKey(key: string | string[]): string {
  return Array.isArray(key) ? key.join('/') : key;
}

/**
 * A download is sent with the Content-Type it was uploaded with, so any media type, and its bytes
 * are whatever was uploaded (a range of a JSON file is not JSON): no schema. Errors are JSON.
 */
const ARTIFACT_BYTES = { '*/*': {} };

const DOWNLOAD_HEADERS = {
  ETag: {
    description: 'the content hash, `"sha256:<hex>"`',
    schema: { type: 'string', pattern: '^"sha256:[0-9a-f]{64}"$' },
    required: true,
  },
  'Accept-Ranges': { description: 'always `bytes`', schema: { type: 'string', enum: ['bytes'] }, required: true },
  'Content-Disposition': { description: 'attachment, with the file name', schema: { type: 'string' }, required: true },
};

const KEY_PARAM = {
  name: 'key',
  type: String,
  description: 'the artifact key, `/` for folders',
  example: 'checkpoints/model.safetensors',
} as const;

@ApiTags('Artifacts')
@ApiErrorResponses()
@Controller('api/v1/runs/:runId/artifacts')
export class ArtifactsController {
  constructor(private readonly artifacts: ArtifactsService) {}

  @Post()
  @HttpCode(HttpStatus.CREATED)
  @ApiOperation({ summary: 'Upload a file (multipart/form-data: `file`, optional `key`), streamed to storage while hashed' })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ type: UploadArtifactDto })
  @ApiCreatedResponse({ type: ArtifactUploadResponseDto, description: 'stored (or the key already held exactly these bytes)' })
  @ApiError(400, 'INVALID_REQUEST: not multipart, no file part, a key that escapes the run folder, or the upload was cut off')
  @ApiError(404, 'NOT_FOUND: no run with this id')
  @ApiError(409, 'CONFLICT: the key already holds different bytes (and overwrite is not set), or the run is deleted')
  @ApiError(413, 'PAYLOAD_TOO_LARGE: larger than --max-body-size; nothing is kept')
  uploadArtifact(
    @Param('runId') runId: string,
    @Query() query: ArtifactUploadQueryDto,
    @Req() request: IncomingMessage,
  ): Promise<ArtifactUploadResponseDto> {
    return this.artifacts.uploadMultipart(runId, request, query);
  }

  @Put('*key')
  @HttpCode(HttpStatus.CREATED)
  @ApiOperation({
    summary: 'Upload a file as the raw request body (`curl -T file URL`), streamed to storage while hashed',
    description:
      'Any Content-Type is accepted and stored as the artifact\'s type (default application/octet-stream). With "Expect: 100-continue" ' +
      'and a Content-Length over --max-body-size the 413 comes before the body is sent.',
  })
  @ApiParam(KEY_PARAM)
  // Any media type: it is stored as the artifact's Content-Type and sent back with the download.
  @ApiConsumes('*/*')
  @ApiBody({ description: 'the file', schema: { type: 'string', format: 'binary' } })
  @ApiCreatedResponse({ type: ArtifactUploadResponseDto, description: 'stored (or the key already held exactly these bytes)' })
  @ApiError(400, 'INVALID_REQUEST: a key that escapes the run folder, or the upload was cut off')
  @ApiError(404, 'NOT_FOUND: no run with this id')
  @ApiError(409, 'CONFLICT: the key already holds different bytes (and overwrite is not set), or the run is deleted')
  @ApiError(413, 'PAYLOAD_TOO_LARGE: larger than --max-body-size; nothing is kept')
  uploadRawArtifact(
    @Param('runId') runId: string,
    @Param('key') key: string | string[],
    @Query() query: ArtifactUploadQueryDto,
    @Req() request: IncomingMessage,
  ): Promise<ArtifactUploadResponseDto> {
    return this.artifacts.uploadRaw(runId, joinKey(key), request, query);
  }

  @Get()
  @ApiOperation({
    summary: 'List the artifacts of a run, by key',
    description:
      'Recursive by default. `prefix` narrows to keys starting with it; `delimiter=/` lists one folder level, with sub-folders in `folders`.',
  })
  @ApiOkResponse({ type: ArtifactListResponseDto })
  @ApiError(400, 'INVALID_REQUEST: a bad prefix, delimiter, max_results or page_token')
  @ApiError(404, 'NOT_FOUND: no run with this id')
  listArtifacts(@Param('runId') runId: string, @Query() query: ArtifactListQueryDto): Promise<ArtifactListResponseDto> {
    return this.artifacts.list(runId, query);
  }

  @Get('*key')
  @ApiOperation({
    summary: 'Download an artifact (streamed)',
    description:
      'Sends Content-Length, Content-Type, ETag (the content hash) and Accept-Ranges. If-None-Match with the ETag → 304; ' +
      'Range with one byte range → 206 (resume a broken download; If-Range is honoured); several ranges → the whole file.',
  })
  @ApiParam(KEY_PARAM)
  @ApiHeader({ name: 'Range', required: false, description: 'one byte range, e.g. `bytes=1048576-`' })
  @ApiHeader({
    name: 'If-None-Match',
    required: false,
    description:
      'ETags from earlier downloads (weak comparison), or `*`; evaluated whatever Cache-Control or Pragma say (no-cache included)',
  })
  @ApiOkResponse({
    description: 'the bytes, as the Content-Type they were uploaded with',
    content: ARTIFACT_BYTES,
    headers: DOWNLOAD_HEADERS,
  })
  @ApiResponse({
    status: 206,
    description: 'the requested range (Content-Range says which)',
    content: ARTIFACT_BYTES,
    headers: {
      ...DOWNLOAD_HEADERS,
      'Content-Range': { description: 'e.g. `bytes 0-1023/4096`', schema: { type: 'string' }, required: true },
    },
  })
  @ApiResponse({
    status: 304,
    description: 'If-None-Match matched: the copy the client has is current',
    headers: { ETag: DOWNLOAD_HEADERS.ETag },
  })
  @ApiError(400, 'INVALID_REQUEST: a key that escapes the run folder')
  @ApiError(404, 'NOT_FOUND: no run or no artifact with this key')
  @ApiError(416, 'INVALID_REQUEST: the range starts past the end of the artifact (Content-Range: bytes */size)')
  downloadArtifact(
    @Param('runId') runId: string,
    @Param('key') key: string | string[],
    @Req() request: IncomingMessage,
    @Res() response: ServerResponse,
  ): Promise<void> {
    return this.artifacts.download(runId, joinKey(key), request, response);
  }

  @Delete('*key')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Delete an artifact; its bytes are freed when no other artifact has the same content' })
  @ApiParam(KEY_PARAM)
  @ApiNoContentResponse({ description: 'deleted' })
  @ApiError(400, 'INVALID_REQUEST: a key that escapes the run folder')
  @ApiError(404, 'NOT_FOUND: no run or no artifact with this key')
  @ApiError(409, 'CONFLICT: the run is deleted')
  deleteArtifact(@Param('runId') runId: string, @Param('key') key: string | string[]): Promise<void> {
    return this.artifacts.remove(runId, joinKey(key));
  }
}
