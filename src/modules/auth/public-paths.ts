import type { ServerConfig } from '../../config/server-config.js';

/** Where Prometheus scrapes (see the telemetry module). */
export const METRICS_PATH = '/metrics';

/**
 * Whether a request path is open without an API key by configuration, rather than by a route's
 * `@Public()`: today `/metrics` with `--metrics-public`. Takes the path as it arrives (a query
 * string is ignored) and matches it exactly, so a check made before routing can use it too:
 * anything it does not name still needs a key.
 */
export function isPublicPath(path: string, config: Pick<ServerConfig, 'metricsPublic'>): boolean {
  if (!config.metricsPublic) {
    return false;
  }
  const query = path.indexOf('?');
  return (query < 0 ? path : path.slice(0, query)) === METRICS_PATH;
}
