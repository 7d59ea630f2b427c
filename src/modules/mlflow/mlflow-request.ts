import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { InvalidRequestError } from '../../common/errors.js';

/** A request's fields as MLflow reads them: the query string for GET, the JSON body otherwise. */
export type MlflowFields = Readonly<Record<string, unknown>>;

export interface MlflowHttpRequest {
  method?: string;
  query?: Record<string, unknown>;
  body?: unknown;
  headers?: Record<string, string | string[] | undefined>;
}

/** Whether a request carries a body, as body-parser decides it: a transfer encoding or a non-zero length. */
function carriesBody(headers: MlflowHttpRequest['headers'] = {}): boolean {
  const length = headers['content-length'];
  return headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/**
 * MLflow's transport rules: GET reads the query string (repeated keys for lists), anything else
 * the JSON body (empty means `{}`); a GET without a query string falls back to its JSON body,
 * as MLflow's server does for old clients. (A double-encoded body, a JSON string holding JSON,
 * which MLflow's server also decodes, never gets here: the JSON body parser takes only objects
 * and arrays and answers anything else as malformed JSON.) The controllers and the hot write
 * lane both read requests through this function.
 */
export function mlflowFieldsOf(request: MlflowHttpRequest): MlflowFields {
  const query = asRecord(request.query);
  if (request.method === 'GET' && Object.keys(query).length > 0) {
    return query;
  }
  const body = request.body;
  // Only JSON bodies are parsed: another one would otherwise read as `{}` and fail later with a
  // misleading "missing parameter". MLflow's server answers these two messages.
  if (body === undefined && carriesBody(request.headers)) {
    throw new InvalidRequestError(
      request.headers?.['content-type'] === undefined
        ? 'Bad Request. Content-Type header is missing.'
        : "Bad Request. Content-Type must be 'application/json'.",
    );
  }
  if (body !== undefined && (body === null || typeof body !== 'object' || Array.isArray(body))) {
    throw new InvalidRequestError('body: must be a JSON object');
  }
  return asRecord(body);
}

export const MlflowRequest = createParamDecorator((_data: unknown, context: ExecutionContext): MlflowFields =>
  mlflowFieldsOf(context.switchToHttp().getRequest<MlflowHttpRequest>()),
);

function missing(name: string): never {
  throw new InvalidRequestError(
    `Missing value for required parameter '${name}'. See the API docs for more information about request parameters.`,
  );
}

function invalid(name: string, value: unknown, expected: string): never {
  throw new InvalidRequestError(`Invalid value ${JSON.stringify(value)} for parameter '${name}' supplied: expected ${expected}.`);
}

/** A scalar from the query may arrive as a one-element list when repeated; take the first. */
function scalar(value: unknown): unknown {
  return Array.isArray(value) && value.length > 0 ? (value as unknown[])[0] : value;
}

export function optionalString(fields: MlflowFields, name: string): string | undefined {
  const value = scalar(fields[name]);
  if (value === undefined || value === null) {
    return undefined;
  }
  if (typeof value !== 'string') {
    invalid(name, value, 'a string');
  }
  return value;
}

export function requiredString(fields: MlflowFields, name: string): string {
  const value = optionalString(fields, name);
  if (value === undefined || value === '') {
    missing(name);
  }
  return value;
}

/** `run_id`, or the deprecated `run_uuid` MLflow clients still send. */
export function runIdOf(fields: MlflowFields): string {
  const value = optionalString(fields, 'run_id') || optionalString(fields, 'run_uuid');
  if (!value) {
    missing('run_id');
  }
  return value;
}

/** int64: a JSON number or a numeric string (protobuf's JSON mapping accepts both). */
export function optionalInt64(fields: MlflowFields, name: string): number | undefined {
  const value = scalar(fields[name]);
  if (value === undefined || value === null || value === '') {
    return undefined;
  }
  const number = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isSafeInteger(number)) {
    invalid(name, value, 'an integer');
  }
  return number;
}

const NON_FINITE: Readonly<Record<string, number>> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };

/** double: a number, a numeric string, or "NaN" / "Infinity" / "-Infinity". */
export function requiredDouble(fields: MlflowFields, name: string, context = name): number {
  const value = scalar(fields[name]);
  if (value === undefined || value === null) {
    missing(context);
  }
  if (typeof value === 'number') {
    return value;
  }
  if (typeof value === 'string') {
    if (value in NON_FINITE) {
      return NON_FINITE[value];
    }
    const number = Number(value);
    if (value.trim() !== '' && !Number.isNaN(number)) {
      return number;
    }
  }
  return invalid(context, value, 'a number (or "NaN", "Infinity", "-Infinity")');
}

/** A proto enum given by name or by number; returns the name. */
export function optionalEnum<Name extends string>(
  fields: MlflowFields,
  name: string,
  values: Readonly<Record<Name, number>>,
): Name | undefined {
  const value = scalar(fields[name]);
  if (value === undefined || value === null || value === '') {
    return undefined;
  }
  const names = Object.keys(values) as Name[];
  if (typeof value === 'string' && (names as string[]).includes(value)) {
    return value as Name;
  }
  const number = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  const byNumber = names.find((candidate) => values[candidate] === number);
  if (byNumber === undefined) {
    invalid(name, value, `one of ${names.join(', ')}`);
  }
  return byNumber;
}

/** A repeated field: repeated query keys, or a JSON array. */
export function stringList(fields: MlflowFields, name: string): string[] {
  const value = fields[name];
  if (value === undefined || value === null) {
    return [];
  }
  const items = Array.isArray(value) ? (value as unknown[]) : [value];
  return items.map((item) => {
    if (typeof item !== 'string') {
      invalid(name, item, 'a list of strings');
    }
    return item;
  });
}

/** A repeated message field: a JSON array of objects. */
export function objectList(fields: MlflowFields, name: string): MlflowFields[] {
  const value = fields[name];
  if (value === undefined || value === null) {
    return [];
  }
  if (!Array.isArray(value)) {
    invalid(name, value, 'a list');
  }
  return (value as unknown[]).map((item) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      invalid(name, item, 'a list of objects');
    }
    return item as MlflowFields;
  });
}

/** Key/value tags as MLflow sends them: [{"key": …, "value": …}]; value defaults to "". */
export function tagList(fields: MlflowFields, name = 'tags'): { key: string; value: string }[] {
  return objectList(fields, name).map((tag) => ({ key: requiredString(tag, 'key'), value: optionalString(tag, 'value') ?? '' }));
}
