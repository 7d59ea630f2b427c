import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsString, MaxLength, registerDecorator } from 'class-validator';
import { Integer, NextPageToken, OptionalIntQuery, OptionalPageToken, Optional } from '../../../common/validation.js';
import { hasControlCharacter, MAX_ARTIFACT_KEY_LENGTH } from '../artifact-key.js';

/** Text without NUL or other control characters (PostgreSQL cannot even compare a NUL). */
function NoControlCharacters(): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'noControlCharacters',
      target: target.constructor,
      propertyName: String(propertyName),
      validator: {
        validate: (value: unknown) => typeof value === 'string' && !hasControlCharacter(value),
        defaultMessage: () => 'must not contain NUL or control characters',
      },
    });
  };
}

export class UploadArtifactDto {
  @ApiProperty({ type: 'string', format: 'binary', description: 'the file; streamed to storage while it is hashed' })
  file!: unknown;

  @ApiPropertyOptional({
    description: 'where to store it in the run, `/` for folders; default: the uploaded file name',
    example: 'checkpoints/model.safetensors',
  })
  key?: string;
}

/** `true`/`false` in a query string become booleans; anything else stays text and fails the check. */
const toBooleanIfWord = ({ value }: { value: unknown }): unknown => (value === 'true' ? true : value === 'false' ? false : value);

export class ArtifactUploadQueryDto {
  @ApiPropertyOptional({
    type: Boolean,
    default: false,
    description: 'replace the artifact if the key already holds different bytes (otherwise that is a 409 CONFLICT)',
  })
  @Optional()
  @Transform(toBooleanIfWord)
  @IsBoolean({ message: 'must be true or false' })
  overwrite?: boolean;
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
  @ApiProperty({
    type: [ArtifactDto],
    description: 'the files, in key order: every artifact whose key starts with `prefix`, or with `delimiter=/` only those directly in it',
  })
  artifacts!: ArtifactDto[];

  @ApiProperty({
    type: [String],
    example: ['checkpoints/epoch-1/', 'checkpoints/epoch-2/'],
    description:
      'with `delimiter=/`: the sub-folders directly in `prefix`, each ending in `/`, in key order (pass one back as `prefix` to open it); ' +
      'always empty without a delimiter. A page holds at most `max_results` entries of both kinds together.',
  })
  folders!: string[];

  @NextPageToken()
  next_page_token?: string;
}

export class ArtifactListQueryDto {
  @ApiPropertyOptional({
    description:
      'only keys that start with this text; a folder is `name/` (e.g. `checkpoints/`). Compared byte for byte: `check` also matches `checkpoints/…`',
    example: 'checkpoints/',
    maxLength: MAX_ARTIFACT_KEY_LENGTH,
  })
  @Optional()
  @IsString({ message: 'must be a string' })
  @MaxLength(MAX_ARTIFACT_KEY_LENGTH, { message: `must be at most ${MAX_ARTIFACT_KEY_LENGTH} characters` })
  @NoControlCharacters()
  prefix?: string;

  @ApiPropertyOptional({
    enum: ['/'],
    description:
      'list one folder level: files directly in `prefix` go to `artifacts`, deeper keys are grouped into `folders`. Without it the listing is recursive (flat).',
  })
  @Optional()
  @IsIn(['/'], { message: 'must be "/" (the only folder separator)' })
  delimiter?: '/';

  @OptionalIntQuery(1, 10_000, { description: 'most entries (files and folders) in one page', default: 1000 })
  max_results?: number;

  @OptionalPageToken()
  page_token?: string;
}
