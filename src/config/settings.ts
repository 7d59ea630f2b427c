import { ARTIFACT_STORES, AUTH_TYPES, LOG_LEVELS, ServerConfig } from './server-config.js';

export type SettingKind = 'string' | 'int' | 'bool' | 'list' | 'enum';

/**
 * One row per setting: its CLI flag, its environment twin and how its text is read.
 * The CLI, the environment loader, `--help` and the README table all come from this list.
 */
export interface SettingSpec {
  key: keyof ServerConfig;
  flag: string;
  env: string;
  kind: SettingKind;
  valueName?: string;
  description: string;
  choices?: readonly string[];
  /** Never echoed back in errors or logs. */
  secret?: boolean;
  /** What `--help` shows as the default when the value itself would say nothing (an empty string). */
  defaultText?: string;
}

export const SETTINGS: readonly SettingSpec[] = [
  { key: 'host', flag: '--host', env: 'ENTRENAR_HOST', kind: 'string', valueName: 'HOST', description: 'address to listen on' },
  {
    key: 'port',
    flag: '--port',
    env: 'ENTRENAR_PORT',
    kind: 'int',
    valueName: 'PORT',
    description: 'TCP port to listen on (0 picks a free one)',
  },
  {
    key: 'authType',
    flag: '--auth-type',
    env: 'ENTRENAR_AUTH_TYPE',
    kind: 'enum',
    choices: AUTH_TYPES,
    valueName: 'TYPE',
    description: 'none, or api_key to require "Authorization: Bearer <key>" on every route but /health, /docs and the dashboard page',
  },
  {
    key: 'apiKeys',
    flag: '--api-key',
    env: 'ENTRENAR_API_KEY',
    kind: 'list',
    valueName: 'KEY',
    secret: true,
    description:
      'an accepted API key; repeat the flag for several (the environment twin takes a comma-separated list and keeps keys out of `ps`)',
  },
  {
    key: 'dataDir',
    flag: '--data-dir',
    env: 'ENTRENAR_DATA_DIR',
    kind: 'string',
    valueName: 'DIR',
    description: 'directory for the embedded database and artifacts',
  },
  {
    key: 'databaseUrl',
    flag: '--database-url',
    env: 'ENTRENAR_DATABASE_URL',
    kind: 'string',
    valueName: 'URL',
    secret: true,
    description: 'sqlite:<path> or postgres://user:password@host:port/db (default sqlite:<data-dir>/entrenar.db)',
  },
  {
    key: 'cors',
    flag: '--cors',
    env: 'ENTRENAR_CORS',
    kind: 'bool',
    description: 'allow cross-origin requests from any origin (for browser dashboards)',
  },
  {
    key: 'corsOrigins',
    flag: '--cors-origin',
    env: 'ENTRENAR_CORS_ORIGIN',
    kind: 'list',
    valueName: 'ORIGIN',
    description: 'allow cross-origin requests from this origin only; repeatable (comma-separated in the environment)',
  },
  {
    key: 'maxBodySize',
    flag: '--max-body-size',
    env: 'ENTRENAR_MAX_BODY_SIZE',
    kind: 'int',
    valueName: 'BYTES',
    description: 'largest upload accepted: an artifact file, sent whole or in parts',
  },
  {
    key: 'maxJsonBodySize',
    flag: '--max-json-body-size',
    env: 'ENTRENAR_MAX_JSON_BODY_SIZE',
    kind: 'int',
    valueName: 'BYTES',
    description: 'largest JSON request body accepted (every route but the uploads)',
  },
  {
    key: 'requestTimeoutSecs',
    flag: '--request-timeout-secs',
    env: 'ENTRENAR_REQUEST_TIMEOUT_SECS',
    kind: 'int',
    valueName: 'SECS',
    description: 'time allowed to receive a whole request',
  },
  {
    key: 'maxBatchPoints',
    flag: '--max-batch-points',
    env: 'ENTRENAR_MAX_BATCH_POINTS',
    kind: 'int',
    valueName: 'N',
    description: 'most metric points accepted in one batch request (more is answered with 413)',
  },
  {
    key: 'runTimeoutSecs',
    flag: '--run-timeout-secs',
    env: 'ENTRENAR_RUN_TIMEOUT_SECS',
    kind: 'int',
    valueName: 'SECS',
    description: 'mark a running run failed after this long without a write or heartbeat (0: never)',
  },
  {
    key: 'shutdownTimeoutSecs',
    flag: '--shutdown-timeout-secs',
    env: 'ENTRENAR_SHUTDOWN_TIMEOUT_SECS',
    kind: 'int',
    valueName: 'SECS',
    description: 'on SIGTERM or SIGINT, time requests in flight get to finish before they are cut (and logged)',
  },
  {
    key: 'logLevel',
    flag: '--log-level',
    env: 'ENTRENAR_LOG_LEVEL',
    kind: 'enum',
    choices: LOG_LEVELS,
    valueName: 'LEVEL',
    description: 'fatal, error, warn, info, debug, trace or silent',
  },
  {
    key: 'artifactStore',
    flag: '--artifact-store',
    env: 'ENTRENAR_ARTIFACT_STORE',
    kind: 'enum',
    choices: ARTIFACT_STORES,
    valueName: 'STORE',
    description:
      'local (under the data directory) or s3 (a bucket of AWS S3 or any S3-compatible service; credentials from the AWS environment)',
  },
  {
    key: 's3Bucket',
    flag: '--s3-bucket',
    env: 'ENTRENAR_S3_BUCKET',
    kind: 'string',
    valueName: 'BUCKET',
    defaultText: 'none',
    description: 'bucket of the s3 artifact store (required with --artifact-store s3)',
  },
  {
    key: 's3Prefix',
    flag: '--s3-prefix',
    env: 'ENTRENAR_S3_PREFIX',
    kind: 'string',
    valueName: 'PREFIX',
    defaultText: 'the bucket root',
    description: 'folder inside the bucket to keep artifacts in, e.g. entrenar/',
  },
  {
    key: 's3Endpoint',
    flag: '--s3-endpoint',
    env: 'ENTRENAR_S3_ENDPOINT',
    kind: 'string',
    valueName: 'URL',
    secret: true,
    defaultText: 'AWS S3',
    description: 'URL of an S3-compatible service such as MinIO, Ceph or SeaweedFS',
  },
  {
    key: 's3Region',
    flag: '--s3-region',
    env: 'ENTRENAR_S3_REGION',
    kind: 'string',
    valueName: 'REGION',
    defaultText: 'AWS_REGION or the AWS config file',
    description: 'region of the bucket',
  },
  {
    key: 's3ForcePathStyle',
    flag: '--s3-force-path-style',
    env: 'ENTRENAR_S3_FORCE_PATH_STYLE',
    kind: 'bool',
    description: 'address objects as <endpoint>/<bucket>/<key> instead of <bucket>.<endpoint>/<key> (most self-hosted services need it)',
  },
  {
    key: 'authFailureLimit',
    flag: '--auth-failure-limit',
    env: 'ENTRENAR_AUTH_FAILURE_LIMIT',
    kind: 'int',
    valueName: 'N',
    description:
      'failed authentications allowed per client address per minute; more are answered 429 until the minute is over (0: no limit)',
  },
  {
    key: 'trustProxy',
    flag: '--trust-proxy',
    env: 'ENTRENAR_TRUST_PROXY',
    kind: 'list',
    valueName: 'ADDRESS',
    description:
      'a reverse proxy (address, CIDR, or loopback, linklocal, uniquelocal) whose X-Forwarded-For names the client; repeatable (comma-separated in the environment)',
  },
  {
    key: 'disableHotWriteLane',
    flag: '--disable-hot-write-lane',
    env: 'ENTRENAR_DISABLE_HOT_WRITE_LANE',
    kind: 'bool',
    description: 'route metric writes by scanning the whole route table, like every other request (slower; for debugging)',
  },
  {
    key: 'metricsPublic',
    flag: '--metrics-public',
    env: 'ENTRENAR_METRICS_PUBLIC',
    kind: 'bool',
    description: 'serve the Prometheus metrics at /metrics without an API key, even with --auth-type api_key',
  },
];
