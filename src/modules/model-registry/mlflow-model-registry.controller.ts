import { Controller, Delete, Get, HttpCode, HttpStatus, Patch, Post } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { MlflowRequest } from '../mlflow/mlflow-request.js';
import type { MlflowFields } from '../mlflow/mlflow-request.js';
import { MlflowModelRegistryService } from './mlflow-model-registry.service.js';

/** MLflow's model registry RPCs (model_registry.proto), under /api/2.0/mlflow and the UI's /ajax-api twin. */
@ApiExcludeController()
@Controller(['api/2.0/mlflow', 'ajax-api/2.0/mlflow'])
export class MlflowModelRegistryController {
  constructor(private readonly registry: MlflowModelRegistryService) {}

  @Post('registered-models/create')
  @HttpCode(HttpStatus.OK)
  mlflowCreateRegisteredModel(@MlflowRequest() fields: MlflowFields): ReturnType<MlflowModelRegistryService['createRegisteredModel']> {
    return this.registry.createRegisteredModel(fields);
  }

  @Get('registered-models/get')
  mlflowGetRegisteredModel(@MlflowRequest() fields: MlflowFields): ReturnType<MlflowModelRegistryService['getRegisteredModel']> {
    return this.registry.getRegisteredModel(fields);
  }

  @Post('registered-models/rename')
  @HttpCode(HttpStatus.OK)
  mlflowRenameRegisteredModel(@MlflowRequest() fields: MlflowFields): ReturnType<MlflowModelRegistryService['renameRegisteredModel']> {
    return this.registry.renameRegisteredModel(fields);
  }

  @Patch('registered-models/update')
  mlflowUpdateRegisteredModel(@MlflowRequest() fields: MlflowFields): ReturnType<MlflowModelRegistryService['updateRegisteredModel']> {
    return this.registry.updateRegisteredModel(fields);
  }

  @Delete('registered-models/delete')
  mlflowDeleteRegisteredModel(@MlflowRequest() fields: MlflowFields): ReturnType<MlflowModelRegistryService['deleteRegisteredModel']> {
    return this.registry.deleteRegisteredModel(fields);
  }

  @Get('registered-models/search')
  mlflowSearchRegisteredModels(@MlflowRequest() fields: MlflowFields): ReturnType<MlflowModelRegistryService['searchRegisteredModels']> {
    return this.registry.searchRegisteredModels(fields);
  }

  @Post('registered-models/get-latest-versions')
  @HttpCode(HttpStatus.OK)
  mlflowGetLatestVersions(@MlflowRequest() fields: MlflowFields): ReturnType<MlflowModelRegistryService['getLatestVersions']> {
    return this.registry.getLatestVersions(fields);
  }

  @Get('registered-models/get-latest-versions')
  mlflowGetLatestVersionsByGet(@MlflowRequest() fields: MlflowFields): ReturnType<MlflowModelRegistryService['getLatestVersions']> {
    return this.registry.getLatestVersions(fields);
  }

  @Post('registered-models/set-tag')
  @HttpCode(HttpStatus.OK)
  mlflowSetRegisteredModelTag(@MlflowRequest() fields: MlflowFields): ReturnType<MlflowModelRegistryService['setRegisteredModelTag']> {
    return this.registry.setRegisteredModelTag(fields);
  }

  @Delete('registered-models/delete-tag')
  mlflowDeleteRegisteredModelTag(
    @MlflowRequest() fields: MlflowFields,
  ): ReturnType<MlflowModelRegistryService['deleteRegisteredModelTag']> {
    return this.registry.deleteRegisteredModelTag(fields);
  }

  @Post('registered-models/alias')
  @HttpCode(HttpStatus.OK)
  mlflowSetAlias(@MlflowRequest() fields: MlflowFields): ReturnType<MlflowModelRegistryService['setAlias']> {
    return this.registry.setAlias(fields);
  }

  @Delete('registered-models/alias')
  mlflowDeleteAlias(@MlflowRequest() fields: MlflowFields): ReturnType<MlflowModelRegistryService['deleteAlias']> {
    return this.registry.deleteAlias(fields);
  }

  @Get('registered-models/alias')
  mlflowGetByAlias(@MlflowRequest() fields: MlflowFields): ReturnType<MlflowModelRegistryService['getByAlias']> {
    return this.registry.getByAlias(fields);
  }

  @Post('model-versions/create')
  @HttpCode(HttpStatus.OK)
  mlflowCreateModelVersion(@MlflowRequest() fields: MlflowFields): ReturnType<MlflowModelRegistryService['createModelVersion']> {
    return this.registry.createModelVersion(fields);
  }

  @Get('model-versions/get')
  mlflowGetModelVersion(@MlflowRequest() fields: MlflowFields): ReturnType<MlflowModelRegistryService['getModelVersion']> {
    return this.registry.getModelVersion(fields);
  }

  @Patch('model-versions/update')
  mlflowUpdateModelVersion(@MlflowRequest() fields: MlflowFields): ReturnType<MlflowModelRegistryService['updateModelVersion']> {
    return this.registry.updateModelVersion(fields);
  }

  @Delete('model-versions/delete')
  mlflowDeleteModelVersion(@MlflowRequest() fields: MlflowFields): ReturnType<MlflowModelRegistryService['deleteModelVersion']> {
    return this.registry.deleteModelVersion(fields);
  }

  @Get('model-versions/search')
  mlflowSearchModelVersions(@MlflowRequest() fields: MlflowFields): ReturnType<MlflowModelRegistryService['searchModelVersions']> {
    return this.registry.searchModelVersions(fields);
  }

  @Post('model-versions/transition-stage')
  @HttpCode(HttpStatus.OK)
  mlflowTransitionStage(@MlflowRequest() fields: MlflowFields): ReturnType<MlflowModelRegistryService['transitionStage']> {
    return this.registry.transitionStage(fields);
  }

  @Post('model-versions/set-tag')
  @HttpCode(HttpStatus.OK)
  mlflowSetModelVersionTag(@MlflowRequest() fields: MlflowFields): ReturnType<MlflowModelRegistryService['setModelVersionTag']> {
    return this.registry.setModelVersionTag(fields);
  }

  @Delete('model-versions/delete-tag')
  mlflowDeleteModelVersionTag(@MlflowRequest() fields: MlflowFields): ReturnType<MlflowModelRegistryService['deleteModelVersionTag']> {
    return this.registry.deleteModelVersionTag(fields);
  }

  @Get('model-versions/get-download-uri')
  mlflowGetDownloadUri(@MlflowRequest() fields: MlflowFields): ReturnType<MlflowModelRegistryService['getDownloadUri']> {
    return this.registry.getDownloadUri(fields);
  }
}
