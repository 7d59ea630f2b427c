import { Logger, RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import express from 'express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HOT_WRITE_METADATA } from '../common/http/hot-write.decorator.js';

/** What this file needs of a layer of Express's router (the `router` package's Layer). */
interface RouterLayer {
  handle: (...args: never[]) => unknown;
  match(path: string): unknown;
  route?: { path: unknown; methods: Record<string, boolean | undefined> };
}

interface RouterWithStack {
  stack: RouterLayer[];
  handle(request: IncomingMessage, response: ServerResponse, done: (error?: unknown) => void): void;
}

/** A route the lane serves: its layer in Express's route table, and the route layers before it that could answer a POST first. */
interface HotRoute {
  layer: RouterLayer;
  pattern: string;
  earlier: RouterLayer[];
}

interface Lane {
  routes: HotRoute[];
  /** Express's own router over the app's middleware and the hot routes only, in the app's order. */
  router: RouterWithStack;
}

/** `/api/v1/runs/:runId/metrics` from a controller path and a method path, as Nest joins them. */
function joinPath(controllerPath: string, methodPath: string): string {
  const joined = `/${controllerPath}/${methodPath}`.replace(/\/+/g, '/');
  return joined.length > 1 ? joined.replace(/\/$/, '') : joined;
}

function asList(value: unknown): string[] {
  return Array.isArray(value) ? (value as string[]) : [typeof value === 'string' ? value : '/'];
}

/** The path patterns of every POST route whose handler is marked @HotWrite(), read from Nest's own route metadata. */
function hotWritePatterns(app: NestExpressApplication): Set<string> {
  const scanner = new MetadataScanner();
  const patterns = new Set<string>();
  for (const wrapper of app.get(DiscoveryService).getControllers()) {
    const controller = wrapper.metatype;
    if (!controller || typeof controller !== 'function') {
      continue;
    }
    const prototype = controller.prototype as Record<string, unknown>;
    for (const name of scanner.getAllMethodNames(prototype)) {
      const handler = prototype[name];
      if (typeof handler !== 'function' || Reflect.getMetadata(HOT_WRITE_METADATA, handler) !== true) {
        continue;
      }
      if (Reflect.getMetadata(METHOD_METADATA, handler) !== RequestMethod.POST) {
        throw new Error(`@HotWrite() on ${controller.name}.${name}: only POST routes can be hot writes`);
      }
      for (const prefix of asList(Reflect.getMetadata(PATH_METADATA, controller))) {
        for (const path of asList(Reflect.getMetadata(PATH_METADATA, handler))) {
          patterns.add(joinPath(prefix, path));
        }
      }
    }
  }
  return patterns;
}

/** Whether a route layer answers POST requests (`all` routes included). */
function answersPost(layer: RouterLayer): boolean {
  return layer.route !== undefined && (layer.route.methods.post === true || layer.route.methods._all === true);
}

/**
 * Builds the lane from the app's route table once Nest has registered its routes: the layers
 * of the @HotWrite() routes, and a router holding the app's middleware and those routes only.
 */
function buildLane(app: NestExpressApplication): Lane {
  const expressApp = app.getHttpAdapter().getInstance() as unknown as { router: RouterWithStack };
  const stack = expressApp.router.stack;
  const patterns = hotWritePatterns(app);
  const routes: HotRoute[] = [];
  stack.forEach((layer, index) => {
    const pattern = layer.route?.path;
    if (typeof pattern === 'string' && patterns.has(pattern) && answersPost(layer)) {
      routes.push({ layer, pattern, earlier: stack.slice(0, index).filter(answersPost) });
      patterns.delete(pattern);
    }
  });
  if (patterns.size > 0) {
    throw new Error(`hot write routes missing from the route table: ${[...patterns].join(', ')}`);
  }
  const hotLayers = new Set(routes.map((route) => route.layer));
  const router = express.Router() as unknown as RouterWithStack;
  // The same Layer objects Express runs (they keep no request state): every middleware, error
  // handler and not-found handler, in their order, with the hot routes where they stand.
  router.stack = stack.filter((layer) => layer.route === undefined || hotLayers.has(layer));
  return { routes, router };
}

/** Whether `layer` matches `path`; a path Express could not decode is not ours to answer. */
function matches(layer: RouterLayer, path: string): boolean {
  try {
    return Boolean(layer.match(path));
  } catch {
    return false;
  }
}

export interface HotWriteLaneOptions {
  /** Told of each request the lane takes, with the pattern of its route. */
  onServed?: (pattern: string) => void;
  /** Answers a request the lane's router left unanswered (it never should: Nest's routes always answer). */
  onUnanswered: (error: unknown, request: IncomingMessage, response: ServerResponse) => void;
}

/**
 * The hot write lane: metric writes that training loops send by the thousand skip only Express's
 * scan of the whole route table (about a hundred routes, each matched in turn). The lane finds
 * the route among the few marked @HotWrite() and runs the app's own router over the app's
 * middleware and that route: the same request log, CORS, front door (authentication) and body
 * reader, then the handler Nest built for the route with every global and controller guard,
 * interceptor (idempotency), pipe (validation) and exception filter, in the same order as on
 * the normal path. A guard or interceptor added to the app applies here by construction.
 *
 * A request is taken only when Express would route it to the same route: a POST whose path a
 * hot route matches and no earlier route that answers POST does. Everything else is handed to
 * Express whole (`next`).
 */
export function createHotWriteLane(app: NestExpressApplication, options: HotWriteLaneOptions) {
  const expressApp = app.getHttpAdapter().getInstance() as { request: object; response: object };
  // Built at the first request: Nest registers its routes when the app is initialised, after this is created.
  let lane: Lane | undefined;
  // A lane that cannot be built (a @HotWrite() route missing from the table) is logged and left
  // empty: every request then takes the normal path, which answers them all correctly.
  const buildLaneOrNone = (): Lane => {
    try {
      return buildLane(app);
    } catch (error) {
      new Logger('HotWriteLane').error(`the hot write lane is off: ${error instanceof Error ? error.message : String(error)}`);
      return { routes: [], router: express.Router() as unknown as RouterWithStack };
    }
  };
  return (request: IncomingMessage, response: ServerResponse, next: () => void): void => {
    const url = request.url ?? '';
    if (request.method !== 'POST' || url[0] !== '/') {
      next();
      return;
    }
    lane ??= buildLaneOrNone();
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    const route = lane.routes.find((candidate) => matches(candidate.layer, path));
    if (route === undefined || route.earlier.some((layer) => matches(layer, path))) {
      next();
      return;
    }
    options.onServed?.(route.pattern);
    // What Express's app.handle does before routing.
    const expressRequest = request as IncomingMessage & { res?: ServerResponse };
    const expressResponse = response as ServerResponse & { req?: IncomingMessage; locals?: object };
    expressRequest.res = response;
    expressResponse.req = request;
    Object.setPrototypeOf(request, expressApp.request);
    Object.setPrototypeOf(response, expressApp.response);
    expressResponse.locals ??= Object.create(null) as object;
    lane.router.handle(request, response, (error) => options.onUnanswered(error, request, response));
  };
}
