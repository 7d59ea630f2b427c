import { Controller, Delete, Get, HttpCode, HttpStatus, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { MlflowRequest } from '../mlflow/mlflow-request.js';
import type { MlflowFields } from '../mlflow/mlflow-request.js';
import { MlflowLoggedModel, MlflowLoggedModelsService } from './mlflow-logged-models.service.js';

/** MLflow 3's logged-model RPCs and `runs/outputs`, under /api/2.0/mlflow and the UI's /ajax-api twin. */
@ApiExcludeController()
@Controller(['api/2.0/mlflow', 'ajax-api/2.0/mlflow'])
export class MlflowLoggedModelsController {
  constructor(private readonly models: MlflowLoggedModelsService) {}

  @Post('logged-models')
  @HttpCode(HttpStatus.OK)
  mlflowCreateLoggedModel(@MlflowRequest() fields: MlflowFields): Promise<{ model: MlflowLoggedModel }> {
    return this.models.create(fields);
  }

  @Post('logged-models/search')
  @HttpCode(HttpStatus.OK)
  mlflowSearchLoggedModels(@MlflowRequest() fields: MlflowFields): Promise<{ models?: MlflowLoggedModel[]; next_page_token?: string }> {
    return this.models.search(fields);
  }

  @Get('logged-models/:modelId')
  mlflowGetLoggedModel(
    @Param('modelId') modelId: string,
    @Query('allow_deleted') allowDeleted?: string,
  ): Promise<{ model: MlflowLoggedModel }> {
    return this.models.get(modelId, allowDeleted);
  }

  @Patch('logged-models/:modelId')
  mlflowFinalizeLoggedModel(
    @Param('modelId') modelId: string,
    @MlflowRequest() fields: MlflowFields,
  ): Promise<{ model: MlflowLoggedModel }> {
    return this.models.finalize(modelId, fields);
  }

  @Delete('logged-models/:modelId')
  mlflowDeleteLoggedModel(@Param('modelId') modelId: string): Promise<Record<string, never>> {
    return this.models.delete(modelId);
  }

  @Patch('logged-models/:modelId/tags')
  mlflowSetLoggedModelTags(@Param('modelId') modelId: string, @MlflowRequest() fields: MlflowFields): Promise<Record<string, never>> {
    return this.models.setTags(modelId, fields);
  }

  @Delete('logged-models/:modelId/tags/*tagKey')
  mlflowDeleteLoggedModelTag(
    @Param('modelId') modelId: string,
    @Param('tagKey') tagKey: string | string[],
  ): Promise<Record<string, never>> {
    return this.models.deleteTag(modelId, Array.isArray(tagKey) ? tagKey.join('/') : tagKey);
  }

  @Post('logged-models/:modelId/params')
  @HttpCode(HttpStatus.OK)
  mlflowLogLoggedModelParams(@Param('modelId') modelId: string, @MlflowRequest() fields: MlflowFields): Promise<Record<string, never>> {
    return this.models.logParams(modelId, fields);
  }

  @Post('runs/outputs')
  @HttpCode(HttpStatus.OK)
  mlflowLogOutputs(@MlflowRequest() fields: MlflowFields): Promise<Record<string, never>> {
    return this.models.logOutputs(fields);
  }
}
