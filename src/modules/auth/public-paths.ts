import type { ServerConfig } from '../../config/server-config.js';

/** Exact paths anyone may request without a key: the health probes. */
const PUBLIC_PATHS = new Set(['/health', '/health/live', '/health/ready', '/docs', '/docs-json', '/docs-yaml']);

/**
 * Whether a path (without its query string) answers without an API key when `--auth-type
 * api_key` is on: the health probes, the API documentation (`/docs` and the Swagger UI's own
 * files under it) and nothing else. This list is the whole of what a stranger can reach; every
 * other request, unknown paths included, is refused before routing.
 */
export function isPublicPath(path: string, _config: ServerConfig): boolean {
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  return PUBLIC_PATHS.has(trimmed) || path.startsWith('/docs/');
}
