import { ConfigError } from './config-validation.js';
import { resolveServerConfig, serverConfig, settingsFromEnvironment } from './load-config.js';
import { DEFAULT_SERVER_CONFIG, MIB, ServerConfig } from './server-config.js';
import { SETTINGS } from './settings.js';

function configErrorOf(action: () => unknown): ConfigError {
  try {
    action();
  } catch (error) {
    if (error instanceof ConfigError) {
      return error;
    }
    throw error;
  }
  throw new Error('expected a ConfigError, but the configuration was accepted');
}

/** A valid environment value for every setting, and what it must become. */
const ENV_SAMPLES: Record<keyof ServerConfig, { env: string; expected: unknown }> = {
  host: { env: '0.0.0.0', expected: '0.0.0.0' },
  port: { env: '8081', expected: 8081 },
  authType: { env: 'api_key', expected: 'api_key' },
  apiKeys: { env: 'key-one,key-two', expected: ['key-one', 'key-two'] },
  dataDir: { env: '/var/lib/entrenar', expected: '/var/lib/entrenar' },
  databaseUrl: { env: 'postgres://u:p@db:5432/entrenar', expected: 'postgres://u:p@db:5432/entrenar' },
  cors: { env: 'true', expected: true },
  corsOrigins: { env: 'https://a.example,https://b.example', expected: ['https://a.example', 'https://b.example'] },
  maxBodySize: { env: '2048', expected: 2048 },
  requestTimeoutSecs: { env: '30', expected: 30 },
  maxBatchPoints: { env: '500', expected: 500 },
  runTimeoutSecs: { env: '120', expected: 120 },
  logLevel: { env: 'debug', expected: 'debug' },
  artifactStore: { env: 's3', expected: 's3' },
  s3Bucket: { env: 'checkpoints', expected: 'checkpoints' },
  s3Prefix: { env: 'team-a/entrenar/', expected: 'team-a/entrenar/' },
  s3Endpoint: { env: 'http://127.0.0.1:9000', expected: 'http://127.0.0.1:9000' },
  s3Region: { env: 'eu-west-1', expected: 'eu-west-1' },
  s3ForcePathStyle: { env: 'true', expected: true },
};

describe('settings table', () => {
  it('names the environment twin of every flag ENTRENAR_ + the flag uppercased with - → _', () => {
    expect(SETTINGS.length).toBeGreaterThan(0);
    for (const spec of SETTINGS) {
      expect(spec.flag).toMatch(/^--[a-z][a-z0-9-]*$/);
      expect(spec.env).toBe(`ENTRENAR_${spec.flag.slice(2).toUpperCase().replace(/-/g, '_')}`);
    }
  });

  it('has exactly one row per ServerConfig key', () => {
    expect(SETTINGS.map((spec) => spec.key).sort()).toEqual(Object.keys(DEFAULT_SERVER_CONFIG).sort());
  });
});

