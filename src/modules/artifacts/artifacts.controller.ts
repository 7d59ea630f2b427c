import { Controller, Get, HttpCode, HttpStatus, Param, Post, Query, Req, StreamableFile } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { IncomingMessage } from 'node:http';
import { ApiError, ApiErrorResponses } from '../../common/decorators/api-error-responses.decorator.js';
import { ArtifactsService } from './artifacts.service.js';
import { ArtifactListResponseDto, ArtifactPageQueryDto, ArtifactUploadResponseDto, UploadArtifactDto } from './dto/artifact.dto.js';

/** Express 5 hands a `*key` wildcard over as its path segments. */
function joinKey(key: string | string[]): string {
  return Array.isArray(key) ? key.join('/') : key;
}

@ApiTags('Artifacts')
@ApiErrorResponses()
@Controller('api/v1/runs/:runId/artifacts')
export class ArtifactsController {
  constructor(private readonly artifacts: ArtifactsService) {}

  @Post()
  @HttpCode(HttpStatus.CREATED)
  @ApiOperation({ summary: 'Upload a file (multipart/form-data: `file`, optional `key`)' })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ type: UploadArtifactDto })
  @ApiCreatedResponse({ type: ArtifactUploadResponseDto })
  @ApiError(400, 'INVALID_REQUEST: not multipart, no file part, or a key that escapes the run folder')
  @ApiError(404, 'NOT_FOUND: no run with this id')
  @ApiError(409, 'CONFLICT: the key already holds different bytes, or the run is deleted')
  @ApiError(413, 'PAYLOAD_TOO_LARGE: larger than --max-body-size')
  uploadArtifact(@Param('runId') runId: string, @Req() request: IncomingMessage): Promise<ArtifactUploadResponseDto> {
    return this.artifacts.uploadMultipart(runId, request);
  }

  @Get()
  @ApiOperation({ summary: 'List the artifacts of a run, by key' })
  @ApiOkResponse({ type: ArtifactListResponseDto })
  @ApiError(404, 'NOT_FOUND: no run with this id')
  listArtifacts(@Param('runId') runId: string, @Query() query: ArtifactPageQueryDto): Promise<ArtifactListResponseDto> {
    return this.artifacts.list(runId, query);
  }

  @Get('*key')
  @ApiOperation({ summary: 'Download an artifact (streamed)' })
  @ApiParam({ name: 'key', description: 'the artifact key, `/` for folders', example: 'model.safetensors' })
  @ApiProduces('application/octet-stream')
  @ApiOkResponse({ description: 'the bytes', schema: { type: 'string', format: 'binary' } })
  @ApiError(400, 'INVALID_REQUEST: a key that escapes the run folder')
  @ApiError(404, 'NOT_FOUND: no run or no artifact with this key')
  downloadArtifact(@Param('runId') runId: string, @Param('key') key: string | string[]): Promise<StreamableFile> {
    return this.artifacts.download(runId, joinKey(key));
  }
}
