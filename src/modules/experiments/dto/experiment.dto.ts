import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsObject } from 'class-validator';
import { NextPageToken, Optional, OptionalText, PageQueryDto, RequiredText } from '../../../common/validation.js';

export const MAX_EXPERIMENT_NAME_LENGTH = 500;

export class CreateExperimentDto {
  @RequiredText(MAX_EXPERIMENT_NAME_LENGTH, { description: 'unique name of the experiment', example: 'gpt2-finetune' })
  name!: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'free-form JSON object describing the experiment',
    example: { model: 'gpt2', dataset: 'wikitext' },
  })
  @Optional()
  @IsObject({ message: 'must be a JSON object' })
  config?: Record<string, unknown>;
}

export class ExperimentResponseDto {
  @ApiProperty({ example: 'exp-3f2a9c1e7b4d4e0f9a8b7c6d5e4f3a2b', description: 'unguessable id, shared with the MLflow API' })
  id!: string;

  @ApiProperty({ example: 'gpt2-finetune' })
  name!: string;

  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true, example: { model: 'gpt2', dataset: 'wikitext' } })
  config!: Record<string, unknown> | null;

  @ApiProperty({ enum: ['active', 'deleted'], example: 'active' })
  lifecycle_stage!: 'active' | 'deleted';

  @ApiProperty({ format: 'date-time', example: '2024-12-05T10:30:00.000Z' })
  created_at!: string;

  @ApiProperty({ format: 'date-time', example: '2024-12-05T10:30:00.000Z' })
  updated_at!: string;

  @ApiProperty({ type: 'integer', minimum: 0, example: 12, description: 'number of its runs that are not deleted' })
  run_count!: number;

  @ApiProperty({
    type: 'string',
    format: 'date-time',
    nullable: true,
    example: '2024-12-05T11:02:17.000Z',
    description:
      'the latest time one of those runs was created, started, ended or logged to (recorded every few seconds); null with no runs',
  })
  last_activity_at!: string | null;
}

export class ExperimentListResponseDto {
  @ApiProperty({ type: [ExperimentResponseDto] })
  experiments!: ExperimentResponseDto[];

  @NextPageToken()
  next_page_token?: string;
}

export class ListExperimentsQueryDto extends PageQueryDto {
  @OptionalText(MAX_EXPERIMENT_NAME_LENGTH, { description: 'only the experiment with exactly this name', example: 'gpt2-finetune' })
  name?: string;
}
