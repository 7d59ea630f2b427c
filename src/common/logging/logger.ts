import { LoggerService } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import pino, { Logger as PinoLogger } from 'pino';
import { pinoHttp, HttpLogger } from 'pino-http';
import type { LogLevel } from '../../config/server-config.js';

/** JSON lines on stdout: what log collectors on Kubernetes expect. */
export function createRootLogger(level: LogLevel): PinoLogger {
  return pino({
    level,
    base: { service: 'entrenar-tracking' },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Belt and braces: nothing we log carries these, but if a field ever does, it is masked.
    redact: {
      paths: ['*.authorization', '*.headers.authorization', '*.headers.cookie', '*.apiKey', '*.apiKeys', '*.password'],
      censor: '[redacted]',
    },
  });
}

const FRAMEWORK_CONTEXTS = new Set(['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestApplication']);

/** Routes Nest's own log calls (bootstrap, errors) into the same JSON stream. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly root: PinoLogger) {}

  private child(context: unknown): PinoLogger {
    return typeof context === 'string' ? this.root.child({ context }) : this.root;
  }

  log(message: unknown, context?: unknown): void {
    // Nest's start-up chatter (every module and route) is useful only when debugging.
    const chatty = typeof context === 'string' && FRAMEWORK_CONTEXTS.has(context);
    this.child(context)[chatty ? 'debug' : 'info'](String(message));
  }
  error(message: unknown, trace?: unknown, context?: unknown): void {
    const extra = typeof trace === 'string' && trace.length > 0 ? { stack: trace } : {};
    this.child(context ?? trace).error(extra, String(message));
  }
  warn(message: unknown, context?: unknown): void {
    this.child(context).warn(String(message));
  }
  debug(message: unknown, context?: unknown): void {
    this.child(context).debug(String(message));
  }
  verbose(message: unknown, context?: unknown): void {
    this.child(context).trace(String(message));
  }
  fatal(message: unknown, context?: unknown): void {
    this.child(context).fatal(String(message));
  }
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/**
 * One line per request: id, method, path, status and duration. Headers and bodies are never
 * logged, so API keys cannot leak; the query string is dropped for the same reason.
 * The request id comes from a sane incoming `x-request-id` or is generated, and is echoed back.
 */
export function createHttpLogger(root: PinoLogger): HttpLogger {
  return pinoHttp({
    logger: root,
    genReqId: (request: IncomingMessage, response: ServerResponse) => {
      const incoming = request.headers['x-request-id'];
      const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
      response.setHeader('x-request-id', id);
      return id;
    },
    customLogLevel: (_request, response, error) => {
      // 501 is an answer (an unsupported MLflow feature), not a failure of ours.
      if (response.statusCode === 501) {
        return 'warn';
      }
      if (error || response.statusCode >= 500) {
        return 'error';
      }
      return 'info';
    },
    serializers: {
      req: (request: { id: unknown; method: string; url: string }) => ({
        id: request.id,
        method: request.method,
        path: request.url.split('?')[0],
      }),
      res: (response: { statusCode: number }) => ({ status: response.statusCode }),
      // pino-http makes up an Error for every 5xx; its stack says nothing (the exception filter
      // logs real failures with theirs), so keep only the message.
      err: (error: Error) => ({ message: error.message }),
    },
    customSuccessMessage: (request, response, responseTime) =>
      `${request.method} ${(request.url ?? '').split('?')[0]} ${response.statusCode} ${Math.round(responseTime)}ms`,
    customErrorMessage: (request, response) => `${request.method} ${(request.url ?? '').split('?')[0]} ${response.statusCode}`,
    quietReqLogger: true,
  });
}
