import { isDashboardPath } from '../../common/http/dashboard-paths.js';
import type { ServerConfig } from '../../config/server-config.js';

/** Where Prometheus scrapes (see the telemetry module). */
export const METRICS_PATH = '/metrics';

/** Exact paths anyone may read without a key: the health probes and the API documentation. */
const PUBLIC_READS = new Set(['/health', '/health/live', '/health/ready', '/docs', '/docs-json', '/docs-yaml']);

/**
 * A part of an MLflow multipart upload, PUT to the URL `mpu/create` answered. MLflow's client
 * sends it with the credential's headers only (as to a presigned S3 URL), never its own
 * Authorization: the per-upload HMAC signature those headers carry is what admits it, checked
 * by the multipart service.
 */
const SIGNED_PART_UPLOAD = /^\/api\/2\.0\/mlflow-artifacts\/mpu\/parts\/[^/]+\/[^/]+$/;

/**
 * Whether a request answers without an API key when `--auth-type api_key` is on: reading the
 * health probes, the web dashboard's files (the page asks for a key before it reads any data),
 * the API documentation (`/docs` and the Swagger UI's own files under it) and,
 * with `--metrics-public`, `/metrics`; and PUTting a signed multipart-upload part. Nothing else:
 * this list is the whole of what a stranger can reach, and every other request, unknown paths
 * included, is refused before routing. A query string is ignored.
 */
export function isPublicRequest(method: string | undefined, path: string, config: Pick<ServerConfig, 'metricsPublic'>): boolean {
  const query = path.indexOf('?');
  const bare = query < 0 ? path : path.slice(0, query);
  if (method === 'PUT') {
    return SIGNED_PART_UPLOAD.test(bare);
  }
  if (method !== 'GET' && method !== 'HEAD') {
    return false;
  }
  if (config.metricsPublic && bare === METRICS_PATH) {
    return true;
  }
  const trimmed = bare.length > 1 && bare.endsWith('/') ? bare.slice(0, -1) : bare;
  return PUBLIC_READS.has(trimmed) || bare.startsWith('/docs/') || isDashboardPath(bare);
}
