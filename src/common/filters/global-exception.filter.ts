import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage } from 'node:http';
import { TooManyRequestsError } from '../errors.js';
import { describeError, ErrorDescription, MLFLOW_STATUS } from './error-response.js';

const MLFLOW_ROUTE = /^\/(api|ajax-api)\/(2\.0|3\.0)\/|^\/get-artifact\b/;

export function isMlflowRoute(url: string): boolean {
  return MLFLOW_ROUTE.test(url);
}

/** The body a client gets: the seed's envelope, or MLflow's on the MLflow-compatible routes. */
export function errorBody(url: string, problem: ErrorDescription): { status: number; body: object } {
  if (isMlflowRoute(url)) {
    return {
      status: problem.mlflowStatus ?? MLFLOW_STATUS[problem.mlflowCode],
      body: { error_code: problem.mlflowCode, message: problem.message },
    };
  }
  return { status: problem.status, body: { error: { code: problem.code, message: problem.message } } };
}

type RequestWithId = IncomingMessage & { id?: unknown; originalUrl?: string };

export interface RenderedError {
  status: number;
  body: object;
  headers: Record<string, string>;
}

/**
 * What a failure is answered with, for the exception filter and for the hot write lane alike:
 * domain errors and HTTP exceptions keep their message; anything else is logged with its stack
 * and becomes a plain INTERNAL_ERROR naming the request id, so no stack or SQL reaches a client.
 */
export function renderError(exception: unknown, request: RequestWithId, logError: (message: string) => void): RenderedError {
  const problem = describeError(exception);
  const requestId = typeof request.id === 'string' ? request.id : undefined;
  const url = request.originalUrl ?? request.url ?? '/';
  if (problem.internal) {
    const stack = exception instanceof Error ? exception.stack : String(exception);
    // The path only: a query string may hold anything a client put there (tokens, names).
    logError(`request ${requestId ?? '?'} ${request.method} ${url.split('?')[0]} failed: ${stack}`);
    problem.message = requestId ? `internal error (request id ${requestId})` : 'internal error';
  }
  const { status, body } = errorBody(url, problem);
  return { status, body, headers: headersFor(exception, problem) };
}

/** The headers an error answer needs: a challenge with 401, when to retry with 429. */
function headersFor(exception: unknown, problem: ErrorDescription): Record<string, string> {
  if (problem.code === 'UNAUTHORIZED') {
    return { 'WWW-Authenticate': 'Bearer realm="entrenar"' };
  }
  if (exception instanceof TooManyRequestsError) {
    return { 'Retry-After': String(exception.retryAfterSecs) };
  }
  return {};
}

/** The one global exception filter: every error a route throws is answered by renderError. */
@Catch()
export class GlobalExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const response = http.getResponse<unknown>();
    const adapter = this.adapterHost.httpAdapter;
    const rendered = renderError(exception, http.getRequest<RequestWithId>(), (message) => this.logger.error(message));
    const raw = response as { headersSent?: boolean; destroy?: () => void };
    if (raw.headersSent) {
      // A streamed body was under way: the status is gone, so cut the connection instead.
      raw.destroy?.();
      return;
    }
    for (const [name, value] of Object.entries(rendered.headers)) {
      adapter.setHeader(response, name, value);
    }
    adapter.reply(response, rendered.body, rendered.status);
  }
}
