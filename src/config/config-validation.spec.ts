import { ConfigError, validateServerConfig } from './config-validation.js';
import { DEFAULT_SERVER_CONFIG, ServerConfig } from './server-config.js';
import { SETTINGS } from './settings.js';

function config(overrides: Record<string, unknown> = {}): ServerConfig {
  return { ...DEFAULT_SERVER_CONFIG, apiKeys: [], corsOrigins: [], ...overrides };
}

function configErrorOf(candidate: ServerConfig): ConfigError {
  try {
    validateServerConfig(candidate);
  } catch (error) {
    if (error instanceof ConfigError) {
      return error;
    }
    throw error;
  }
  throw new Error('expected a ConfigError, but the configuration was accepted');
}

describe('validateServerConfig', () => {
  it('accepts the defaults and returns an equal configuration', () => {
    expect(validateServerConfig(config())).toEqual(DEFAULT_SERVER_CONFIG);
  });

  it('returns copies of the lists, so later changes to the input do not leak into the validated config', () => {
    const input = config({ authType: 'api_key', apiKeys: ['key-1-0123456789abcdef'], corsOrigins: ['https://a.example'] });
    const validated = validateServerConfig(input);
    input.apiKeys.push('key-2');
    input.corsOrigins.push('https://b.example');
    expect(validated.apiKeys).toEqual(['key-1-0123456789abcdef']);
    expect(validated.corsOrigins).toEqual(['https://a.example']);
  });

  it('accepts every well-formed value at the edges of its range', () => {
    const edges = config({
      port: 65535,
      authType: 'api_key',
      apiKeys: ['abc-DEF_123.~+/xyz=='],
      databaseUrl: 'postgresql://user:pw@db:5432/entrenar',
      cors: true,
      corsOrigins: ['*', 'http://localhost:3000', 'https://dash.example.com'],
      maxBodySize: 1024,
      requestTimeoutSecs: 86_400,
      maxBatchPoints: 1_000_000,
      shutdownTimeoutSecs: 3600,
      logLevel: 'silent',
    });
    expect(validateServerConfig(edges)).toEqual(edges);
    expect(validateServerConfig(config({ port: 0, requestTimeoutSecs: 1, maxBatchPoints: 1, shutdownTimeoutSecs: 1 })).port).toBe(0);
    expect(validateServerConfig(config({ databaseUrl: 'sqlite:/tmp/x.db' })).databaseUrl).toBe('sqlite:/tmp/x.db');
  });

  it.each([
    ['port', -1, '--port (ENTRENAR_PORT)'],
    ['port', 65536, '--port (ENTRENAR_PORT)'],
    ['port', 1.5, '--port (ENTRENAR_PORT)'],
    ['host', '', '--host (ENTRENAR_HOST)'],
    ['authType', 'basic', '--auth-type (ENTRENAR_AUTH_TYPE)'],
    ['dataDir', '', '--data-dir (ENTRENAR_DATA_DIR)'],
    ['cors', 'yes', '--cors (ENTRENAR_CORS)'],
    ['corsOrigins', ['ftp://files.example'], '--cors-origin (ENTRENAR_CORS_ORIGIN)'],
    ['corsOrigins', ['https://a.example/path'], '--cors-origin (ENTRENAR_CORS_ORIGIN)'],
    ['maxBodySize', 1023, '--max-body-size (ENTRENAR_MAX_BODY_SIZE)'],
    ['requestTimeoutSecs', 0, '--request-timeout-secs (ENTRENAR_REQUEST_TIMEOUT_SECS)'],
    ['requestTimeoutSecs', 86_401, '--request-timeout-secs (ENTRENAR_REQUEST_TIMEOUT_SECS)'],
    ['maxBatchPoints', 0, '--max-batch-points (ENTRENAR_MAX_BATCH_POINTS)'],
    ['shutdownTimeoutSecs', 0, '--shutdown-timeout-secs (ENTRENAR_SHUTDOWN_TIMEOUT_SECS)'],
    ['shutdownTimeoutSecs', 3601, '--shutdown-timeout-secs (ENTRENAR_SHUTDOWN_TIMEOUT_SECS)'],
    ['logLevel', 'loud', '--log-level (ENTRENAR_LOG_LEVEL)'],
    ['artifactStore', 'gcs', '--artifact-store (ENTRENAR_ARTIFACT_STORE)'],
    ['s3Bucket', 'ab', '--s3-bucket (ENTRENAR_S3_BUCKET)'],
    ['s3Bucket', 'my bucket', '--s3-bucket (ENTRENAR_S3_BUCKET)'],
    ['s3Bucket', '-bucket', '--s3-bucket (ENTRENAR_S3_BUCKET)'],
    ['s3Prefix', '/abs/path/', '--s3-prefix (ENTRENAR_S3_PREFIX)'],
    ['s3Prefix', 'a//b/', '--s3-prefix (ENTRENAR_S3_PREFIX)'],
    ['s3Prefix', 'team/../other/', '--s3-prefix (ENTRENAR_S3_PREFIX)'],
    ['s3Prefix', './x/', '--s3-prefix (ENTRENAR_S3_PREFIX)'],
    ['s3Prefix', 'with space/', '--s3-prefix (ENTRENAR_S3_PREFIX)'],
    ['s3Prefix', `${'a'.repeat(513)}`, '--s3-prefix (ENTRENAR_S3_PREFIX)'],
    ['s3Endpoint', 'minio:9000', '--s3-endpoint (ENTRENAR_S3_ENDPOINT)'],
    ['s3Endpoint', 'ftp://minio:9000', '--s3-endpoint (ENTRENAR_S3_ENDPOINT)'],
    ['s3Region', 'eu west', '--s3-region (ENTRENAR_S3_REGION)'],
    ['s3ForcePathStyle', 'yes', '--s3-force-path-style (ENTRENAR_S3_FORCE_PATH_STYLE)'],
  ])('refuses %s = %j, naming %s', (key, value, name) => {
    const error = configErrorOf(config({ [key]: value }));
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0].startsWith(`${name}: `)).toBe(true);
    expect(error.message).toContain(name);
  });

  it('shows the refused value of a non-secret setting', () => {
    const error = configErrorOf(config({ logLevel: 'loud' }));
    expect(error.problems[0]).toContain('got "loud"');
  });

  it('reports every bad setting at once, one problem each, in one ConfigError', () => {
    const error = configErrorOf(config({ port: 70_000, logLevel: 'loud', maxBodySize: 10, corsOrigins: ['nope'] }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.name).toBe('ConfigError');
    expect(error.problems).toHaveLength(4);
    for (const name of [
      '--port (ENTRENAR_PORT)',
      '--log-level (ENTRENAR_LOG_LEVEL)',
      '--max-body-size (ENTRENAR_MAX_BODY_SIZE)',
      '--cors-origin (ENTRENAR_CORS_ORIGIN)',
    ]) {
      expect(error.problems.filter((problem) => problem.startsWith(name))).toHaveLength(1);
      expect(error.message).toContain(`  - ${name}`);
    }
    expect(error.message.startsWith('Invalid configuration:\n')).toBe(true);
  });

  it('refuses --auth-type api_key without any key, with a message saying how to pass one', () => {
    const error = configErrorOf(config({ authType: 'api_key', apiKeys: [] }));
    expect(error.problems).toEqual(['--auth-type api_key needs at least one key: pass --api-key KEY or set ENTRENAR_API_KEY=key1,key2']);
  });

  it('accepts --auth-type none with no key, and api_key with one', () => {
    expect(validateServerConfig(config({ authType: 'none', apiKeys: [] })).authType).toBe('none');
    expect(validateServerConfig(config({ authType: 'api_key', apiKeys: ['k'.repeat(16)] })).apiKeys).toEqual(['k'.repeat(16)]);
  });

  it('refuses an API key under 16 characters, saying how long and how to make one, without echoing it', () => {
    const shortKey = 'mysecretkey';
    const error = configErrorOf(config({ authType: 'api_key', apiKeys: ['long-enough-key-0123', shortKey] }));
    expect(error.problems).toEqual([
      '--api-key (ENTRENAR_API_KEY): each key must be at least 16 characters long, so it cannot be guessed (e.g. openssl rand -hex 24)',
    ]);
    expect(error.message).not.toContain(shortKey);
    expect(validateServerConfig(config({ authType: 'api_key', apiKeys: ['x'.repeat(16)] })).apiKeys).toEqual(['x'.repeat(16)]);
  });

  it('accepts trusted proxies as addresses, CIDR ranges or proxy-addr names, and refuses anything else by name', () => {
    expect(validateServerConfig(config({ trustProxy: ['loopback', '10.0.0.0/8', '2001:db8::1'] })).trustProxy).toEqual([
      'loopback',
      '10.0.0.0/8',
      '2001:db8::1',
    ]);
    const error = configErrorOf(config({ trustProxy: ['10.0.0.0/8', 'my-proxy.internal'] }));
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(/^--trust-proxy \(ENTRENAR_TRUST_PROXY\): each entry must be an IP address, a CIDR range/);
    expect(error.problems[0]).toContain('my-proxy.internal');
  });

  it('refuses a negative --auth-failure-limit and a JSON body limit under 1 KiB', () => {
    const error = configErrorOf(config({ authFailureLimit: -1, maxJsonBodySize: 100 }));
    expect(error.problems.map((problem) => problem.split(':')[0])).toEqual([
      '--max-json-body-size (ENTRENAR_MAX_JSON_BODY_SIZE)',
      '--auth-failure-limit (ENTRENAR_AUTH_FAILURE_LIMIT)',
    ]);
  });

  it('refuses API keys that are not bearer tokens, without ever echoing a key', () => {
    const secretKey = 'super secret key';
    const otherKey = 'ok-key,with-comma';
    const error = configErrorOf(config({ authType: 'api_key', apiKeys: [secretKey, otherKey] }));
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(/^--api-key \(ENTRENAR_API_KEY\): each key must be a bearer token/);
    expect(error.message).not.toContain(secretKey);
    expect(error.message).not.toContain('super');
    expect(error.message).not.toContain(otherKey);
    expect(error.message).not.toContain('got');
  });

  it('refuses a database URL of an unknown kind, without echoing it (it may hold a password)', () => {
    const url = 'mysql://admin:hunter2@db.internal/entrenar';
    const error = configErrorOf(config({ databaseUrl: url }));
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(/^--database-url \(ENTRENAR_DATABASE_URL\): must be sqlite:<path> or postgres:\/\//);
    expect(error.message).not.toContain('hunter2');
    expect(error.message).not.toContain('mysql');
  });

  it('never echoes any secret setting, even next to other problems', () => {
    const error = configErrorOf(
      config({ port: -5, authType: 'api_key', apiKeys: ['has space'], databaseUrl: 'oracle://scott:tiger@db/x', logLevel: 'loud' }),
    );
    expect(error.problems).toHaveLength(4);
    expect(error.message).toContain('got -5');
    expect(error.message).toContain('got "loud"');
    expect(error.message).not.toContain('has space');
    expect(error.message).not.toContain('tiger');
    expect(error.message).not.toContain('oracle');
  });

  it('marks exactly the API keys, the database URL and the S3 endpoint URL as secret', () => {
    expect(SETTINGS.filter((setting) => setting.secret).map((setting) => setting.key)).toEqual(['apiKeys', 'databaseUrl', 's3Endpoint']);
  });

  describe('the s3 artifact store', () => {
    const s3 = (overrides: Record<string, unknown> = {}) => config({ artifactStore: 's3', s3Bucket: 'checkpoints', ...overrides });

    it('accepts local (the default) with no bucket, and s3 with a bucket and nothing else', () => {
      expect(validateServerConfig(config()).artifactStore).toBe('local');
      expect(validateServerConfig(s3())).toEqual(s3());
    });

    it('accepts every S3 setting in its usual forms', () => {
      for (const overrides of [
        { s3Endpoint: 'http://127.0.0.1:8333', s3ForcePathStyle: true, s3Region: 'us-east-1', s3Prefix: 'entrenar/' },
        { s3Endpoint: 'https://minio.internal:9000', s3Prefix: 'team-a/runs' },
        { s3Endpoint: 'http://localhost:9000/', s3Prefix: 'a.b_c-d/e/' },
        { s3Endpoint: 'http://[::1]:9000', s3Region: 'garage' },
        { s3Bucket: 'a.b-c', s3Region: 'eu-central-1' },
        { s3Bucket: 'Legacy_Ceph_Bucket' },
      ]) {
        expect(validateServerConfig(s3(overrides))).toEqual(s3(overrides));
      }
    });

    it('refuses --artifact-store s3 without a bucket, saying how to name one', () => {
      const error = configErrorOf(config({ artifactStore: 's3' }));
      expect(error.problems).toEqual(['--artifact-store s3 needs a bucket: pass --s3-bucket BUCKET or set ENTRENAR_S3_BUCKET']);
    });

    it('keeps S3 settings that are given with the local store (they are simply unused)', () => {
      expect(validateServerConfig(config({ s3Bucket: 'later', s3ForcePathStyle: true })).s3Bucket).toBe('later');
    });

    it('refuses an endpoint carrying credentials, without echoing it', () => {
      const error = configErrorOf(s3({ s3Endpoint: 'http://admin:hunter2@minio.internal:9000' }));
      expect(error.problems).toHaveLength(1);
      expect(error.problems[0]).toMatch(
        /^--s3-endpoint \(ENTRENAR_S3_ENDPOINT\): must be an http:\/\/ or https:\/\/ URL without credentials/,
      );
      expect(error.message).not.toContain('hunter2');
      expect(error.message).not.toContain('admin');
      expect(error.message).not.toContain('minio.internal');
    });

    it('reports a missing bucket together with other bad S3 settings', () => {
      const error = configErrorOf(config({ artifactStore: 's3', s3Prefix: '/x', s3Region: 'no way' }));
      expect(error.problems).toHaveLength(3);
      expect(error.message).toContain('--s3-prefix (ENTRENAR_S3_PREFIX)');
      expect(error.message).toContain('--s3-region (ENTRENAR_S3_REGION)');
      expect(error.message).toContain('--artifact-store s3 needs a bucket');
    });
  });
});
