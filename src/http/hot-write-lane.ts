import { Logger } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { renderError } from '../common/filters/global-exception.filter.js';
import { markRoutePattern } from '../common/http/route-pattern.js';
import type { ServerConfig } from '../config/server-config.js';
import { parseMetricBatch, parseMetricPoint } from '../modules/metrics/dto/metric-input.js';
import { MetricsService } from '../modules/metrics/metrics.service.js';
import { mlflowFieldsOf } from '../modules/mlflow/mlflow-request.js';
import { MlflowRunsService } from '../modules/mlflow/mlflow-runs.service.js';
import type { FrontDoor } from './front-door.js';
import type { JsonBodyReader } from './json-body.js';

type Request = IncomingMessage & { id?: string; body?: unknown };
type RequestLog = (request: IncomingMessage & { id?: string }, response: ServerResponse, next: () => void) => void;
type Handler = (match: RegExpExecArray, body: unknown, request: Request) => Promise<{ status: number; body: unknown }>;

interface HotRoute {
  pattern: RegExp;
  /** The pattern of the Express route that answers the same request on the normal path (for the request metrics). */
  route: (match: RegExpExecArray) => string;
  handle: Handler;
}

/** Services the hot routes call: the same ones the controllers call. */
export interface HotWriteServices {
  metrics: MetricsService;
  mlflowRuns: MlflowRunsService;
}

/**
 * A run id from the path, decoded as Express decodes route parameters. Cannot throw: the front
 * door has refused malformed escapes and bytes that are not UTF-8 before the lane runs a route.
 */
const runIdParam = (encoded: string): string => decodeURIComponent(encoded);

/** The fields an MLflow write reads, as its controller would read them. */
const mlflowFields = (request: Request, body: unknown) =>
  mlflowFieldsOf({ method: request.method, query: {}, body, headers: request.headers });

/**
 * The metric writes training loops send by the thousand, answered without Nest's routing, guard,
 * pipe and interceptor machinery, which costs several times what the write itself does on a
 * small request: the same auth check, the same parsing and validation functions, the same
 * services and the same error rendering as the normal path, in a plain Node handler mounted
 * first in Express. Anything unusual (an Idempotency-Key, a cross-origin request, a body that
 * is not JSON) is left to the normal path, which handles every case.
 */
export function createHotWriteLane(config: ServerConfig, services: HotWriteServices, frontDoor: FrontDoor, readJson: JsonBodyReader) {
  const logger = new Logger('HotWriteLane');
  const cors = config.cors || config.corsOrigins.length > 0;
  const routes: HotRoute[] = [
    {
      pattern: /^\/api\/v1\/runs\/([^/?#]+)\/metrics\/batch$/,
      route: () => '/api/v1/runs/:runId/metrics/batch',
      handle: async (match, body) => ({
        status: 201,
        body: await services.metrics.logMetrics(runIdParam(match[1]), parseMetricBatch(body, config.maxBatchPoints, Date.now())),
      }),
    },
    {
      pattern: /^\/api\/v1\/runs\/([^/?#]+)\/metrics$/,
      route: () => '/api/v1/runs/:runId/metrics',
      handle: async (match, body) => ({
        status: 201,
        body: await services.metrics.logMetric(runIdParam(match[1]), parseMetricPoint(body, '', Date.now())),
      }),
    },
    {
      pattern: /^\/(api|ajax-api)\/2\.0\/mlflow\/runs\/log-metric$/,
      route: (match) => `/${match[1]}/2.0/mlflow/runs/log-metric`,
      handle: async (_match, body, request) => ({ status: 200, body: await services.mlflowRuns.logMetric(mlflowFields(request, body)) }),
    },
    {
      pattern: /^\/(api|ajax-api)\/2\.0\/mlflow\/runs\/log-batch$/,
      route: (match) => `/${match[1]}/2.0/mlflow/runs/log-batch`,
      handle: async (_match, body, request) => ({ status: 200, body: await services.mlflowRuns.logBatch(mlflowFields(request, body)) }),
    },
  ];

  const reply = (response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = JSON.stringify(body);
    response.writeHead(status, {
      ...headers,
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(text),
    });
    response.end(text);
  };

  /**
   * Takes the request if it is a hot write, logging it with `log` (the same request log the
   * normal path uses); otherwise calls `next` to hand it to Express.
   */
  return (request: Request, response: ServerResponse, next: () => void, log: RequestLog): void => {
    const url = request.url ?? '';
    if (
      request.method !== 'POST' ||
      request.headers['idempotency-key'] !== undefined ||
      (cors && request.headers.origin !== undefined) ||
      !/^application\/json\b/i.test(request.headers['content-type'] ?? '') ||
      url.includes('?')
    ) {
      next();
      return;
    }
    let route: HotRoute | undefined;
    let match: RegExpExecArray | null = null;
    for (const candidate of routes) {
      match = candidate.pattern.exec(url);
      if (match) {
        route = candidate;
        break;
      }
    }
    if (!route || !match) {
      next();
      return;
    }
    log(request, response, () => undefined);
    const matched = match;
    const { handle, route: patternOf } = route;
    void (async () => {
      try {
        // The same steps, in the same order, as the normal path: front door, body, route.
        await frontDoor(request, response);
        const body = await new Promise<unknown>((resolve, reject) =>
          readJson(request, response, (error) => (error === undefined ? resolve(request.body) : reject(error))),
        );
        // Named where Express would have routed it: after the front door and the body parser.
        markRoutePattern(request, patternOf(matched));
        const result = await handle(matched, body, request);
        reply(response, result.status, result.body);
      } catch (error) {
        const rendered = renderError(error, request, (message) => logger.error(message));
        if (response.headersSent) {
          response.destroy();
          return;
        }
        reply(response, rendered.status, rendered.body, rendered.headers);
      }
    })();
  };
}
