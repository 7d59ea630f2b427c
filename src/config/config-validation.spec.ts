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
    const input = config({ authType: 'api_key', apiKeys: ['key-1'], corsOrigins: ['https://a.example'] });
    const validated = validateServerConfig(input);
    input.apiKeys.push('key-2');
    input.corsOrigins.push('https://b.example');
    expect(validated.apiKeys).toEqual(['key-1']);
    expect(validated.corsOrigins).toEqual(['https://a.example']);
  });

  it('accepts every well-formed value at the edges of its range', () => {
    const edges = config({
      port: 65535,
      authType: 'api_key',
      apiKeys: ['abc-DEF_123.~+/=='],
      databaseUrl: 'postgresql://user:pw@db:5432/entrenar',
      cors: true,
      corsOrigins: ['*', 'http://localhost:3000', 'https://dash.example.com'],
      maxBodySize: 1024,
      requestTimeoutSecs: 86_400,
      maxBatchPoints: 1_000_000,
      logLevel: 'silent',
    });
    expect(validateServerConfig(edges)).toEqual(edges);
    expect(validateServerConfig(config({ port: 0, requestTimeoutSecs: 1, maxBatchPoints: 1 })).port).toBe(0);
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
    ['logLevel', 'loud', '--log-level (ENTRENAR_LOG_LEVEL)'],
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
    expect(validateServerConfig(config({ authType: 'api_key', apiKeys: ['k'] })).apiKeys).toEqual(['k']);
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

  it('marks exactly the API keys and the database URL as secret', () => {
    expect(SETTINGS.filter((setting) => setting.secret).map((setting) => setting.key)).toEqual(['apiKeys', 'databaseUrl']);
  });
});
