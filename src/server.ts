import 'reflect-metadata';
import { INestApplication, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppModule } from './app.module.js';
import { ResourceNotFoundError } from './common/errors.js';
import { renderError } from './common/filters/global-exception.filter.js';
import { createRootLogger, PinoNestLogger } from './common/logging/logger.js';
import { drainHttpServer } from './common/shutdown/drain-http-server.js';
import { logRequests } from './common/logging/request-logger.js';
import { createDashboard } from './http/dashboard.js';
import { createFrontDoor, FrontDoorRequest } from './http/front-door.js';
import { createHotWriteLane } from './http/hot-write-lane.js';
import { createJsonBodyReader } from './http/json-body.js';
import { parseQueryString } from './http/query-string.js';
import { AuthGate } from './modules/auth/auth-gate.js';
import { LiveEventsService } from './modules/live/live-events.service.js';
import { TelemetryService } from './modules/telemetry/telemetry.service.js';
import { serverConfig } from './config/load-config.js';
import { ServerConfig } from './config/server-config.js';
import { databaseSettings, redactedDatabaseUrl } from './database/database-settings.js';
import { isRawUploadRequest } from './modules/artifacts/raw-upload-routes.js';
import { mountOpenApi } from './openapi.js';

/** A started server: its address and how to stop it. */
export interface RunningServer {
  readonly app: INestApplication;
  readonly config: ServerConfig;
  /** e.g. http://127.0.0.1:5000 */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/** What an operator should hear about at start: today, an open server on a reachable address. */
export function startupWarnings(config: Pick<ServerConfig, 'host' | 'authType'>): string[] {
  if (!isLoopback(config.host) && config.authType === 'none') {
    return [
      `listening on ${config.host} with authentication off: anyone who can reach this port can read and write. ` +
        'Use --auth-type api_key with --api-key (or ENTRENAR_API_KEY) outside a trusted network.',
    ];
  }
  return [];
}

/** For embedders (and tests): what to add to the app before its routes are built. */
export interface AppOptions {
  /**
   * Called once the app is created, before Nest builds its route handlers: global guards,
   * interceptors, pipes or filters added here (app.useGlobalGuards, …) apply to every route,
   * hot write lane included.
   */
  configure?: (app: NestExpressApplication) => void;
}

/**
 * Builds the application without listening: everything a request meets (request id and log
 * line, body limits, CORS, docs, guard, pipe, filter) is wired here, in this order.
 */
export async function createApp(config: ServerConfig, options: AppOptions = {}): Promise<NestExpressApplication> {
  const root = createRootLogger(config.logLevel);
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    bodyParser: false,
    logger: new PinoNestLogger(root),
    // Throw start-up failures (database, artifact store) to the caller, which prints them,
    // instead of exiting from inside Nest, where --log-level silent would hide why.
    abortOnError: false,
  });
  app.disable('x-powered-by');
  // Responses are JSON documents or streams; hashing every body for a weak ETag only costs time.
  app.set('etag', false);
  // Every key of the query string, not the first 1000 (see parseQueryString).
  app.set('query parser', parseQueryString);
  const requestLog = logRequests(root, app.get(TelemetryService).observeRequest);
  app.use(requestLog);
  // CORS first, so preflights are answered and refusals (401 included) carry its headers.
  if (config.cors || config.corsOrigins.length > 0) {
    app.enableCors({
      origin: config.corsOrigins.length > 0 ? config.corsOrigins : true,
      exposedHeaders: ['x-request-id', 'content-length', 'content-disposition', 'etag', 'retry-after'],
      maxAge: 600,
    });
  }
  // Then the front door (auth, URL, declared size), before routing and before any body is read.
  const frontDoor = createFrontDoor(app.get(AuthGate), config);
  app.use((request: Request, response: Response, next: NextFunction) => frontDoor(request, response).then(() => next(), next));
  // The web dashboard's files (GET / and /assets/*), before the API's body parsing.
  app.use(createDashboard());
  const readJson = createJsonBodyReader(config.maxJsonBodySize);
  // A raw artifact upload's body is the file itself (an application/json file too): the
  // artifacts module streams it to storage, so the JSON parser must leave it unread.
  app.use((request: Request, response: Response, next: NextFunction) =>
    isRawUploadRequest(request.method, request.url) ? next() : readJson(request, response, next),
  );
  // Refusals of the front door and body-parser failures happen before Nest routing: answered
  // (and, if unexpected, logged with their stack) as the exception filter answers any other error.
  const errorLogger = new Logger('Errors');
  app.use((error: unknown, request: Request, response: Response, next: NextFunction) => {
    if (response.headersSent) {
      next(error);
      return;
    }
    const { status, body, headers } = renderError(error, request, (message) => errorLogger.error(message));
    response.status(status).set(headers).json(body);
  });
  if (!config.disableHotWriteLane) {
    // Metric writes from training loops go straight to their route, past the scan of the route
    // table (see the lane): it sees each request first, and hands anything it does not take to Express.
    const telemetry = app.get(TelemetryService);
    const hotLane = createHotWriteLane(app, {
      onServed: (pattern) => telemetry.countHotLaneRequest(pattern),
      onUnanswered: (error, request, response) => {
        if (response.headersSent) {
          response.destroy();
          return;
        }
        const rendered = renderError(error ?? new ResourceNotFoundError('no route answered this request'), request, (message) =>
          errorLogger.error(message),
        );
        response.writeHead(rendered.status, { ...rendered.headers, 'Content-Type': 'application/json; charset=utf-8' });
        response.end(JSON.stringify(rendered.body));
      },
    });
    const server = app.getHttpServer();
    const [expressListener] = server.listeners('request') as ((request: IncomingMessage, response: ServerResponse) => void)[];
    server.removeAllListeners('request');
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      hotLane(request, response, () => expressListener(request, response));
    });
  }
  mountOpenApi(app);
  options.configure?.(app);
  return app;
}

