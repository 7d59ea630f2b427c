import { Controller, Delete, Get, HttpCode, HttpStatus, Param, Post, Put, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MlflowRequest } from '../mlflow/mlflow-request.js';
import type { MlflowFields } from '../mlflow/mlflow-request.js';
import { joinKey } from './artifacts.controller.js';
import { MlflowArtifactsService } from './mlflow-artifacts.service.js';
import type { MlflowFileList, MlflowQuery, MlflowRunArtifactList } from './mlflow-artifacts.service.js';
import { MlflowMultipartService, PART_UPLOAD_ROOT } from './mlflow-multipart.service.js';
import type { CreateMultipartUploadResponse } from './mlflow-multipart.service.js';

const PROXY_ROOTS = ['api/2.0/mlflow-artifacts', 'ajax-api/2.0/mlflow-artifacts'];
const proxy = (...suffixes: string[]): string[] => PROXY_ROOTS.flatMap((root) => suffixes.map((suffix) => `${root}/${suffix}`));

/**
 * MLflow's artifact proxy (`mlflow_artifacts.proto`, what `mlflow-artifacts:/` URIs resolve to,
 * multipart uploads included) and the tracking API's artifact routes, on the same store as
 * `/api/v1`. Errors use MLflow's envelope (the global filter picks it by URL). Not part of the
 * OpenAPI document.
 */
@ApiExcludeController()
@Controller()
export class MlflowArtifactsController {
  constructor(
    private readonly artifacts: MlflowArtifactsService,
    private readonly multipart: MlflowMultipartService,
  ) {}

  @Put(proxy('artifacts/*path'))
  @HttpCode(HttpStatus.OK)
  uploadMlflowArtifact(@Param('path') artifactPath: string | string[], @Req() request: IncomingMessage): Promise<Record<string, never>> {
    return this.artifacts.upload(joinKey(artifactPath), request);
  }

  @Get(proxy('artifacts'))
  listMlflowArtifacts(@Query() query: MlflowQuery): Promise<MlflowFileList> {
    return this.artifacts.list(query);
  }

  @Get(proxy('artifacts/*path'))
  downloadMlflowArtifact(
    @Param('path') artifactPath: string | string[],
    @Req() request: IncomingMessage,
    @Res() response: ServerResponse,
  ): Promise<void> {
    return this.artifacts.download(joinKey(artifactPath), request, response);
  }

  @Delete(proxy('artifacts/*path'))
  deleteMlflowArtifact(@Param('path') artifactPath: string | string[]): Promise<Record<string, never>> {
    return this.artifacts.delete(joinKey(artifactPath));
  }

  @Post(proxy('mpu/create', 'mpu/create/*path'))
  @HttpCode(HttpStatus.OK)
  createMultipartUpload(
    @Param('path') artifactPath: string | string[] | undefined,
    @MlflowRequest() fields: MlflowFields,
    @Req() request: IncomingMessage,
  ): Promise<CreateMultipartUploadResponse> {
    return this.multipart.create(joinKey(artifactPath ?? ''), fields, request);
  }

  /**
   * A part of a multipart upload, at the URL `mpu/create` answered. Public (see isPublicRequest): MLflow's client
   * sends a part with only the credential's headers (as to a presigned S3 URL), never its own
   * Authorization, so the credential's signature is what admits it, with or without API keys.
   */
  @Put([`${PART_UPLOAD_ROOT.slice(1)}/:uploadId/:partNumber`])
  @HttpCode(HttpStatus.OK)
  async uploadMultipartPart(
    @Param('uploadId') uploadId: string,
    @Param('partNumber') partNumber: string,
    @Req() request: IncomingMessage,
    @Res({ passthrough: true }) response: ServerResponse,
  ): Promise<Record<string, never>> {
    const { etag } = await this.multipart.uploadPart(uploadId, partNumber, request);
    response.setHeader('ETag', etag);
    return {};
  }

  @Post(proxy('mpu/complete', 'mpu/complete/*path'))
  @HttpCode(HttpStatus.OK)
  completeMultipartUpload(
    @Param('path') artifactPath: string | string[] | undefined,
    @MlflowRequest() fields: MlflowFields,
  ): Promise<Record<string, never>> {
    return this.multipart.complete(joinKey(artifactPath ?? ''), fields);
  }

  @Post(proxy('mpu/abort', 'mpu/abort/*path'))
  @HttpCode(HttpStatus.OK)
  abortMultipartUpload(
    @Param('path') artifactPath: string | string[] | undefined,
    @MlflowRequest() fields: MlflowFields,
  ): Promise<Record<string, never>> {
    return this.multipart.abort(joinKey(artifactPath ?? ''), fields);
  }

  @Get(['api/2.0/mlflow/artifacts/list', 'ajax-api/2.0/mlflow/artifacts/list'])
  listMlflowRunArtifacts(@Query() query: MlflowQuery): Promise<MlflowRunArtifactList> {
    return this.artifacts.listRunArtifacts(query);
  }

  @Get(['api/2.0/mlflow/logged-models/:modelId/artifacts/directories', 'ajax-api/2.0/mlflow/logged-models/:modelId/artifacts/directories'])
  listMlflowLoggedModelArtifacts(@Param('modelId') modelId: string, @Query() query: MlflowQuery): Promise<MlflowRunArtifactList> {
    return this.artifacts.listModelArtifacts(modelId, query);
  }

  @Get(['api/2.0/mlflow/logged-models/:modelId/artifacts/files', 'ajax-api/2.0/mlflow/logged-models/:modelId/artifacts/files'])
  getMlflowLoggedModelArtifact(
    @Param('modelId') modelId: string,
    @Query() query: MlflowQuery,
    @Req() request: IncomingMessage,
    @Res() response: ServerResponse,
  ): Promise<void> {
    return this.artifacts.getModelArtifact(modelId, query, request, response);
  }

  @Get('get-artifact')
  getMlflowArtifact(@Query() query: MlflowQuery, @Req() request: IncomingMessage, @Res() response: ServerResponse): Promise<void> {
    return this.artifacts.getArtifact(query, request, response);
  }
}
