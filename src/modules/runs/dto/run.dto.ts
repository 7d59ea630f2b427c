import { ApiProperty } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { NextPageToken, OptionalText, RequiredText } from '../../../common/validation.js';
import { RUN_STATUSES } from '../entities/run.entity.js';
import type { RunStatus } from '../entities/run.entity.js';

export const MAX_RUN_NAME_LENGTH = 250;
export const MAX_STATUS_REASON_LENGTH = 2000;
export const COMPLETION_STATUSES = ['success', 'failed', 'cancelled'] as const;
export type CompletionStatus = (typeof COMPLETION_STATUSES)[number];

export class CreateRunDto {
  @RequiredText(128, { description: 'id of the experiment the run belongs to', example: 'exp-abc123' })
  experiment_id!: string;

  @OptionalText(MAX_RUN_NAME_LENGTH, { description: 'display name; a readable one is generated when absent', example: 'baseline-lr-1e-3' })
  name?: string;
}

export class CompleteRunDto {
  @ApiProperty({ enum: COMPLETION_STATUSES, example: 'success' })
  @IsIn(COMPLETION_STATUSES, { message: `must be one of ${COMPLETION_STATUSES.join(', ')}` })
  status!: CompletionStatus;

  @OptionalText(MAX_STATUS_REASON_LENGTH, { description: 'why the run ended this way, shown on the run', example: 'CUDA out of memory' })
  reason?: string;
}

export class RunResponseDto {
  @ApiProperty({ example: 'run-9b1d3c5e7f6a4b2c8d0e1f2a3b4c5d6e' })
  id!: string;

  @ApiProperty({ example: 'exp-abc123' })
  experiment_id!: string;

  @ApiProperty({ example: 'orderly-quail-568' })
  name!: string;

  @ApiProperty({ enum: RUN_STATUSES, example: 'pending' })
  status!: RunStatus;

  // `type` is spelled out on nullable fields: the design type of `string | null` is Object.
  @ApiProperty({ type: String, nullable: true, description: 'why the run failed or was cancelled, when known', example: null })
  status_reason!: string | null;

  @ApiProperty({ enum: ['active', 'deleted'], example: 'active' })
  lifecycle_stage!: 'active' | 'deleted';

  @ApiProperty({ format: 'date-time', example: '2024-12-05T10:31:00.000Z' })
  created_at!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: null })
  started_at!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: null })
  ended_at!: string | null;

  @ApiProperty({ format: 'date-time', example: '2024-12-05T10:31:00.000Z' })
  updated_at!: string;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    example: null,
    description: 'last write or heartbeat; a running run silent for longer than --run-timeout-secs is marked failed',
  })
  last_activity_at!: string | null;
}

export class RunListResponseDto {
  @ApiProperty({ type: [RunResponseDto] })
  runs!: RunResponseDto[];

  @NextPageToken()
  next_page_token?: string;
}
