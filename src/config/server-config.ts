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
  requestTimeoutSecs: number;
  maxBatchPoints: number;
  /** A running run with no write or heartbeat for this long is marked failed; 0 turns the sweep off. */
  runTimeoutSecs: number;
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
  maxBodySize: 5 * 1024 * MIB,
  requestTimeoutSecs: 300,
  maxBatchPoints: 10_000,
  runTimeoutSecs: 3600,
  logLevel: 'info',
  artifactStore: 'local',
  s3Bucket: '',
  s3Prefix: '',
  s3Endpoint: '',
  s3Region: '',
  s3ForcePathStyle: false,
});
