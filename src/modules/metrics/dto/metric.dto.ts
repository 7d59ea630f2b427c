import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString } from 'class-validator';
import { Integer, KEY_SCHEMA, NextPageToken, Optional, OptionalIntQuery, OptionalPageToken } from '../../../common/validation.js';

/** A point to log. Validated by hand (see metric-input.ts): this class documents the shape. */
export class LogMetricDto {
  @ApiProperty({
    ...KEY_SCHEMA,
    description: 'metric name: letters, digits, spaces and _ - . / : (≤ 250 characters), a relative path without . or .. segments',
    example: 'loss',
  })
  key!: string;

  @ApiProperty({ type: Integer, minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'training step (integer ≥ 0)', example: 100 })
  step!: number;

  @ApiProperty({ type: Number, description: 'a finite number', example: 0.5 })
  value!: number;

  @ApiPropertyOptional({
    oneOf: [
      { type: 'string', format: 'date-time' },
      { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
    ],
    description: 'when it was measured: RFC 3339, or milliseconds since the epoch; default: now',
    example: '2024-12-05T10:30:00.000Z',
  })
  timestamp?: string | number;
}

export class LogMetricBatchDto {
  @ApiProperty({
    type: [LogMetricDto],
    description: 'points to store atomically: one invalid point rejects the whole batch, naming its index',
  })
  metrics!: LogMetricDto[];
}

export class MetricPointDto {
  @ApiProperty({ example: 'loss' })
  key!: string;

  @ApiProperty({ type: Integer, example: 100 })
  step!: number;

  @ApiProperty({
    oneOf: [{ type: 'number' }, { type: 'string', enum: ['NaN', 'Infinity', '-Infinity'] }],
    description: 'a number; non-finite values logged through the MLflow API appear as "NaN", "Infinity" or "-Infinity"',
    example: 0.5,
  })
  value!: number | string;

  @ApiProperty({ format: 'date-time', example: '2024-12-05T10:30:00.000Z' })
  timestamp!: string;
}

export class MetricBatchResponseDto {
  @ApiProperty({ type: Integer, description: 'points in the batch, all stored', example: 2 })
  accepted!: number;
}

export class MetricListResponseDto {
  @ApiProperty({ type: [MetricPointDto] })
  metrics!: MetricPointDto[];

  @NextPageToken()
  next_page_token?: string;
}

export const DEFAULT_HISTORY_PAGE = 10_000;
export const MAX_HISTORY_PAGE = 100_000;

export class MetricQueryDto {
  @ApiPropertyOptional({ description: 'the metric whose history to read; without it, the latest point of every key' })
  @Optional()
  @IsString({ message: 'must be a string' })
  key?: string;

  @OptionalIntQuery(0, Number.MAX_SAFE_INTEGER, { description: 'first step to include (with key)' })
  start_step?: number;

  @OptionalIntQuery(0, Number.MAX_SAFE_INTEGER, { description: 'last step to include (with key)' })
  end_step?: number;

  @OptionalIntQuery(1, MAX_HISTORY_PAGE, { description: 'most points in one page (with key)', default: DEFAULT_HISTORY_PAGE })
  max_results?: number;

  @OptionalPageToken()
  page_token?: string;
}
