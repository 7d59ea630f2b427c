import {
  BadRequestException,
  ConflictException,
  ForbiddenException,
  HttpException,
  HttpStatus,
  InternalServerErrorException,
  MethodNotAllowedException,
  NotFoundException,
  NotImplementedException,
  PayloadTooLargeException,
  ServiceUnavailableException,
  UnauthorizedException,
} from '@nestjs/common';
import {
  ConflictError,
  DomainError,
  ErrorCode,
  InvalidRequestError,
  MlflowErrorCode,
  NotFoundError,
  NotImplementedError,
  PayloadTooLargeError,
  STATUS_OF_CODE,
  UnauthorizedError,
} from '../errors.js';
import { describeError, ErrorDescription, MLFLOW_STATUS } from './error-response.js';
import { errorBody } from './global-exception.filter.js';

/** An error as Express' body parser raises it. */
function bodyParserError(type: string, status: number | undefined, message: string): Error {
  return Object.assign(new Error(message), { type, ...(status === undefined ? {} : { status, statusCode: status }), expose: true });
}

describe('describeError: domain errors', () => {
  it.each<[string, DomainError, Partial<ErrorDescription>]>([
    [
      'NotFoundError',
      new NotFoundError('Run', 'run-123'),
      { status: 404, code: 'NOT_FOUND', mlflowCode: 'RESOURCE_DOES_NOT_EXIST', message: 'Run not found: run-123' },
    ],
    [
      'InvalidRequestError',
      new InvalidRequestError('step: must be an integer ≥ 0'),
      { status: 400, code: 'INVALID_REQUEST', mlflowCode: 'INVALID_PARAMETER_VALUE', message: 'step: must be an integer ≥ 0' },
    ],
    [
      'ConflictError',
      new ConflictError('run run-1 is running'),
      { status: 409, code: 'CONFLICT', mlflowCode: 'INVALID_PARAMETER_VALUE', message: 'run run-1 is running' },
    ],
    [
      'ConflictError with an MLflow code',
      new ConflictError("an experiment named 'x' already exists", 'RESOURCE_ALREADY_EXISTS'),
      { status: 409, code: 'CONFLICT', mlflowCode: 'RESOURCE_ALREADY_EXISTS' },
    ],
    [
      'PayloadTooLargeError',
      new PayloadTooLargeError('metrics: too many'),
      { status: 413, code: 'PAYLOAD_TOO_LARGE', mlflowCode: 'INVALID_PARAMETER_VALUE', message: 'metrics: too many' },
    ],
    ['UnauthorizedError', new UnauthorizedError(), { status: 401, code: 'UNAUTHORIZED', mlflowCode: 'UNAUTHENTICATED' }],
    [
      'NotImplementedError',
      new NotImplementedError('not yet'),
      { status: 501, code: 'NOT_IMPLEMENTED', mlflowCode: 'NOT_IMPLEMENTED', message: 'not yet' },
    ],
    [
      'InvalidRequestError with an MLflow code',
      new InvalidRequestError('bad', 'BAD_REQUEST'),
      { status: 400, code: 'INVALID_REQUEST', mlflowCode: 'BAD_REQUEST' },
    ],
  ])('maps a %s to its code, status and message, as a client error', (_name, error, expected) => {
    const described = describeError(error);
    expect(described).toMatchObject(expected);
    expect(described.internal).toBe(false);
    expect(described.status).toBe(error.status);
  });

  it('carries an MLflow status that overrides the one of its MLflow code, and answers it on MLflow routes only', () => {
    const described = describeError(new PayloadTooLargeError('part too large', 413));
    expect(described).toMatchObject({ status: 413, mlflowCode: 'INVALID_PARAMETER_VALUE', mlflowStatus: 413 });
    expect(errorBody('/api/2.0/mlflow-artifacts/mpu/parts/x/1', described)).toEqual({
      status: 413,
      body: { error_code: 'INVALID_PARAMETER_VALUE', message: 'part too large' },
    });
    expect(errorBody('/api/v1/runs', described).status).toBe(413);
    expect(errorBody('/api/2.0/mlflow-artifacts/artifacts/x', describeError(new PayloadTooLargeError('big'))).status).toBe(400);
  });

  it('keeps the message of every domain error as is', () => {
    expect(describeError(new ConflictError('exact words here')).message).toBe('exact words here');
  });

  it('treats a DomainError with INTERNAL_ERROR as internal', () => {
    const described = describeError(new DomainError('INTERNAL_ERROR', 'disk full'));
    expect(described).toMatchObject({ status: 500, code: 'INTERNAL_ERROR', mlflowCode: 'INTERNAL_ERROR', internal: true });
  });

  it('names each subclass after itself', () => {
    expect(new NotFoundError('Run', 'x').name).toBe('NotFoundError');
    expect(new ConflictError('x').name).toBe('ConflictError');
  });
});

