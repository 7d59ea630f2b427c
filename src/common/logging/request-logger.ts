import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger as PinoLogger } from 'pino';

const REQUEST_ID = /^[\w.:-]{1,128}$/;

type RequestWithId = IncomingMessage & { id?: string };

/**
 * Gives the request its id (a sane incoming `x-request-id`, else a new UUID), echoes it in the
 * response, and returns it. Idempotent: the hot write lane and the normal path may both call it.
 */
export function assignRequestId(request: RequestWithId, response: ServerResponse): string {
  if (request.id !== undefined) {
    return request.id;
  }
  const incoming = request.headers['x-request-id'];
  const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
  request.id = id;
  response.setHeader('x-request-id', id);
  return id;
}

function levelFor(status: number): 'error' | 'warn' | 'info' {
  // 501 is an answer (an unsupported MLflow feature), not a failure of ours.
  if (status === 501) {
    return 'warn';
  }
  return status >= 500 ? 'error' : 'info';
}

function isEventStream(response: ServerResponse): boolean {
  return response.headersSent && String(response.getHeader('content-type') ?? '').startsWith('text/event-stream');
}

/** Told of every finished request (status 499: the client went away first) and how long it took. */
export type RequestObserver = (request: IncomingMessage, status: number, seconds: number) => void;

/**
 * One log line per request when its response is finished (or the client went away): id, method,
 * path, status and duration. Never headers, bodies or query strings, so keys and tokens cannot
 * reach a log. Written straight to pino's root logger: pino-http's per-request child logger
 * cost about a tenth of a small request's time. `observe` (the request metrics) hears of the
 * same requests at the same moment, so the log and the metrics count alike.
 */
export function logRequests(
  root: PinoLogger,
  observe?: RequestObserver,
): (request: RequestWithId, response: ServerResponse, next: () => void) => void {
  return (request, response, next) => {
    const started = performance.now();
    const id = assignRequestId(request, response);
    const finish = (aborted: boolean) => {
      const status = aborted ? 499 : response.statusCode;
      const elapsedMs = performance.now() - started;
      observe?.(request, status, elapsedMs / 1000);
      // A live event stream only ever ends by the client leaving: that is its normal close, not a warning.
      const streamClosed = aborted && isEventStream(response);
      const level = aborted && !streamClosed ? 'warn' : levelFor(aborted ? 200 : status);
      if (root.isLevelEnabled(level)) {
        const path = (request.url ?? '').split('?')[0];
        const responseTime = Math.round(elapsedMs);
        root[level](
          { reqId: id, req: { id, method: request.method, path }, res: { status }, responseTime },
          streamClosed
            ? `${request.method} ${path} event stream closed by the client after ${responseTime}ms`
            : aborted
              ? `${request.method} ${path} aborted by the client after ${responseTime}ms`
              : `${request.method} ${path} ${status} ${responseTime}ms`,
        );
      }
    };
    response.once('finish', () => finish(false));
    response.once('close', () => {
      // Closed before 'finish': aborted only if we had not yet ended the answer. A client that
      // reads a large download to its last byte and hangs up at once closes the socket before
      // the final write callback, which is a complete transfer, not an abort.
      if (!response.writableFinished) {
        finish(!response.writableEnded);
      }
    });
    next();
  };
}
