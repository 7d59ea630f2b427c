import type { IncomingMessage } from 'node:http';

const ROUTE_PATTERN = Symbol('entrenar.routePattern');

/** A request as Express leaves it once a route matched (`route.path`), or as the hot write lane marks it. */
type RoutedRequest = IncomingMessage & { route?: { path?: unknown }; [ROUTE_PATTERN]?: string };

/** The route label of a request that no route answered: unknown paths, CORS preflights, bodies refused before routing. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * Names the route that answers a request served outside Express (the hot write lane), with the
 * pattern Express would have matched, so both paths are counted alike.
 */
export function markRoutePattern(request: IncomingMessage, pattern: string): void {
  (request as RoutedRequest)[ROUTE_PATTERN] = pattern;
}

/**
 * The pattern of the route that answered the request (`/api/v1/runs/:runId/metrics`), never
 * its path: ids and artifact keys in paths would make a new time series per run or per file.
 */
export function routePatternOf(request: IncomingMessage): string {
  const routed = request as RoutedRequest;
  const marked = routed[ROUTE_PATTERN];
  if (marked !== undefined) {
    return marked;
  }
  const path = routed.route?.path;
  return typeof path === 'string' ? path : UNMATCHED_ROUTE;
}
