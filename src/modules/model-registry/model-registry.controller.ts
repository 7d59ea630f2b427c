import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiError, ApiErrorResponses } from '../../common/decorators/api-error-responses.decorator.js';
import {
  CreateModelVersionDto,
  CreateRegisteredModelDto,
  ListModelsQueryDto,
  ModelVersionListResponseDto,
  ModelVersionResponseDto,
  RegisteredModelListResponseDto,
  RegisteredModelResponseDto,
} from './dto/model-registry.dto.js';
import { ModelRegistryViews } from './model-registry-views.service.js';

/** The model registry in the native API: the same models and versions MLflow clients register. */
@ApiTags('Models')
@ApiErrorResponses()
@Controller('api/v1/models')
export class ModelRegistryController {
  constructor(private readonly registry: ModelRegistryViews) {}

  @Post()
  @HttpCode(HttpStatus.CREATED)
  @ApiOperation({ summary: 'Register a model' })
  @ApiCreatedResponse({
    type: RegisteredModelResponseDto,
    // What a client does next with the model: OpenAPI links, which stateful clients (and schemathesis) follow.
    links: {
      getModel: { operationId: 'getModel', parameters: { name: '$response.body#/name' } },
      createModelVersion: { operationId: 'createModelVersion', parameters: { name: '$response.body#/name' } },
      listModelVersions: { operationId: 'listModelVersions', parameters: { name: '$response.body#/name' } },
    },
  })
  @ApiError(400, 'INVALID_REQUEST: missing or invalid name or description, unknown field')
  @ApiError(409, 'CONFLICT: a registered model has this name')
  createModel(@Body() dto: CreateRegisteredModelDto): Promise<RegisteredModelResponseDto> {
    return this.registry.createModel(dto);
  }

  @Get()
  @ApiOperation({ summary: 'List registered models by name' })
  @ApiOkResponse({ type: RegisteredModelListResponseDto })
  @ApiError(400, 'INVALID_REQUEST: bad max_results, page_token or name_like')
  listModels(@Query() query: ListModelsQueryDto): Promise<RegisteredModelListResponseDto> {
    return this.registry.listModels(query);
  }

  @Get(':name')
  @ApiOperation({ summary: 'Get one registered model' })
  @ApiOkResponse({ type: RegisteredModelResponseDto })
  @ApiError(404, 'NOT_FOUND: no registered model with this name')
  getModel(@Param('name') name: string): Promise<RegisteredModelResponseDto> {
    return this.registry.getModel(name);
  }

  @Get(':name/versions')
  @ApiOperation({ summary: "List a registered model's versions, newest first" })
  @ApiOkResponse({ type: ModelVersionListResponseDto })
  @ApiError(404, 'NOT_FOUND: no registered model with this name')
  listModelVersions(@Param('name') name: string): Promise<ModelVersionListResponseDto> {
    return this.registry.listVersions(name);
  }

  @Post(':name/versions')
  @HttpCode(HttpStatus.CREATED)
  @ApiOperation({ summary: 'Register a new version of a model (numbered 1, 2, 3…)' })
  @ApiCreatedResponse({
    type: ModelVersionResponseDto,
    links: {
      getModelVersion: {
        operationId: 'getModelVersion',
        parameters: { name: '$response.body#/name', version: '$response.body#/version' },
      },
    },
  })
  @ApiError(400, 'INVALID_REQUEST: missing source, invalid run_id, model_id or description, unknown field')
  @ApiError(404, 'NOT_FOUND: no registered model with this name, or no logged model with this model_id')
  createModelVersion(@Param('name') name: string, @Body() dto: CreateModelVersionDto): Promise<ModelVersionResponseDto> {
    return this.registry.createVersion(name, dto);
  }

  @Get(':name/versions/:version')
  @ApiOperation({ summary: 'Get one version of a registered model' })
  @ApiOkResponse({ type: ModelVersionResponseDto })
  @ApiError(400, 'INVALID_REQUEST: version is not a positive integer')
  @ApiError(404, 'NOT_FOUND: no such model or version')
  getModelVersion(@Param('name') name: string, @Param('version') version: string): Promise<ModelVersionResponseDto> {
    return this.registry.getVersion(name, version);
  }
}
