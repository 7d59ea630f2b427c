import { HttpException } from '@nestjs/common';
import { DomainError, ErrorCode, MlflowErrorCode, STATUS_OF_CODE } from '../errors.js';

/** A failure as both APIs need it: our code, MLflow's code, the HTTP status and a safe message. */
export interface ErrorDescription {
  status: number;
  code: ErrorCode;
  mlflowCode: MlflowErrorCode;
  /** Overrides MLflow's status for `mlflowCode` on MLflow's routes. */
  mlflowStatus?: number;
  message: string;
  /** True when the cause is ours, not the client's: logged with its stack, message kept generic. */
  internal: boolean;
}

export const MLFLOW_STATUS: Readonly<Record<MlflowErrorCode, number>> = {
  RESOURCE_DOES_NOT_EXIST: 404,
  ENDPOINT_NOT_FOUND: 404,
  RESOURCE_ALREADY_EXISTS: 400,
  INVALID_PARAMETER_VALUE: 400,
  BAD_REQUEST: 400,
  INVALID_STATE: 500,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  REQUEST_LIMIT_EXCEEDED: 429,
  NOT_IMPLEMENTED: 501,
  INTERNAL_ERROR: 500,
};

const DEFAULT_MLFLOW_CODE: Readonly<Record<ErrorCode, MlflowErrorCode>> = {
  NOT_FOUND: 'RESOURCE_DOES_NOT_EXIST',
  INVALID_REQUEST: 'INVALID_PARAMETER_VALUE',
  UNAUTHORIZED: 'UNAUTHENTICATED',
  CONFLICT: 'INVALID_PARAMETER_VALUE',
  PAYLOAD_TOO_LARGE: 'INVALID_PARAMETER_VALUE',
  TOO_MANY_REQUESTS: 'REQUEST_LIMIT_EXCEEDED',
  NOT_IMPLEMENTED: 'NOT_IMPLEMENTED',
  INTERNAL_ERROR: 'INTERNAL_ERROR',
};

function codeForStatus(status: number): ErrorCode {
  switch (status) {
    case 401:
      return 'UNAUTHORIZED';
    case 404:
    case 405:
      return 'NOT_FOUND';
    case 409:
      return 'CONFLICT';
    case 413:
      return 'PAYLOAD_TOO_LARGE';
    case 429:
      return 'TOO_MANY_REQUESTS';
    case 501:
      return 'NOT_IMPLEMENTED';
    default:
      return status >= 500 ? 'INTERNAL_ERROR' : 'INVALID_REQUEST';
  }
}

function describe(code: ErrorCode, message: string, mlflowCode?: MlflowErrorCode, mlflowStatus?: number): ErrorDescription {
  return {
    status: STATUS_OF_CODE[code],
    code,
    mlflowCode: mlflowCode ?? DEFAULT_MLFLOW_CODE[code],
    ...(mlflowStatus === undefined ? {} : { mlflowStatus }),
    message,
    internal: code === 'INTERNAL_ERROR',
  };
}

function httpExceptionMessage(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') {
    return response;
  }
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) {
    return message.join('; ');
  }
  return typeof message === 'string' ? message : exception.message;
}

/** The `type`s body-parser (via raw-body) gives its errors; other errors are not the client's fault. */
const BODY_PARSER_ERROR_TYPES = new Set([
  'entity.parse.failed',
  'entity.too.large',
  'entity.verify.failed',
  'request.aborted',
  'request.size.invalid',
  'encoding.unsupported',
  'charset.unsupported',
  'parameters.too.many',
  'stream.encoding.set',
  'stream.not.readable',
]);

/** Errors raised by Express' body parser carry a known `type`, a 4xx `status` and, when too large, the `limit` they hit. */
function bodyParserError(error: unknown): { type: string; status: number; message: string; limit?: number } | undefined {
  const type = (error as { type?: unknown } | null)?.type;
  const status = (error as { status?: unknown } | null)?.status;
  const expose = (error as { expose?: unknown } | null)?.expose;
  if (!(error instanceof Error) || typeof status !== 'number' || status >= 500) {
    return undefined;
  }
  if (typeof type === 'string' && BODY_PARSER_ERROR_TYPES.has(type)) {
    const limit = (error as { limit?: unknown }).limit;
    return { type, status, message: error.message, limit: typeof limit === 'number' ? limit : undefined };
  }
  // A body the parser could not decode (e.g. Content-Encoding: gzip over bytes that are not
  // gzip) comes as a plain 400 http-error without a type: the client's fault, not ours.
  if (expose === true) {
    return { type: 'body.unreadable', status, message: error.message };
  }
  return undefined;
}

/** Maps anything thrown while serving a request to what the client is told. */
export function describeError(error: unknown): ErrorDescription {
  if (error instanceof DomainError) {
    return describe(error.code, error.message, error.mlflowCode, error.mlflowStatus);
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const code = codeForStatus(status);
    let message = httpExceptionMessage(error);
    if (status === 404 && /^Cannot [A-Z]+ /.test(message)) {
      // Without the query string: it may hold anything a client put there.
      message = `no such route: ${message.replace(/^Cannot /, '').replace(/\?.*$/, '')}`;
      return describe(code, message, 'ENDPOINT_NOT_FOUND');
    }
    if (code === 'INTERNAL_ERROR') {
      return describe(code, 'internal error');
    }
    return describe(code, message);
  }
  const parserError = bodyParserError(error);
  if (parserError) {
    switch (parserError.type) {
      case 'entity.parse.failed':
        return describe('INVALID_REQUEST', `malformed JSON body: ${parserError.message}`);
      case 'entity.too.large':
        return describe(
          'PAYLOAD_TOO_LARGE',
          `request body is larger than the limit${parserError.limit !== undefined ? ` of ${parserError.limit} bytes` : ''}`,
        );
      case 'entity.verify.failed':
        return describe('INVALID_REQUEST', parserError.message);
      case 'request.aborted':
        return describe('INVALID_REQUEST', 'request aborted by the client');
      default:
        if (parserError.status < 500) {
          return describe('INVALID_REQUEST', `unreadable request body: ${parserError.message}`);
        }
    }
  }
  return describe('INTERNAL_ERROR', 'internal error');
}
