import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Integer, NextPageToken, OptionalIntQuery, OptionalPageToken } from '../../../common/validation.js';

export class UploadArtifactDto {
  @ApiProperty({ type: 'string', format: 'binary', description: 'the file; streamed to storage while it is hashed' })
  file!: unknown;

  @ApiPropertyOptional({
    description: 'where to store it in the run, `/` for folders; default: the uploaded file name',
    example: 'checkpoints/model.safetensors',
  })
  key?: string;
}

export class ArtifactUploadResponseDto {
  @ApiProperty({ example: 'model.safetensors' })
  key!: string;

  @ApiProperty({ example: 'sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08' })
  hash!: string;

  @ApiProperty({ type: Integer, example: 1048576 })
  size_bytes!: number;
}

export class ArtifactDto extends ArtifactUploadResponseDto {
  @ApiProperty({ example: 'application/octet-stream' })
  content_type!: string;

  @ApiProperty({ format: 'date-time', example: '2024-12-05T10:40:00.000Z' })
  created_at!: string;
}

export class ArtifactListResponseDto {
  @ApiProperty({ type: [ArtifactDto] })
  artifacts!: ArtifactDto[];

  @NextPageToken()
  next_page_token?: string;
}

export class ArtifactPageQueryDto {
  @OptionalIntQuery(1, 10_000, { description: 'most artifacts in one page', default: 1000 })
  max_results?: number;

  @OptionalPageToken()
  page_token?: string;
}
