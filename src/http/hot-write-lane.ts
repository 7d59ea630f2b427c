import { Logger } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { InvalidRequestError, UnauthorizedError } from '../common/errors.js';
import { renderError } from '../common/filters/global-exception.filter.js';
import { markRoutePattern } from '../common/http/route-pattern.js';
import type { ServerConfig } from '../config/server-config.js';
import { ApiKeyVerifier } from '../modules/auth/api-key.verifier.js';
import { presentedApiKey } from '../modules/auth/api-key-credentials.js';
import { parseMetricBatch, parseMetricPoint } from '../modules/metrics/dto/metric-input.js';
import { MetricsService } from '../modules/metrics/metrics.service.js';
import type { MlflowFields } from '../modules/mlflow/mlflow-request.js';
import { MlflowRunsService } from '../modules/mlflow/mlflow-runs.service.js';

type Request = IncomingMessage & { id?: string; body?: unknown };
type RequestLog = (request: IncomingMessage & { id?: string }, response: ServerResponse, next: () => void) => void;
type Handler = (match: RegExpExecArray, body: unknown) => Promise<{ status: number; body: unknown }>;
/** The JSON body parser of the normal path (connect-style), so both paths read bodies alike. */
export type JsonBodyParser = (request: IncomingMessage, response: ServerResponse, next: (error?: Error) => void) => void;

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

function asFields(body: unknown): MlflowFields {
  if (body === undefined) {
    return {};
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new InvalidRequestError('body: must be a JSON object');
  }
  return body as MlflowFields;
}

/**
 * The metric writes training loops send by the thousand, answered without Nest's routing, guard,
 * pipe and interceptor machinery, which costs several times what the write itself does on a
 * small request: the same auth check, the same parsing and validation functions, the same
 * services and the same error rendering as the normal path, in a plain Node handler mounted
 * first in Express. Anything unusual (an Idempotency-Key, a cross-origin request, a body that
 * is not JSON) is left to the normal path, which handles every case.
 */
export function createHotWriteLane(config: ServerConfig, services: HotWriteServices, parseJson: JsonBodyParser) {
  const logger = new Logger('HotWriteLane');
  const verifier = config.authType === 'api_key' ? new ApiKeyVerifier(config.apiKeys) : undefined;
  const cors = config.cors || config.corsOrigins.length > 0;
  const routes: HotRoute[] = [
    {
      pattern: /^\/api\/v1\/runs\/([^/?#]+)\/metrics\/batch$/,
      route: () => '/api/v1/runs/:runId/metrics/batch',
      handle: async (match, body) => ({
        status: 201,
        body: await services.metrics.logMetrics(decodeURIComponent(match[1]), parseMetricBatch(body, config.maxBatchPoints, Date.now())),
      }),
    },
    {
      pattern: /^\/api\/v1\/runs\/([^/?#]+)\/metrics$/,
      route: () => '/api/v1/runs/:runId/metrics',
      handle: async (match, body) => ({
        status: 201,
        body: await services.metrics.logMetric(decodeURIComponent(match[1]), parseMetricPoint(body, '', Date.now())),
      }),
    },
    {
      pattern: /^\/(api|ajax-api)\/2\.0\/mlflow\/runs\/log-metric$/,
      route: (match) => `/${match[1]}/2.0/mlflow/runs/log-metric`,
      handle: async (_match, body) => ({ status: 200, body: await services.mlflowRuns.logMetric(asFields(body)) }),
    },
    {
      pattern: /^\/(api|ajax-api)\/2\.0\/mlflow\/runs\/log-batch$/,
      route: (match) => `/${match[1]}/2.0/mlflow/runs/log-batch`,
      handle: async (_match, body) => ({ status: 200, body: await services.mlflowRuns.logBatch(asFields(body)) }),
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
    markRoutePattern(request, route.route(match));
    log(request, response, () => undefined);
    const matched = match;
    const handle = route.handle;
    void (async () => {
      try {
        if (verifier && !verifier.verify(presentedApiKey(request.headers.authorization) ?? '')) {
          request.resume();
          throw new UnauthorizedError();
        }
        const body = await new Promise<unknown>((resolve, reject) =>
          parseJson(request, response, (error) => (error === undefined ? resolve(request.body) : reject(error))),
        );
        const result = await handle(matched, body);
        reply(response, result.status, result.body);
      } catch (error) {
        const rendered = renderError(error, request, config.maxBodySize, (message) => logger.error(message));
        if (response.headersSent) {
          response.destroy();
          return;
        }
        reply(response, rendered.status, rendered.body, rendered.headers);
      }
    })();
  };
}
