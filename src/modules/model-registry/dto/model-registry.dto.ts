import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';
import { toRfc3339 } from '../../../common/time.js';
import { Integer, NextPageToken, Optional, OptionalText, PageQueryDto, RequiredText } from '../../../common/validation.js';
import { MODEL_STAGES } from '../entities/model-version.entity.js';
import {
  MAX_DESCRIPTION_LENGTH,
  MAX_MODEL_NAME_LENGTH,
  type ModelVersionView,
  type RegisteredModelView,
} from '../model-registry.service.js';

const TAGS_SCHEMA = {
  type: 'object',
  additionalProperties: { type: 'string' },
  example: { team: 'vision' },
  description: 'tags, key to value',
} as const;

export class ModelVersionResponseDto {
  @ApiProperty({ example: 'resnet-classifier', description: 'the registered model' })
  name!: string;

  @ApiProperty({ type: Integer, minimum: 1, example: 3, description: '1, 2, 3… per model, never reused' })
  version!: number;

  @ApiProperty({ example: 'runs:/run-3f2a9c1e7b4d4e0f9a8b7c6d5e4f3a2b/model', description: 'where the model files are, as registered' })
  source!: string;

  @ApiProperty({ type: String, nullable: true, example: 'run-3f2a9c1e7b4d4e0f9a8b7c6d5e4f3a2b', description: 'the run that made it' })
  run_id!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'm-0f1e2d3c4b5a69788796a5b4c3d2e1f0',
    description: "the logged model (MLflow's model_id) the version was made from",
  })
  model_id!: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'accuracy 0.93 on the holdout set' })
  description!: string | null;

  @ApiProperty({ enum: MODEL_STAGES, example: 'Production' })
  stage!: string;

  @ApiProperty({ example: 'READY' })
  status!: string;

  @ApiProperty(TAGS_SCHEMA)
  tags!: Record<string, string>;

  @ApiProperty({ type: [String], example: ['champion'], description: "the model's aliases that point at this version" })
  aliases!: string[];

  @ApiProperty({ format: 'date-time', example: '2024-12-05T10:30:00.000Z' })
  created_at!: string;

  @ApiProperty({ format: 'date-time', example: '2024-12-05T10:30:00.000Z' })
  updated_at!: string;
}

export class ModelAliasDto {
  @ApiProperty({ example: 'champion' })
  alias!: string;

  @ApiProperty({ type: Integer, minimum: 1, example: 3 })
  version!: number;
}

export class RegisteredModelResponseDto {
  @ApiProperty({ example: 'resnet-classifier', description: 'unique name of the registered model' })
  name!: string;

  @ApiProperty({ type: String, nullable: true, example: 'image classifier for the product catalogue' })
  description!: string | null;

  @ApiProperty(TAGS_SCHEMA)
  tags!: Record<string, string>;

  @ApiProperty({ type: [ModelAliasDto] })
  aliases!: ModelAliasDto[];

  @ApiProperty({ type: [ModelVersionResponseDto], description: 'the newest version in each stage that has one' })
  latest_versions!: ModelVersionResponseDto[];

  @ApiProperty({ format: 'date-time', example: '2024-12-05T10:30:00.000Z' })
  created_at!: string;

  @ApiProperty({ format: 'date-time', example: '2024-12-05T10:30:00.000Z' })
  updated_at!: string;
}

export class RegisteredModelListResponseDto {
  @ApiProperty({ type: [RegisteredModelResponseDto] })
  models!: RegisteredModelResponseDto[];

  @NextPageToken()
  next_page_token?: string;
}

export class ModelVersionListResponseDto {
  @ApiProperty({ type: [ModelVersionResponseDto], description: 'newest first' })
  versions!: ModelVersionResponseDto[];
}

export class ListModelsQueryDto extends PageQueryDto {
  @OptionalText(MAX_MODEL_NAME_LENGTH, {
    description: "only models whose name matches this LIKE pattern, ignoring case ('%' any run of characters, '_' one)",
    example: 'resnet%',
  })
  name_like?: string;
}

export class CreateRegisteredModelDto {
  @RequiredText(MAX_MODEL_NAME_LENGTH, { description: 'unique name of the registered model', example: 'resnet-classifier' })
  name!: string;

  @ApiPropertyOptional({ maxLength: MAX_DESCRIPTION_LENGTH, example: 'image classifier for the product catalogue' })
  @Optional()
  @IsString({ message: 'must be a string' })
  @MaxLength(MAX_DESCRIPTION_LENGTH, { message: `must be at most ${MAX_DESCRIPTION_LENGTH} characters` })
  description?: string;
}

export class CreateModelVersionDto {
  @RequiredText(MAX_DESCRIPTION_LENGTH, {
    description: 'where the model files are: runs:/<run id>/<path>, an artifact URI, or models:/<name>/<version>',
    example: 'runs:/run-3f2a9c1e7b4d4e0f9a8b7c6d5e4f3a2b/model',
  })
  source!: string;

  @OptionalText(256, { description: 'the run that made the model', example: 'run-3f2a9c1e7b4d4e0f9a8b7c6d5e4f3a2b' })
  run_id?: string;

  @OptionalText(256, {
    description: "the logged model (MLflow's model_id) the version is made from; the source must be in it",
    example: 'm-0f1e2d3c4b5a69788796a5b4c3d2e1f0',
  })
  model_id?: string;

  @ApiPropertyOptional({ maxLength: MAX_DESCRIPTION_LENGTH, example: 'accuracy 0.93 on the holdout set' })
  @Optional()
  @IsString({ message: 'must be a string' })
  @MaxLength(MAX_DESCRIPTION_LENGTH, { message: `must be at most ${MAX_DESCRIPTION_LENGTH} characters` })
  description?: string;
}

function tagMap(tags: readonly { key: string; value: string }[]): Record<string, string> {
  return Object.fromEntries(tags.map((tag) => [tag.key, tag.value]));
}

export function modelVersionResponse(version: ModelVersionView): ModelVersionResponseDto {
  return {
    name: version.name,
    version: version.version,
    source: version.source,
    run_id: version.runId,
    model_id: version.modelId,
    description: version.description,
    stage: version.stage,
    status: version.status,
    tags: tagMap(version.tags),
    aliases: version.aliases,
    created_at: toRfc3339(version.createdAt),
    updated_at: toRfc3339(version.updatedAt),
  };
}

export function registeredModelResponse(model: RegisteredModelView): RegisteredModelResponseDto {
  return {
    name: model.name,
    description: model.description,
    tags: tagMap(model.tags),
    aliases: model.aliases,
    latest_versions: model.latestVersions.map(modelVersionResponse),
    created_at: toRfc3339(model.createdAt),
    updated_at: toRfc3339(model.updatedAt),
  };
}
