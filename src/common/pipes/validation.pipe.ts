import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { InvalidRequestError } from '../errors.js';

function fieldPath(parent: string, property: string): string {
  if (/^\d+$/.test(property)) {
    return `${parent}[${property}]`;
  }
  return parent ? `${parent}.${property}` : property;
}

/** One line per failing field, e.g. `metrics[3].step: must be an integer`. */
export function describeValidationErrors(errors: ValidationError[], parent = ''): string[] {
  const lines: string[] = [];
  for (const error of errors) {
    const path = fieldPath(parent, error.property);
    const constraints = error.constraints ?? {};
    if (constraints.whitelistValidation) {
      lines.push(`${path}: unknown field`);
    } else if (Object.keys(constraints).length > 0) {
      lines.push(`${path}: ${Object.values(constraints).join('; ')}`);
    }
    if (error.children && error.children.length > 0) {
      lines.push(...describeValidationErrors(error.children, path));
    }
  }
  return lines;
}

/** Keys that class-transformer and the whitelist treat as part of the object's prototype. */
const RESERVED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** The path of the first reserved key in a parsed JSON value, if any. */
function reservedKeyPath(value: unknown, path: string, depth = 0): string | undefined {
  if (value === null || typeof value !== 'object' || depth > 32) {
    return undefined;
  }
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      const found = reservedKeyPath(value[index], `${path}[${index}]`, depth + 1);
      if (found) {
        return found;
      }
    }
    return undefined;
  }
  for (const key of Object.keys(value)) {
    const keyPath = fieldPath(path, key);
    if (RESERVED_KEYS.has(key)) {
      return keyPath;
    }
    const found = reservedKeyPath((value as Record<string, unknown>)[key], keyPath, depth + 1);
    if (found) {
      return found;
    }
  }
  return undefined;
}

const NOT_DTOS: readonly unknown[] = [String, Boolean, Number, Array, Object, Buffer, Date];

/**
 * ValidationPipe plus two checks it lacks for JSON bodies: the body must be an object (not an
 * array or a scalar), and `__proto__`/`constructor`/`prototype` keys, which slip past the
 * whitelist, are refused as unknown fields.
 */
class AppValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' && metadata.metatype && !NOT_DTOS.includes(metadata.metatype) && value !== undefined) {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw new InvalidRequestError('body: must be a JSON object');
      }
      const reserved = reservedKeyPath(value, '');
      if (reserved) {
        throw new InvalidRequestError(`${reserved}: unknown field`);
      }
    }
    return super.transform(value, metadata) as Promise<unknown>;
  }
}

/**
 * The global pipe: DTO classes are validated with class-validator, unknown fields are refused
 * (naming the field), and the failure becomes one INVALID_REQUEST that names each field.
 */
export function createValidationPipe(): ValidationPipe {
  return new AppValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    stopAtFirstError: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors: ValidationError[]) =>
      new InvalidRequestError(describeValidationErrors(errors).join('; ') || 'invalid request'),
  });
}
