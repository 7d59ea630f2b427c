import { ValidationError, ValidationPipe } from '@nestjs/common';
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

/**
 * The global pipe: DTO classes are validated with class-validator, unknown fields are refused
 * (naming the field), and the failure becomes one INVALID_REQUEST that names each field.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
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