describe('describeError: HTTP exceptions', () => {
  it("maps Nest's unknown-route 404 (Cannot GET /x) to NOT_FOUND and MLflow's ENDPOINT_NOT_FOUND", () => {
    const described = describeError(new NotFoundException('Cannot GET /x'));
    expect(described).toEqual<ErrorDescription>({
      status: 404,
      code: 'NOT_FOUND',
      mlflowCode: 'ENDPOINT_NOT_FOUND',
      message: 'no such route: GET /x',
      internal: false,
    });
  });

  it('maps another 404 to RESOURCE_DOES_NOT_EXIST, keeping its message', () => {
    expect(describeError(new NotFoundException('no such thing'))).toMatchObject({
      status: 404,
      code: 'NOT_FOUND',
      mlflowCode: 'RESOURCE_DOES_NOT_EXIST',
      message: 'no such thing',
    });
  });

  it.each<[string, HttpException, ErrorCode, number]>([
    ['400', new BadRequestException('bad thing'), 'INVALID_REQUEST', 400],
    ['401', new UnauthorizedException('who are you'), 'UNAUTHORIZED', 401],
    ['403', new ForbiddenException('no'), 'INVALID_REQUEST', 400],
    ['405', new MethodNotAllowedException('Cannot PATCH'), 'NOT_FOUND', 404],
    ['409', new ConflictException('taken'), 'CONFLICT', 409],
    ['413', new PayloadTooLargeException('too big'), 'PAYLOAD_TOO_LARGE', 413],
    ['501', new NotImplementedException('later'), 'NOT_IMPLEMENTED', 501],
  ])('maps a %s exception to %s', (_status, exception, code, status) => {
    const described = describeError(exception);
    expect(described.code).toBe(code);
    expect(described.status).toBe(status);
    expect(described.internal).toBe(false);
  });

  it('keeps the message of a client-error HTTP exception, joining arrays', () => {
    expect(describeError(new BadRequestException('bad thing')).message).toBe('bad thing');
    expect(describeError(new BadRequestException(['a: wrong', 'b: wrong'])).message).toBe('a: wrong; b: wrong');
    expect(describeError(new HttpException('plain text', HttpStatus.BAD_REQUEST)).message).toBe('plain text');
  });

  it.each([
    ['InternalServerErrorException', new InternalServerErrorException('SELECT * FROM runs failed: SQLITE_BUSY')],
    ['ServiceUnavailableException', new ServiceUnavailableException('pool exhausted at db.internal:5432')],
    ['a bare 500', new HttpException({ message: 'stack at Foo.bar (/srv/app.js:1:1)' }, 500)],
  ])('hides the message of a server-error %s behind a generic one', (_name, exception) => {
    expect(describeError(exception)).toEqual<ErrorDescription>({
      status: 500,
      code: 'INTERNAL_ERROR',
      mlflowCode: 'INTERNAL_ERROR',
      message: 'internal error',
      internal: true,
    });
  });
});

