/** entrenar-tracking/client: the browser- and Node-compatible client (fetch only, no dependencies). */
export { TrackingClient } from './tracking-client.js';
export type { TrackingClientOptions, UploadSource } from './tracking-client.js';
export { TrackingError } from './errors.js';
export { RunLogger } from './run-logger.js';
export type { RunLoggerStats, TrackRunOptions } from './run-logger.js';
export type { RetryPolicy } from './retry.js';
export type * from './types.js';
