import type { ServerConfig } from '../../config/server-config.js';

/** Where Prometheus scrapes (see the telemetry module). */
export const METRICS_PATH = '/metrics';

/** Exact paths anyone may request without a key: the health probes and the API documentation. */
const PUBLIC_PATHS = new Set(['/health', '/health/live', '/health/ready', '/docs', '/docs-json', '/docs-yaml']);

/**
 * Whether a path answers without an API key when `--auth-type api_key` is on: the health probes,
 * the API documentation (`/docs` and the Swagger UI's own files under it), `/metrics` with
 * `--metrics-public`, and nothing else. This list is the whole of what a stranger can reach:
 * every other request, unknown paths included, is refused before routing. A query string is
 * ignored.
 */
export function isPublicPath(path: string, config: Pick<ServerConfig, 'metricsPublic'>): boolean {
  const query = path.indexOf('?');
  const bare = query < 0 ? path : path.slice(0, query);
  if (config.metricsPublic && bare === METRICS_PATH) {
    return true;
  }
  const trimmed = bare.length > 1 && bare.endsWith('/') ? bare.slice(0, -1) : bare;
  return PUBLIC_PATHS.has(trimmed) || bare.startsWith('/docs/');
}