describe('defaults', () => {
  it('resolve, with no environment and no flags, to the documented defaults', () => {
    expect(resolveServerConfig(settingsFromEnvironment({}))).toEqual({
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
  });

  it('are what serverConfig() gives without overrides', () => {
    expect(serverConfig()).toEqual(DEFAULT_SERVER_CONFIG);
  });
});

describe('settingsFromEnvironment', () => {
  it('reads only ENTRENAR_* variables that name a setting, and ignores empty ones', () => {
    const raw = settingsFromEnvironment({ ENTRENAR_PORT: '7000', ENTRENAR_HOST: '', ENTRENAR_UNKNOWN: 'x', PORT: '1', HOST: 'h' });
    expect(raw).toEqual({ port: '7000' });
  });

  it.each(SETTINGS.map((spec) => [spec.env, spec] as const))('reads %s into its setting', (env, spec) => {
    const sample = ENV_SAMPLES[spec.key];
    const needs: Partial<Record<keyof ServerConfig, NodeJS.ProcessEnv>> = {
      authType: { ENTRENAR_API_KEY: 'k' },
      artifactStore: { ENTRENAR_S3_BUCKET: 'b-1' },
    };
    const extra = needs[spec.key] ?? {};
    const config = resolveServerConfig(settingsFromEnvironment({ ...extra, [env]: sample.env }));
    expect(config[spec.key]).toEqual(sample.expected);
    expect(config[spec.key]).not.toEqual(DEFAULT_SERVER_CONFIG[spec.key]);
  });

  it('splits lists on commas, trimming blanks and dropping empty items', () => {
    const config = resolveServerConfig(
      settingsFromEnvironment({ ENTRENAR_API_KEY: ' a , b,,c ', ENTRENAR_CORS_ORIGIN: 'https://x.example, https://y.example' }),
    );
    expect(config.apiKeys).toEqual(['a', 'b', 'c']);
    expect(config.corsOrigins).toEqual(['https://x.example', 'https://y.example']);
  });

  it.each([
    ['1', true],
    ['yes', true],
    ['ON', true],
    [' true ', true],
    ['0', false],
    ['no', false],
    ['off', false],
    ['FALSE', false],
  ])('reads ENTRENAR_CORS=%j as %s', (text, expected) => {
    expect(resolveServerConfig(settingsFromEnvironment({ ENTRENAR_CORS: text })).cors).toBe(expected);
  });
});

describe('resolveServerConfig', () => {
  it('lets flags override the environment, setting by setting', () => {
    const fromEnv = settingsFromEnvironment({
      ENTRENAR_PORT: '7000',
      ENTRENAR_HOST: '0.0.0.0',
      ENTRENAR_API_KEY: 'env-key-1,env-key-2',
      ENTRENAR_AUTH_TYPE: 'api_key',
    });
    const config = resolveServerConfig(fromEnv, { port: '8080', apiKeys: ['flag-key'] });
    expect(config.port).toBe(8080);
    expect(config.apiKeys).toEqual(['flag-key']);
    expect(config.host).toBe('0.0.0.0');
    expect(config.authType).toBe('api_key');
  });

  it('takes repeated list flags as several items, each also split on commas', () => {
    const config = resolveServerConfig({ corsOrigins: ['https://a.example', 'https://b.example,https://c.example'] });
    expect(config.corsOrigins).toEqual(['https://a.example', 'https://b.example', 'https://c.example']);
  });

  it('takes a boolean flag as given', () => {
    expect(resolveServerConfig(settingsFromEnvironment({ ENTRENAR_CORS: 'false' }), { cors: true }).cors).toBe(true);
  });

  it('passes unreadable numbers through to validation, which names the flag, the variable and the value', () => {
    const error = configErrorOf(() => resolveServerConfig(settingsFromEnvironment({ ENTRENAR_PORT: '80a' })));
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(/^--port \(ENTRENAR_PORT\): .*got "80a"$/);
  });

  it('refuses a number written with an exponent or a fraction', () => {
    expect(configErrorOf(() => resolveServerConfig({ maxBodySize: '1e6' })).problems[0]).toContain('--max-body-size');
    expect(configErrorOf(() => resolveServerConfig({ requestTimeoutSecs: '2.5' })).problems[0]).toContain('--request-timeout-secs');
  });

  it('reports ALL bad environment settings at once, in one ConfigError naming each flag and variable', () => {
    const error = configErrorOf(() =>
      resolveServerConfig(
        settingsFromEnvironment({
          ENTRENAR_PORT: 'eighty',
          ENTRENAR_LOG_LEVEL: 'loud',
          ENTRENAR_CORS: 'maybe',
          ENTRENAR_MAX_BATCH_POINTS: '-3',
          ENTRENAR_AUTH_TYPE: 'password',
        }),
      ),
    );
    expect(error.problems).toHaveLength(5);
    for (const spec of SETTINGS.filter((setting) => ['port', 'logLevel', 'cors', 'maxBatchPoints', 'authType'].includes(setting.key))) {
      const mentions = error.problems.filter((problem) => problem.startsWith(`${spec.flag} (${spec.env}): `));
      expect(mentions).toHaveLength(1);
    }
  });

  it('refuses --auth-type api_key with no key from anywhere, with a clear message', () => {
    const error = configErrorOf(() => resolveServerConfig(settingsFromEnvironment({ ENTRENAR_AUTH_TYPE: 'api_key' })));
    expect(error.problems).toEqual(['--auth-type api_key needs at least one key: pass --api-key KEY or set ENTRENAR_API_KEY=key1,key2']);
  });

  it('counts an environment variable of blanks and commas as no key at all', () => {
    const error = configErrorOf(() =>
      resolveServerConfig(settingsFromEnvironment({ ENTRENAR_AUTH_TYPE: 'api_key', ENTRENAR_API_KEY: ' , ,' })),
    );
    expect(error.message).toContain('--auth-type api_key needs at least one key');
  });

  it('never shows API keys or database URLs in its errors', () => {
    const error = configErrorOf(() =>
      resolveServerConfig(
        settingsFromEnvironment({
          ENTRENAR_API_KEY: 'good-key,bad key with spaces',
          ENTRENAR_DATABASE_URL: 'mongodb://root:s3cr3t@mongo/db',
          ENTRENAR_PORT: '-1',
        }),
      ),
    );
    expect(error.problems).toHaveLength(3);
    expect(error.message).toContain('--api-key (ENTRENAR_API_KEY)');
    expect(error.message).toContain('--database-url (ENTRENAR_DATABASE_URL)');
    for (const secret of ['good-key', 'bad key', 's3cr3t', 'mongodb://']) {
      expect(error.message).not.toContain(secret);
    }
  });
});

describe('serverConfig (programmatic)', () => {
  it('applies typed overrides on top of the defaults', () => {
    const config = serverConfig({ port: 0, authType: 'api_key', apiKeys: ['k1'], logLevel: 'silent' });
    expect(config).toEqual({ ...DEFAULT_SERVER_CONFIG, port: 0, authType: 'api_key', apiKeys: ['k1'], logLevel: 'silent' });
  });

  it('refuses unknown keys, naming each', () => {
    const overrides = { prot: 1, apiKey: 'k' } as unknown as Partial<ServerConfig>;
    const error = configErrorOf(() => serverConfig(overrides));
    expect(error.problems).toEqual(['prot: not a server setting', 'apiKey: not a server setting']);
  });

  it('does not echo the value given under an unknown key (it may be a misspelt secret)', () => {
    const overrides = { apiKey: 'my-precious-key' } as unknown as Partial<ServerConfig>;
    expect(configErrorOf(() => serverConfig(overrides)).message).not.toContain('my-precious-key');
  });

  it('validates overrides like every other source, listing every problem', () => {
    const error = configErrorOf(() => serverConfig({ port: 99_999, maxBatchPoints: 0 }));
    expect(error.problems).toHaveLength(2);
    expect(error.message).toContain('--port (ENTRENAR_PORT)');
    expect(error.message).toContain('--max-batch-points (ENTRENAR_MAX_BATCH_POINTS)');
  });

  it('refuses api_key with no key', () => {
    expect(configErrorOf(() => serverConfig({ authType: 'api_key' })).message).toContain('--auth-type api_key needs at least one key');
  });

  it('keeps the default for an override that is present but undefined', () => {
    // Partial<ServerConfig> lets callers write serverConfig({ port: options.port }) with port undefined.
    expect(serverConfig({ port: undefined, logLevel: undefined })).toEqual(DEFAULT_SERVER_CONFIG);
  });

  it('refuses api_key with apiKeys: undefined through a ConfigError, not a crash', () => {
    const error = configErrorOf(() => serverConfig({ authType: 'api_key', apiKeys: undefined }));
    expect(error.message).toContain('--auth-type api_key needs at least one key');
  });
});
