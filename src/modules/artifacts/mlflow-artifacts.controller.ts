import { Controller, Delete, Get, HttpCode, HttpStatus, Param, Post, Put, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { joinKey } from './artifacts.controller.js';
import { MlflowArtifactsService } from './mlflow-artifacts.service.js';
import type { MlflowFileList, MlflowQuery, MlflowRunArtifactList } from './mlflow-artifacts.service.js';

const PROXY_ROOTS = ['api/2.0/mlflow-artifacts', 'ajax-api/2.0/mlflow-artifacts'];
const proxy = (...suffixes: string[]): string[] => PROXY_ROOTS.flatMap((root) => suffixes.map((suffix) => `${root}/${suffix}`));

/**
 * MLflow's artifact proxy (`mlflow_artifacts.proto`, what `mlflow-artifacts:/` URIs resolve to)
 * and the tracking API's artifact routes, on the same store as `/api/v1`. Errors use MLflow's
 * envelope (the global filter picks it by URL). Not part of the OpenAPI document.
 */
@ApiExcludeController()
@Controller()
export class MlflowArtifactsController {
  constructor(private readonly artifacts: MlflowArtifactsService) {}

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

  @Post(proxy('mpu/create', 'mpu/create/*path', 'mpu/complete', 'mpu/complete/*path', 'mpu/abort', 'mpu/abort/*path'))
  mlflowMultipartUpload(): never {
    return this.artifacts.multipartUnsupported();
  }

  @Get(['api/2.0/mlflow/artifacts/list', 'ajax-api/2.0/mlflow/artifacts/list'])
  listMlflowRunArtifacts(@Query() query: MlflowQuery): Promise<MlflowRunArtifactList> {
    return this.artifacts.listRunArtifacts(query);
  }

  @Get('get-artifact')
  getMlflowArtifact(@Query() query: MlflowQuery, @Req() request: IncomingMessage, @Res() response: ServerResponse): Promise<void> {
    return this.artifacts.getArtifact(query, request, response);
  }
}