describe('describeError: body-parser errors', () => {
  it('maps entity.parse.failed to INVALID_REQUEST naming malformed JSON', () => {
    const described = describeError(bodyParserError('entity.parse.failed', 400, 'Unexpected token } in JSON at position 9'));
    expect(described).toMatchObject({ status: 400, code: 'INVALID_REQUEST', mlflowCode: 'INVALID_PARAMETER_VALUE', internal: false });
    expect(described.message).toBe('malformed JSON body: Unexpected token } in JSON at position 9');
  });

  it('maps entity.too.large to PAYLOAD_TOO_LARGE, naming the limit the parser hit when it says', () => {
    const error = bodyParserError('entity.too.large', 413, 'request entity too large');
    expect(
      describeError(Object.assign(bodyParserError('entity.too.large', 413, 'request entity too large'), { limit: 1024 })),
    ).toMatchObject({
      status: 413,
      code: 'PAYLOAD_TOO_LARGE',
      message: 'request body is larger than the limit of 1024 bytes',
      internal: false,
    });
    expect(describeError(error).message).toBe('request body is larger than the limit');
  });

  it('maps request.aborted to INVALID_REQUEST', () => {
    expect(describeError(bodyParserError('request.aborted', 400, 'request aborted'))).toMatchObject({
      status: 400,
      code: 'INVALID_REQUEST',
      message: 'request aborted by the client',
    });
  });

  it('maps another client-side body error to INVALID_REQUEST', () => {
    expect(describeError(bodyParserError('encoding.unsupported', 415, 'unsupported content encoding "br"'))).toMatchObject({
      status: 400,
      code: 'INVALID_REQUEST',
      message: 'unreadable request body: unsupported content encoding "br"',
    });
  });

  it('maps an undecodable body (a 400 http-error without a type, e.g. bad gzip) to INVALID_REQUEST', () => {
    const zlib = Object.assign(new Error('incorrect header check'), { status: 400, statusCode: 400, expose: true });
    expect(describeError(zlib)).toMatchObject({
      status: 400,
      code: 'INVALID_REQUEST',
      message: 'unreadable request body: incorrect header check',
      internal: false,
    });
    // Without `expose`, an error that merely has a status is still ours to log.
    expect(describeError(Object.assign(new Error('boom'), { status: 400 }))).toMatchObject({ code: 'INTERNAL_ERROR', internal: true });
  });

  it('treats a server-side body error as internal, without its message', () => {
    expect(describeError(bodyParserError('stream.not.readable', 500, 'stream is not readable'))).toMatchObject({
      status: 500,
      code: 'INTERNAL_ERROR',
      message: 'internal error',
      internal: true,
    });
  });
});

describe('describeError: anything else', () => {
  it.each<[string, unknown]>([
    ['an Error', new Error('SQLITE_CONSTRAINT: UNIQUE constraint failed: runs.public_id')],
    ['a TypeError', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['a string', 'boom at /srv/secret/path.js'],
    ['null', null],
    ['undefined', undefined],
    ['a plain object', { message: 'password=hunter2', status: 400 }],
  ])('maps %s to INTERNAL_ERROR with a generic message', (_name, thrown) => {
    expect(describeError(thrown)).toEqual<ErrorDescription>({
      status: 500,
      code: 'INTERNAL_ERROR',
      mlflowCode: 'INTERNAL_ERROR',
      message: 'internal error',
      internal: true,
    });
  });
});

describe('MLflow code mapping', () => {
  it.each<[ErrorCode, MlflowErrorCode]>([
    ['NOT_FOUND', 'RESOURCE_DOES_NOT_EXIST'],
    ['INVALID_REQUEST', 'INVALID_PARAMETER_VALUE'],
    ['UNAUTHORIZED', 'UNAUTHENTICATED'],
    ['CONFLICT', 'INVALID_PARAMETER_VALUE'],
    ['PAYLOAD_TOO_LARGE', 'INVALID_PARAMETER_VALUE'],
    ['NOT_IMPLEMENTED', 'NOT_IMPLEMENTED'],
    ['INTERNAL_ERROR', 'INTERNAL_ERROR'],
  ])('gives %s the MLflow code %s by default', (code, mlflowCode) => {
    const described = describeError(new DomainError(code, 'm'));
    expect(described.mlflowCode).toBe(mlflowCode);
    expect(described.status).toBe(STATUS_OF_CODE[code]);
  });

  it.each<[MlflowErrorCode, number]>([
    ['RESOURCE_DOES_NOT_EXIST', 404],
    ['ENDPOINT_NOT_FOUND', 404],
    ['RESOURCE_ALREADY_EXISTS', 400],
    ['INVALID_PARAMETER_VALUE', 400],
    ['BAD_REQUEST', 400],
    ['UNAUTHENTICATED', 401],
    ['PERMISSION_DENIED', 403],
    ['REQUEST_LIMIT_EXCEEDED', 429],
    ['NOT_IMPLEMENTED', 501],
    ['INTERNAL_ERROR', 500],
  ])('answers MLflow code %s with HTTP %i, as MLflow does', (mlflowCode, status) => {
    expect(MLFLOW_STATUS[mlflowCode]).toBe(status);
  });

  it('gives the seed codes their HTTP statuses', () => {
    expect(STATUS_OF_CODE).toEqual({
      NOT_FOUND: 404,
      INVALID_REQUEST: 400,
      UNAUTHORIZED: 401,
      CONFLICT: 409,
      PAYLOAD_TOO_LARGE: 413,
      TOO_MANY_REQUESTS: 429,
      NOT_IMPLEMENTED: 501,
      INTERNAL_ERROR: 500,
    });
  });
});
