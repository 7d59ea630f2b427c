import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Integer, OptionalIntQuery } from '../../../common/validation.js';

export const MAX_SERIES_POINTS = 10_000;

export class SeriesQueryDto {
  @OptionalIntQuery(1, MAX_SERIES_POINTS, { description: 'most buckets to return', default: 1000 })
  points?: number;

  @OptionalIntQuery(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, {
    description: 'first step of the range (default: the first logged)',
  })
  start_step?: number;

  @OptionalIntQuery(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, { description: 'last step of the range (default: the last logged)' })
  end_step?: number;
}

const VALUE_SCHEMA = { oneOf: [{ type: 'number' }, { type: 'string', enum: ['NaN', 'Infinity', '-Infinity'] }] };

export class SeriesBucketDto {
  @ApiProperty({ type: Integer, example: 0 })
  first_step!: number;

  @ApiProperty({ type: Integer, example: 999 })
  last_step!: number;

  @ApiProperty({ type: Integer, description: 'points in the bucket', example: 1000 })
  count!: number;

  @ApiProperty({ ...VALUE_SCHEMA, nullable: true, description: 'smallest value (NaN ignored; null if every point was NaN)', example: 0.12 })
  min!: number | string | null;

  @ApiProperty({ ...VALUE_SCHEMA, nullable: true, description: 'largest value (NaN ignored; null if every point was NaN)', example: 2.31 })
  max!: number | string | null;

  @ApiProperty({ ...VALUE_SCHEMA, description: 'value of the last point (greatest step, then timestamp)', example: 0.13 })
  last!: number | string;

  @ApiProperty({ format: 'date-time', example: '2024-12-05T10:30:00.000Z' })
  last_timestamp!: string;
}

export class SeriesResponseDto {
  @ApiProperty({ example: 'loss' })
  key!: string;

  @ApiProperty({ type: Integer, nullable: true, example: 0 })
  start_step!: number | null;

  @ApiProperty({ type: Integer, nullable: true, example: 999_999 })
  end_step!: number | null;

  @ApiPropertyOptional({ type: Integer, nullable: true, description: 'steps per bucket', example: 1000 })
  bucket_width!: number | null;

  @ApiProperty({
    type: [SeriesBucketDto],
    description:
      'buckets that hold points, in step order. Each point is in exactly one bucket; bucket edges may be off by up to one rollup bucket of the chosen resolution.',
  })
  buckets!: SeriesBucketDto[];
}
