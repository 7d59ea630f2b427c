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
    return { status: MLFLOW_STATUS[problem.mlflowCode], body: { error_code: problem.mlflowCode, message: problem.message } };
  }
  return { status: problem.status, body: { error: { code: problem.code, message: problem.message } } };
}

type RequestWithId = IncomingMessage & { id?: unknown; originalUrl?: string };

/**
 * The one place errors become responses. Domain errors and HTTP exceptions keep their message;
 * anything else is logged with its stack and answered with a plain INTERNAL_ERROR that names the
 * request id, so no stack trace or SQL ever reaches a client.
 */
@Catch()
export class GlobalExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(SERVER_CONFIG) private readonly config: ServerConfig,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<RequestWithId>();
    const response = http.getResponse<unknown>();
    const adapter = this.adapterHost.httpAdapter;
    const problem = describeError(exception, this.config.maxBodySize);
    const requestId = typeof request.id === 'string' ? request.id : undefined;
    if (problem.internal) {
      const stack = exception instanceof Error ? exception.stack : String(exception);
      this.logger.error(`request ${requestId ?? '?'} ${request.method} ${request.originalUrl ?? request.url} failed: ${stack}`);
      problem.message = requestId ? `internal error (request id ${requestId})` : 'internal error';
    }
    const raw = response as { headersSent?: boolean; destroy?: () => void };
    if (raw.headersSent) {
      // A streamed body was under way: the status is gone, so cut the connection instead.
      raw.destroy?.();
      return;
    }
    if (problem.code === 'UNAUTHORIZED') {
      adapter.setHeader(response, 'WWW-Authenticate', 'Bearer realm="entrenar"');
    }
    const { status, body } = errorBody(request.originalUrl ?? request.url ?? '/', problem);
    adapter.reply(response, body, status);
  }
}
