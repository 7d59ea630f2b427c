import { ApiProperty } from '@nestjs/swagger';
import { ValidationArguments, registerDecorator } from 'class-validator';
import { IsEntityKey, KEY_SCHEMA, NextPageToken, OptionalIntQuery, OptionalPageToken } from '../../../common/validation.js';

export const MAX_PARAM_VALUE_LENGTH = 6000;
export type ParamValue = string | number | boolean;

function paramValueProblem(value: unknown): string | undefined {
  if (typeof value === 'boolean') {
    return undefined;
  }
  if (typeof value === 'number') {
    return Number.isFinite(value) ? undefined : 'must be a finite number';
  }
  if (typeof value === 'string') {
    return value.length <= MAX_PARAM_VALUE_LENGTH ? undefined : `must be at most ${MAX_PARAM_VALUE_LENGTH} characters`;
  }
  return 'must be a string, a number or a boolean';
}

function IsParamValue(): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isParamValue',
      target: target.constructor,
      propertyName: String(propertyName),
      validator: {
        validate: (value: unknown) => paramValueProblem(value) === undefined,
        defaultMessage: (args?: ValidationArguments) => paramValueProblem(args?.value) ?? 'invalid value',
      },
    });
  };
}

const VALUE_SCHEMA = { oneOf: [{ type: 'string', maxLength: MAX_PARAM_VALUE_LENGTH }, { type: 'number' }, { type: 'boolean' }] };

export class LogParamDto {
  @ApiProperty({
    ...KEY_SCHEMA,
    description: 'parameter name: letters, digits, spaces and _ - . / : (≤ 250 characters), a relative path without . or .. segments',
    example: 'learning_rate',
  })
  @IsEntityKey()
  key!: string;

  @ApiProperty({ ...VALUE_SCHEMA, description: 'its value; the JSON type is kept', example: 0.001 })
  @IsParamValue()
  value!: ParamValue;
}

export class ParamDto {
  @ApiProperty({ example: 'learning_rate' })
  key!: string;

  @ApiProperty({ ...VALUE_SCHEMA, example: 0.001 })
  value!: ParamValue;
}

export class ParamListResponseDto {
  @ApiProperty({ type: [ParamDto] })
  params!: ParamDto[];

  @NextPageToken()
  next_page_token?: string;
}

export class ParamPageQueryDto {
  @OptionalIntQuery(1, 10_000, { description: 'most params in one page', default: 1000 })
  max_results?: number;

  @OptionalPageToken()
  page_token?: string;
}
