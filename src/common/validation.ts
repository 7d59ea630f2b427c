import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  IsInt,
  IsNotEmpty,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidationOptions,
  registerDecorator,
} from 'class-validator';

/** MLflow's rule for metric, param and tag keys, kept for both APIs so a key valid in one is valid in the other. */
export const KEY_PATTERN = /^[/\w.\- :]+$/;
export const MAX_KEY_LENGTH = 250;

/**
 * checkKey's rule as a JSON Schema pattern, for the OpenAPI document: path segments of the
 * allowed characters separated by single `/`, none of them `.` or `..` (a segment starts with a
 * character other than a dot, or is a dot and such a character, or two dots and anything more).
 */
const KEY_SEGMENT = String.raw`(?:[\w\- :][\w.\- :]*|\.[\w\- :][\w.\- :]*|\.\.[\w.\- :]+)`;
export const KEY_SCHEMA_PATTERN = `^${KEY_SEGMENT}(?:/${KEY_SEGMENT})*$`;

/** A metric, param or tag key as the OpenAPI document describes it. */
export const KEY_SCHEMA = { type: 'string', minLength: 1, maxLength: MAX_KEY_LENGTH, pattern: KEY_SCHEMA_PATTERN } as const;

/**
 * Keys already found valid: a training job sends the same few keys in every batch, and checking
 * each of a 1,000-metric batch again cost 7% of the ingestion profile. Bounded, as keys come
 * from clients.
 */
const ACCEPTED_KEYS = new Set<string>();
const MAX_ACCEPTED_KEYS = 10_000;

/**
 * Why `key` is not acceptable, or undefined if it is: non-empty, at most 250 characters of
 * letters, digits, `_ - . / :` and space, and a clean relative path (no leading `/`, no empty,
 * `.` or `..` segment), as MLflow requires.
 */
export function keyProblem(key: unknown): string | undefined {
  if (typeof key !== 'string') {
    return 'must be a string';
  }
  if (ACCEPTED_KEYS.has(key)) {
    return undefined;
  }
  const problem = checkKey(key);
  if (problem === undefined) {
    if (ACCEPTED_KEYS.size >= MAX_ACCEPTED_KEYS) {
      ACCEPTED_KEYS.clear();
    }
    ACCEPTED_KEYS.add(key);
  }
  return problem;
}

function checkKey(key: string): string | undefined {
  if (key.length === 0) {
    return 'must not be empty';
  }
  if (key.length > MAX_KEY_LENGTH) {
    return `must be at most ${MAX_KEY_LENGTH} characters`;
  }
  if (!KEY_PATTERN.test(key)) {
    return 'may contain only letters, digits, spaces and _ - . / :';
  }
  if (key.startsWith('/') || key.split('/').some((segment) => segment === '' || segment === '.' || segment === '..')) {
    return 'must be a clean relative path (no leading /, no empty, . or .. segment)';
  }
  return undefined;
}

/** A metric, param or tag key. */
export function IsEntityKey(validationOptions?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isEntityKey',
      target: target.constructor,
      propertyName: String(propertyName),
      options: validationOptions,
      validator: {
        validate: (value: unknown) => keyProblem(value) === undefined,
        defaultMessage: (args) => keyProblem(args?.value) ?? 'invalid key',
      },
    });
  };
}

/** Skips validation only when the field is absent: `null` is still refused. */
export function Optional(): PropertyDecorator {
  return ValidateIf((_object: unknown, value: unknown) => value !== undefined);
}

/** A required non-empty string of at most `max` characters, documented. */
export function RequiredText(max: number, options: { description: string; example?: string }): PropertyDecorator {
  return applyDecorators(
    ApiProperty({ type: String, maxLength: max, minLength: 1, ...options }),
    IsString({ message: 'must be a string' }),
    IsNotEmpty({ message: 'must not be empty' }),
    MaxLength(max, { message: `must be at most ${max} characters` }),
  );
}

/** An optional non-empty string of at most `max` characters, documented. */
export function OptionalText(max: number, options: { description: string; example?: string }): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ type: String, maxLength: max, minLength: 1, ...options }),
    Optional(),
    IsString({ message: 'must be a string' }),
    IsNotEmpty({ message: 'must not be empty' }),
    MaxLength(max, { message: `must be at most ${max} characters` }),
  );
}

/** Query text of plain decimal digits becomes a number; anything else (`1e2`, `0x10`, ` 5`) stays text and fails IsInt. */
const toIntegerIfDigits = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;

/** An optional integer query parameter in [min, max]. The checks run in order: integer first, then the bounds. */
export function OptionalIntQuery(min: number, max: number, options: { description: string; default?: number }): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ type: Integer, minimum: min, maximum: max, ...options }),
    Optional(),
    Transform(toIntegerIfDigits),
    IsInt({ message: 'must be an integer' }),
    Min(min, { message: `must be at least ${min}` }),
    Max(max, { message: `must be at most ${max}` }),
  );
}

/** `page_token`: optional, and an empty value means "first page", as many clients send it. */
export function OptionalPageToken(): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ description: 'next_page_token of the previous page' }),
    ValidateIf((_object: unknown, value: unknown) => value !== undefined && value !== ''),
    IsString({ message: 'must be a string' }),
    Matches(/^[A-Za-z0-9_-]{1,2048}$/, { message: 'not a page token this server issued' }),
  );
}

/** `next_page_token` of a list response. */
export function NextPageToken(): PropertyDecorator {
  return ApiPropertyOptional({ description: 'pass as page_token to get the next page; absent on the last page' });
}

/** Swagger's name for JSON integers (`type: 'integer'`). */
export const Integer = 'integer';

/** The query every list endpoint takes. */
export class PageQueryDto {
  @OptionalIntQuery(1, 1000, { description: 'most items in one page', default: 100 })
  max_results?: number;

  @OptionalPageToken()
  page_token?: string;
}
