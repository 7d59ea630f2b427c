/** The settings a tracking server runs with, after defaults and validation. */
export type AuthType = 'none' | 'api_key';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
/** Where artifact bytes live: under the data directory, or in an S3-compatible bucket. */
export type ArtifactStoreKind = 'local' | 's3';

export const AUTH_TYPES: readonly AuthType[] = ['none', 'api_key'];
export const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
export const ARTIFACT_STORES: readonly ArtifactStoreKind[] = ['local', 's3'];

export type DatabaseSettings = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string; poolSize: number };

export interface ServerConfig {
  host: string;
  /** 0 picks a free port (tests and embedding). */
  port: number;
  authType: AuthType;
  apiKeys: string[];
  dataDir: string;
  /** `sqlite:<path>` or `postgres://…`; empty means `sqlite:<dataDir>/entrenar.db`. */
  databaseUrl: string;
  cors: boolean;
  corsOrigins: string[];
  /** Largest upload (an artifact, one PUT or all parts of a multipart upload together). */
  maxBodySize: number;
  /** Largest JSON body accepted: every route but the uploads. */
  maxJsonBodySize: number;
  requestTimeoutSecs: number;
  maxBatchPoints: number;
  /** A running run with no write or heartbeat for this long is marked failed; 0 turns the sweep off. */
  runTimeoutSecs: number;
  /** On SIGTERM/SIGINT, requests in flight get this long to finish; what is still running then is logged and cut. */
  shutdownTimeoutSecs: number;
  logLevel: LogLevel;
  artifactStore: ArtifactStoreKind;
  /** Bucket of the s3 artifact store (required with `artifactStore: 's3'`). */
  s3Bucket: string;
  /** Key prefix inside the bucket, e.g. `entrenar/`; '' for the bucket's root. */
  s3Prefix: string;
  /** An S3-compatible service (MinIO, Ceph, SeaweedFS); '' means AWS S3 itself. */
  s3Endpoint: string;
  /** '' lets the AWS SDK find it (AWS_REGION, the shared config file). */
  s3Region: string;
  /** `http://endpoint/bucket/key` rather than `http://bucket.endpoint/key` (most self-hosted services need it). */
  s3ForcePathStyle: boolean;
  /** Failed authentications allowed per client address per minute before it is answered 429; 0 turns the throttle off. */
  authFailureLimit: number;
  /** Proxies whose X-Forwarded-For is believed when finding a client's address (addresses, CIDRs or loopback/linklocal/uniquelocal). */
  trustProxy: string[];
  /** Answer metric writes through the full Nest pipeline only (no short cut): for debugging and for parity tests. */
  disableHotWriteLane: boolean;
  /** GET /metrics answers without an API key even with `authType: 'api_key'` (for a scraper inside the trusted network). */
  metricsPublic: boolean;
}

export const MIB = 1024 * 1024;

export const DEFAULT_SERVER_CONFIG: Readonly<ServerConfig> = Object.freeze({
  host: '127.0.0.1',
  port: 5000,
  authType: 'none',
  apiKeys: [],
  dataDir: './data',
  databaseUrl: '',
  cors: false,
  corsOrigins: [],
  // A model checkpoint must fit; JSON bodies have their own, small limit.
  maxBodySize: 5 * 1024 * MIB,
  maxJsonBodySize: 4 * MIB,
  requestTimeoutSecs: 300,
  maxBatchPoints: 10_000,
  runTimeoutSecs: 3600,
  shutdownTimeoutSecs: 15,
  logLevel: 'info',
  artifactStore: 'local',
  s3Bucket: '',
  s3Prefix: '',
  s3Endpoint: '',
  s3Region: '',
  s3ForcePathStyle: false,
  authFailureLimit: 20,
  trustProxy: [],
  disableHotWriteLane: false,
  metricsPublic: false,
});
