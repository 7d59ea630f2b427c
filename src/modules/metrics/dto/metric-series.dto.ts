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
  @ApiProperty({ type: Integer, description: 'first step the bucket covers (its lower edge, inclusive)', example: 0 })
  start_step!: number;

  @ApiProperty({ type: Integer, description: 'last step the bucket covers (its upper edge, inclusive)', example: 1023 })
  end_step!: number;

  @ApiProperty({ type: Integer, description: 'first step with a point in the bucket', example: 0 })
  first_step!: number;

  @ApiProperty({ type: Integer, description: 'last step with a point in the bucket', example: 1022 })
  last_step!: number;

  @ApiProperty({ type: Integer, description: 'points whose step lies in [start_step, end_step]', example: 1000 })
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

  @ApiPropertyOptional({
    type: Integer,
    nullable: true,
    description: 'nominal steps per bucket: ceil((end_step − start_step + 1) / points)',
    example: 1000,
  })
  bucket_width!: number | null;

  @ApiPropertyOptional({
    type: Integer,
    nullable: true,
    description:
      'the width in steps (1, or a power of 16) of the rollups the chart is read from: every inner bucket edge is the ' +
      'multiple of it nearest to start_step + i × bucket_width (ties go up), so that each bucket is made of whole rollups ' +
      'and exact; a bucket spans bucket_width steps give or take this many, exactly bucket_width when this is 1 (the ' +
      'last one can be shorter)',
    example: 256,
  })
  bucket_alignment!: number | null;

  @ApiProperty({
    type: [SeriesBucketDto],
    description:
      'the buckets that hold points, in step order: they do not overlap, a bucket with no points is left out, and each ' +
      'bucket summarises exactly the points whose step lies in its [start_step, end_step] (so the counts add up to the ' +
      'points in the range)',
  })
  buckets!: SeriesBucketDto[];
}
