import { Logger, RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import express from 'express';
import { tracingChannel } from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HOT_WRITE_METADATA } from '../common/http/hot-write.decorator.js';

type Next = (error?: unknown) => void;

/** What this file needs of a layer of Express's router (the `router` package's Layer). */
interface RouterLayer {
  handle: (...args: never[]) => unknown;
  /** A middleware mounted at `/` (app.use(fn)): it matches every path, and Express leaves `req.url` as it is. */
  slash?: boolean;
  match(path: string): { params: Record<string, string> } | false;
  route?: { path: unknown; methods: Record<string, boolean | undefined> };
  /** Express's own invocation of the layer's function: arity check, thrown errors and rejected promises to `next`. */
  handleRequest(request: IncomingMessage, response: ServerResponse, next: Next): void;
  handleError(error: unknown, request: IncomingMessage, response: ServerResponse, next: Next): void;
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

/** How the lane serves a request path: by which route, and through which layers. */
interface PathPlan {
  route: HotRoute;
  /**
   * What Express's router would visit for this path, in its order: every middleware, error
   * handler and not-found handler mounted at `/`, and the hot routes from this one on (those
   * before it do not match). Undefined when a middleware mounted below `/` matches the path:
   * Express would rewrite `req.url` for it, so the lane's router runs instead.
   */
  layers?: RouterLayer[];
}

interface Lane {
  routes: HotRoute[];
  /** Express's own router over the app's middleware and the hot routes only, in the app's order. */
  router: RouterWithStack;
}

/** What the lane's JSON writer reads of an Express response. */
interface ExpressResponse extends ServerResponse {
  app: { settings: Record<string, unknown> };
  req: IncomingMessage;
  set(field: string, value: string): ExpressResponse;
  send(body: string): ExpressResponse;
}

/**
 * Express's `res.json` for the lane's responses, without its general-purpose steps: JSON text
 * under the app's JSON settings, `Content-Type: application/json; charset=utf-8` and
 * `Content-Length` set as `res.json` sets them (same names, order and values), then `end`.
 * Whenever Express would do more than that (an ETag function, JSON settings, a Content-Type or
 * Transfer-Encoding already set, a 204/205/304 status, a GET or HEAD request, a value with no
 * JSON text), it is Express's own `res.send` that answers.
 */
function leanJson(this: ExpressResponse, value: unknown): ExpressResponse {
  const settings = this.app.settings;
  if (settings['json escape'] || settings['json replacer'] || settings['json spaces'] || settings['etag fn']) {
    return expressJson.call(this, value);
  }
  const body = JSON.stringify(value) as string | undefined;
  const status = this.statusCode;
  const method = this.req.method;
  if (
    typeof body !== 'string' ||
    this.getHeader('Content-Type') !== undefined ||
    this.getHeader('Transfer-Encoding') !== undefined ||
    status === 204 ||
    status === 205 ||
    status === 304 ||
    method === 'GET' ||
    method === 'HEAD'
  ) {
    if (this.getHeader('Content-Type') === undefined) {
      this.set('Content-Type', 'application/json');
    }
    return this.send(body as string);
  }
  this.setHeader('Content-Type', 'application/json; charset=utf-8');
  this.setHeader('Content-Length', String(Buffer.byteLength(body, 'utf8')));
  this.end(body, 'utf8');
  return this;
}

type JsonWriter = (this: ExpressResponse, value: unknown) => ExpressResponse;

/** Express's own `res.json`, for the responses `leanJson` leaves to it. */
const expressJson = (express.response as unknown as { json: JsonWriter }).json;

/** At most this many request paths remember their PathPlan (or that no hot route takes them). */
const ROUTE_CACHE_SIZE = 512;

/** Express's router reports each layer it runs here when someone listens (e.g. an APM agent). */
const routerTracing = tracingChannel('express.router.request');

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

/** The layers of `lane.router` that Express's router would visit for a request to `route` at `path` (see PathPlan). */
function layersFor(lane: Lane, route: HotRoute, path: string): RouterLayer[] | undefined {
  const from = lane.router.stack.indexOf(route.layer);
  const layers: RouterLayer[] = [];
  for (const [index, layer] of lane.router.stack.entries()) {
    if (layer.route !== undefined) {
      if (index >= from) {
        layers.push(layer);
      }
    } else if (layer.slash === true) {
      layers.push(layer);
    } else {
      try {
        if (layer.match(path)) {
          return undefined;
        }
      } catch {
        return undefined;
      }
    }
  }
  return layers;
}

/** Whether `layer` matches `path`; a path Express could not decode is not ours to answer. */
function matches(layer: RouterLayer, path: string): boolean {
  try {
    return Boolean(layer.match(path));
  } catch {
    return false;
  }
}

/**
 * Runs a path's `layers` (PathPlan.layers) for a request as Express's router runs its stack:
 * each middleware in turn through the layer's own handleRequest (`req.params` empty), error
 * handlers (handleError) only once a layer has passed an error to `next`, and a route only
 * without one, with the params of its match. The router's per-request work that cannot change
 * anything here is left out: matching every layer's path (all of these match but the routes),
 * rewriting `req.url` (no layer mounted below `/` matches) and restoring a parent router's state
 * (there is none). Its tracing is not replicated: with a subscriber, the lane uses the router.
 */
function runLayers(
  layers: RouterLayer[],
  path: string,
  request: IncomingMessage & { params?: object; route?: unknown; baseUrl?: string; originalUrl?: string; next?: Next },
  response: ServerResponse,
  done: Next,
): void {
  let index = 0;
  const next = (error?: unknown): void => {
    if (error === 'router') {
      setImmediate(done);
      return;
    }
    let pending = error === 'route' ? undefined : error;
    while (index < layers.length) {
      const layer = layers[index++];
      if (layer.route === undefined) {
        request.params = {};
        if (pending) {
          layer.handleError(pending, request, response, next);
        } else {
          layer.handleRequest(request, response, next);
        }
        return;
      }
      if (pending) {
        continue;
      }
      let match: ReturnType<RouterLayer['match']>;
      try {
        match = layer.match(path);
      } catch (matchError) {
        pending = matchError;
        continue;
      }
      if (match && answersPost(layer)) {
        request.route = layer.route;
        request.params = match.params;
        layer.handleRequest(request, response, next);
        return;
      }
    }
    setImmediate(done, pending);
  };
  request.baseUrl = '';
  request.originalUrl ??= request.url;
  request.next = next;
  next();
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
  const expressApp = app.getHttpAdapter().getInstance() as { request: object; response: { json: JsonWriter } };
  // The app's response methods, with the lane's JSON writer in place of Express's `res.json`
  // (unless the app has a `res.json` of its own).
  const laneResponse =
    expressApp.response.json === expressJson
      ? (Object.create(expressApp.response, { json: { value: leanJson, writable: true, configurable: true } }) as object)
      : expressApp.response;
  // Built at the first request: Nest registers its routes when the app is initialised, after this is created.
  let lane: Lane | undefined;
  const planOfPath = new Map<string, PathPlan | null>();
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
    // The route table does not change once built, so neither does what Express does with a path:
    // a training loop writes to the same few paths, each worked out once.
    let plan = planOfPath.get(path);
    if (plan === undefined) {
      const found = lane.routes.find((candidate) => matches(candidate.layer, path));
      plan =
        found === undefined || found.earlier.some((layer) => matches(layer, path))
          ? null
          : { route: found, layers: layersFor(lane, found, path) };
      if (planOfPath.size >= ROUTE_CACHE_SIZE) {
        planOfPath.clear();
      }
      planOfPath.set(path, plan);
    }
    if (plan === null) {
      next();
      return;
    }
    const { route, layers } = plan;
    options.onServed?.(route.pattern);
    // What Express's app.handle does before routing.
    const expressRequest = request as IncomingMessage & { res?: ServerResponse };
    const expressResponse = response as ServerResponse & { req?: IncomingMessage; locals?: object };
    expressRequest.res = response;
    expressResponse.req = request;
    Object.setPrototypeOf(request, expressApp.request);
    Object.setPrototypeOf(response, laneResponse);
    expressResponse.locals ??= Object.create(null) as object;
    const unanswered = (error?: unknown): void => options.onUnanswered(error, request, response);
    if (layers !== undefined && !routerTracing.hasSubscribers) {
      runLayers(layers, path, request, response, unanswered);
    } else {
      lane.router.handle(request, response, unanswered);
    }
  };
}