/** Starts a server from a validated configuration (the CLI's path) and returns once it listens. */
export async function startServer(config: ServerConfig, options: AppOptions = {}): Promise<RunningServer> {
  const app = await createApp(config, options);
  const logger = new Logger('Server');
  const server = app.getHttpServer();
  server.requestTimeout = config.requestTimeoutSecs * 1000;
  server.headersTimeout = Math.min(60_000, config.requestTimeoutSecs * 1000);
  server.keepAliveTimeout = 65_000;
  // "Expect: 100-continue": the client waits for our go-ahead before sending its body, which the
  // front door gives only once the request is admitted and its declared size within the limit.
  server.on('checkContinue', (request: FrontDoorRequest, response: ServerResponse) => {
    request.awaitingContinue = true;
    server.emit('request', request, response);
  });
  await app.listen(config.port, config.host);
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const shownHost = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${shownHost}:${port}`;
  logger.log(`entrenar-tracking listening on ${url} (database ${redactedDatabaseUrl(databaseSettings(config))}, auth ${config.authType})`);
  for (const warning of startupWarnings(config)) {
    logger.warn(warning);
  }
  let closing: Promise<void> | undefined;
  return {
    app,
    config,
    url,
    port,
    // Stop accepting and let the requests in flight finish first: Nest closes the HTTP server only
    // after its destroy hooks (the S3 client, the artifact collector), which those requests need.
    // Live event streams never finish by themselves: they are ended first, or the drain would wait for them.
    close: () =>
      (closing ??= Promise.resolve()
        .then(() => app.get(LiveEventsService).endAll())
        .then(() => drainHttpServer(server))
        .then(() => app.close())),
  };
}

/**
 * The embedding API, mirroring the seed's `TrackingServer::new(config).run()`:
 * `await new TrackingServer({ port: 8080 }).run()`.
 */
export class TrackingServer {
  readonly config: ServerConfig;

  constructor(config: Partial<ServerConfig> = {}) {
    this.config = serverConfig(config);
  }

  run(): Promise<RunningServer> {
    return startServer(this.config);
  }
}
