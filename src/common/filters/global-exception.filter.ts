import { ArgumentsHost, Catch, ExceptionFilter, Inject, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage } from 'node:http';
import { SERVER_CONFIG } from '../../config/config.module.js';
import type { ServerConfig } from '../../config/server-config.js';
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
export function renderError(
  exception: unknown,
  request: RequestWithId,
  maxBodySize: number,
  logError: (message: string) => void,
): RenderedError {
  const problem = describeError(exception, maxBodySize);
  const requestId = typeof request.id === 'string' ? request.id : undefined;
  if (problem.internal) {
    const stack = exception instanceof Error ? exception.stack : String(exception);
    logError(`request ${requestId ?? '?'} ${request.method} ${request.originalUrl ?? request.url} failed: ${stack}`);
    problem.message = requestId ? `internal error (request id ${requestId})` : 'internal error';
  }
  const { status, body } = errorBody(request.originalUrl ?? request.url ?? '/', problem);
  return { status, body, headers: problem.code === 'UNAUTHORIZED' ? { 'WWW-Authenticate': 'Bearer realm="entrenar"' } : {} };
}

/** The one global exception filter: every error a route throws is answered by renderError. */
@Catch()
export class GlobalExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(SERVER_CONFIG) private readonly config: ServerConfig,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const response = http.getResponse<unknown>();
    const adapter = this.adapterHost.httpAdapter;
    const rendered = renderError(exception, http.getRequest<RequestWithId>(), this.config.maxBodySize, (message) =>
      this.logger.error(message),
    );
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
