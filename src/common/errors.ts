/** Error codes of the seed's envelope `{"error":{"code","message"}}`. */
export type ErrorCode =
  | 'NOT_FOUND'
  | 'INVALID_REQUEST'
  | 'UNAUTHORIZED'
  | 'CONFLICT'
  | 'PAYLOAD_TOO_LARGE'
  | 'TOO_MANY_REQUESTS'
  | 'NOT_IMPLEMENTED'
  | 'INTERNAL_ERROR';

export const STATUS_OF_CODE: Readonly<Record<ErrorCode, number>> = {
  NOT_FOUND: 404,
  INVALID_REQUEST: 400,
  UNAUTHORIZED: 401,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  TOO_MANY_REQUESTS: 429,
  NOT_IMPLEMENTED: 501,
  INTERNAL_ERROR: 500,
};

/** MLflow's error codes, for the MLflow-compatible routes. */
export type MlflowErrorCode =
  | 'RESOURCE_DOES_NOT_EXIST'
  | 'RESOURCE_ALREADY_EXISTS'
  | 'INVALID_PARAMETER_VALUE'
  | 'INVALID_STATE'
  | 'BAD_REQUEST'
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED'
  | 'REQUEST_LIMIT_EXCEEDED'
  | 'NOT_IMPLEMENTED'
  | 'ENDPOINT_NOT_FOUND'
  | 'INTERNAL_ERROR';

/**
 * A failure the client caused or should know about. Services throw these; the global
 * exception filter turns them into the envelope of the API that was called.
 */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** How MLflow's API reports the same failure, when it differs from the default mapping. */
    readonly mlflowCode?: MlflowErrorCode,
    /** The HTTP status on MLflow's routes, when it is not the one MLflow gives `mlflowCode`. */
    readonly mlflowStatus?: number,
  ) {
    super(message);
    this.name = new.target.name;
  }

  get status(): number {
    return STATUS_OF_CODE[this.code];
  }
}

export class NotFoundError extends DomainError {
  constructor(what: string, id: string) {
    super('NOT_FOUND', `${what} not found: ${id}`);
  }
}

/** NOT_FOUND with a message of its own (e.g. MLflow's wording) rather than "X not found: id". */
export class ResourceNotFoundError extends DomainError {
  constructor(message: string) {
    super('NOT_FOUND', message);
  }
}

export class InvalidRequestError extends DomainError {
  constructor(message: string, mlflowCode?: MlflowErrorCode) {
    super('INVALID_REQUEST', message, mlflowCode);
  }
}

export class ConflictError extends DomainError {
  constructor(message: string, mlflowCode: MlflowErrorCode = 'INVALID_PARAMETER_VALUE') {
    super('CONFLICT', message, mlflowCode);
  }
}

export class PayloadTooLargeError extends DomainError {
  /** On MLflow's routes: INVALID_PARAMETER_VALUE, as 400 unless `mlflowStatus` says otherwise. */
  constructor(message: string, mlflowStatus?: number) {
    super('PAYLOAD_TOO_LARGE', message, 'INVALID_PARAMETER_VALUE', mlflowStatus);
  }
}

export class UnauthorizedError extends DomainError {
  constructor(message = 'missing or invalid API key: send "Authorization: Bearer <key>"') {
    super('UNAUTHORIZED', message, 'UNAUTHENTICATED');
  }
}

/** Too many failed attempts from one client: it may try again after `retryAfterSecs`. */
export class TooManyRequestsError extends DomainError {
  constructor(
    message: string,
    readonly retryAfterSecs: number,
  ) {
    super('TOO_MANY_REQUESTS', message, 'REQUEST_LIMIT_EXCEEDED');
  }
}

export class NotImplementedError extends DomainError {
  constructor(message: string) {
    super('NOT_IMPLEMENTED', message, 'NOT_IMPLEMENTED');
  }
}
