import { Injectable } from '@nestjs/common';
import {
  CreateModelVersionDto,
  CreateRegisteredModelDto,
  ListModelsQueryDto,
  ModelVersionListResponseDto,
  ModelVersionResponseDto,
  modelVersionResponse,
  RegisteredModelListResponseDto,
  RegisteredModelResponseDto,
  registeredModelResponse,
} from './dto/model-registry.dto.js';
import { ModelRegistryService } from './model-registry.service.js';

/** /api/v1's registry: ModelRegistryService's answers in the native envelope. No rule lives here. */
@Injectable()
export class ModelRegistryViews {
  constructor(private readonly registry: ModelRegistryService) {}

  async createModel(dto: CreateRegisteredModelDto): Promise<RegisteredModelResponseDto> {
    return registeredModelResponse(await this.registry.createModel(dto.name, dto.description));
  }

  async listModels(query: ListModelsQueryDto): Promise<RegisteredModelListResponseDto> {
    const page = await this.registry.searchModels({
      nameLike: query.name_like,
      maxResults: query.max_results,
      pageToken: query.page_token,
    });
    return { models: page.items.map(registeredModelResponse), ...(page.nextPageToken ? { next_page_token: page.nextPageToken } : {}) };
  }

  async getModel(name: string): Promise<RegisteredModelResponseDto> {
    return registeredModelResponse(await this.registry.getModel(name));
  }

  async listVersions(name: string): Promise<ModelVersionListResponseDto> {
    return { versions: (await this.registry.versionsOf(name)).map(modelVersionResponse) };
  }

  async createVersion(name: string, dto: CreateModelVersionDto): Promise<ModelVersionResponseDto> {
    return modelVersionResponse(
      await this.registry.createVersion({
        name,
        source: dto.source,
        runId: dto.run_id,
        modelId: dto.model_id,
        description: dto.description,
      }),
    );
  }

  async getVersion(name: string, version: string): Promise<ModelVersionResponseDto> {
    return modelVersionResponse(await this.registry.getVersion(name, version));
  }
}
