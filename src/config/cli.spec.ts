import { jest } from '@jest/globals';
import { Command, CommanderError } from 'commander';
import { buildCli } from './cli.js';
import { ConfigError } from './config-validation.js';
import { DEFAULT_SERVER_CONFIG, ServerConfig } from './server-config.js';
import { SETTINGS } from './settings.js';

interface Harness {
  program: Command;
  onServer: jest.Mock<(config: ServerConfig) => Promise<void>>;
  out: () => string;
  err: () => string;
}

/** The CLI with its output captured (wide, so every option's help stays on one line) and no process exit. */
function harness(env: NodeJS.ProcessEnv = {}): Harness {
  const onServer = jest.fn<(config: ServerConfig) => Promise<void>>(() => Promise.resolve());
  const program = buildCli(onServer, env);
  let out = '';
  let err = '';
  const output = {
    writeOut: (text: string) => {
      out += text;
    },
    writeErr: (text: string) => {
      err += text;
    },
    getOutHelpWidth: () => 1000,
    getErrHelpWidth: () => 1000,
  };
  for (const command of [program, ...program.commands]) {
    command.configureOutput(output);
    command.exitOverride();
  }
  return { program, onServer, out: () => out, err: () => err };
}

async function commanderErrorOf(promise: Promise<unknown>): Promise<CommanderError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error;
    }
    throw error;
  }
  throw new Error('expected a CommanderError');
}

function configOf(h: Harness): ServerConfig {
  expect(h.onServer).toHaveBeenCalledTimes(1);
  return h.onServer.mock.calls[0][0];
}

describe('entrenar server --help', () => {
  let h: Harness;
  let helpLines: string[];

  beforeAll(async () => {
    h = harness();
    const error = await commanderErrorOf(h.program.parseAsync(['node', 'entrenar', 'server', '--help']));
    expect(error.code).toBe('commander.helpDisplayed');
    expect(error.exitCode).toBe(0);
    helpLines = h.out().split('\n');
  });

  it('prints usage to standard output and does not start a server', () => {
    expect(h.out()).toContain('Usage: entrenar server [options]');
    expect(h.err()).toBe('');
    expect(h.onServer).not.toHaveBeenCalled();
  });

  it.each(SETTINGS.map((spec) => [spec.flag, spec] as const))('documents %s with its environment twin and default', (flag, spec) => {
    const line = helpLines.find((text) => text.trimStart().startsWith(`${flag} `) || text.trim() === flag);
    expect(line).toBeDefined();
    expect(line).toContain(`[env: ${spec.env}]`);
    expect(line).toContain('[default: ');
    expect(line).toContain(spec.description);
    if (spec.kind !== 'bool') {
      expect(line).toContain(`${flag} <${spec.valueName}>`);
    }
  });

  it('says what an empty default means instead of showing an empty one', () => {
    expect(h.out()).not.toContain('[default: ]');
    expect(helpLines.find((text) => text.includes('--s3-endpoint <URL>'))).toContain('[default: AWS S3]');
    expect(helpLines.find((text) => text.includes('--s3-prefix <PREFIX>'))).toContain('[default: the bucket root]');
    expect(helpLines.find((text) => text.includes('--s3-bucket <BUCKET>'))).toContain('[default: none]');
  });

  it('lists the choices of enumerated settings', () => {
    const authLine = helpLines.find((text) => text.includes('--auth-type <TYPE>'));
    expect(authLine).toContain('(choices: "none", "api_key")');
  });

  it('shows defaults without secrets', () => {
    const text = h.out();
    expect(text).toContain('[default: 127.0.0.1]');
    expect(text).toContain('[default: 5000]');
    expect(text).toContain(`[default: ${DEFAULT_SERVER_CONFIG.maxBodySize}]`);
    expect(text).toContain('[default: sqlite:<data-dir>/entrenar.db]');
  });
});

describe('entrenar server (parsing)', () => {
  it('passes the validated configuration from flags to onServer, repeatable --api-key collected in order', async () => {
    const h = harness();
    await h.program.parseAsync([
      'node',
      'entrenar',
      'server',
      '--port',
      '8080',
      '--api-key',
      'a'.repeat(16),
      '--api-key',
      'b'.repeat(16),
      '--auth-type',
      'api_key',
    ]);
    expect(configOf(h)).toEqual({ ...DEFAULT_SERVER_CONFIG, port: 8080, apiKeys: ['a'.repeat(16), 'b'.repeat(16)], authType: 'api_key' });
  });

  it('uses defaults with no flags and an empty environment', async () => {
    const h = harness();
    await h.program.parseAsync(['node', 'entrenar', 'server']);
    expect(configOf(h)).toEqual(DEFAULT_SERVER_CONFIG);
  });

  it('reads the ENTRENAR_* environment it was given, and lets flags win over it', async () => {
    const h = harness({
      ENTRENAR_PORT: '7000',
      ENTRENAR_HOST: '0.0.0.0',
      ENTRENAR_AUTH_TYPE: 'api_key',
      ENTRENAR_API_KEY: 'env-a-0123456789ab,env-b-0123456789ab',
      ENTRENAR_LOG_LEVEL: 'warn',
    });
    await h.program.parseAsync(['node', 'entrenar', 'server', '--port', '9000', '--log-level', 'debug']);
    const config = configOf(h);
    expect(config.port).toBe(9000);
    expect(config.logLevel).toBe('debug');
    expect(config.host).toBe('0.0.0.0');
    expect(config.authType).toBe('api_key');
    expect(config.apiKeys).toEqual(['env-a-0123456789ab', 'env-b-0123456789ab']);
  });

  it('maps every multi-word flag onto its setting', async () => {
    const h = harness();
    await h.program.parseAsync([
      'node',
      'entrenar',
      'server',
      '--host',
      '0.0.0.0',
      '--data-dir',
      '/srv/entrenar',
      '--database-url',
      'sqlite:/srv/entrenar/db.sqlite',
      '--cors',
      '--cors-origin',
      'https://a.example',
      '--cors-origin',
      'https://b.example',
      '--max-body-size',
      '4096',
      '--request-timeout-secs',
      '60',
      '--max-batch-points',
      '250',
      '--log-level',
      'error',
    ]);
    expect(configOf(h)).toEqual({
      ...DEFAULT_SERVER_CONFIG,
      host: '0.0.0.0',
      dataDir: '/srv/entrenar',
      databaseUrl: 'sqlite:/srv/entrenar/db.sqlite',
      cors: true,
      corsOrigins: ['https://a.example', 'https://b.example'],
      maxBodySize: 4096,
      requestTimeoutSecs: 60,
      maxBatchPoints: 250,
      logLevel: 'error',
    });
  });

  it('maps the artifact store and S3 flags onto their settings', async () => {
    const h = harness();
    await h.program.parseAsync([
      'node',
      'entrenar',
      'server',
      '--artifact-store',
      's3',
      '--s3-bucket',
      'checkpoints',
      '--s3-prefix',
      'team-a/',
      '--s3-endpoint',
      'http://127.0.0.1:9000',
      '--s3-region',
      'eu-west-1',
      '--s3-force-path-style',
    ]);
    expect(configOf(h)).toEqual({
      ...DEFAULT_SERVER_CONFIG,
      artifactStore: 's3',
      s3Bucket: 'checkpoints',
      s3Prefix: 'team-a/',
      s3Endpoint: 'http://127.0.0.1:9000',
      s3Region: 'eu-west-1',
      s3ForcePathStyle: true,
    });
  });

  it('maps --metrics-public onto metricsPublic', async () => {
    const h = harness();
    await h.program.parseAsync([
      'node',
      'entrenar',
      'server',
      '--auth-type',
      'api_key',
      '--api-key',
      'k-1-0123456789abcdef',
      '--metrics-public',
    ]);
    expect(configOf(h)).toEqual({ ...DEFAULT_SERVER_CONFIG, authType: 'api_key', apiKeys: ['k-1-0123456789abcdef'], metricsPublic: true });
  });

  it('refuses --artifact-store s3 without a bucket before starting anything', async () => {
    const h = harness({ ENTRENAR_ARTIFACT_STORE: 's3' });
    await expect(h.program.parseAsync(['node', 'entrenar', 'server'])).rejects.toThrow(ConfigError);
    expect(h.onServer).not.toHaveBeenCalled();
  });

  it('rejects an unknown artifact store, naming the allowed ones', async () => {
    const h = harness();
    const error = await commanderErrorOf(h.program.parseAsync(['node', 'entrenar', 'server', '--artifact-store', 'gcs']));
    expect(error.code).toBe('commander.invalidArgument');
    expect(error.message).toContain('Allowed choices are local, s3');
    expect(h.onServer).not.toHaveBeenCalled();
  });

  it('rejects an invalid choice before starting anything, naming the allowed ones', async () => {
    const h = harness();
    const error = await commanderErrorOf(h.program.parseAsync(['node', 'entrenar', 'server', '--auth-type', 'oauth']));
    expect(error.code).toBe('commander.invalidArgument');
    expect(error.exitCode).not.toBe(0);
    expect(error.message).toContain('oauth');
    expect(error.message).toContain('none, api_key');
    expect(h.err()).toContain("argument 'oauth' is invalid");
    expect(h.onServer).not.toHaveBeenCalled();
  });

  it('rejects an unknown flag', async () => {
    const h = harness();
    const error = await commanderErrorOf(h.program.parseAsync(['node', 'entrenar', 'server', '--prot', '1']));
    expect(error.code).toBe('commander.unknownOption');
    expect(h.onServer).not.toHaveBeenCalled();
  });

  it('refuses --auth-type api_key without a key with a ConfigError, and does not start', async () => {
    const h = harness();
    await expect(h.program.parseAsync(['node', 'entrenar', 'server', '--auth-type', 'api_key'])).rejects.toThrow(ConfigError);
    await expect(harness().program.parseAsync(['node', 'entrenar', 'server', '--auth-type', 'api_key'])).rejects.toThrow(
      '--auth-type api_key needs at least one key',
    );
    expect(h.onServer).not.toHaveBeenCalled();
  });

  it('reports bad values from flags and environment together, without echoing keys', async () => {
    const h = harness({ ENTRENAR_LOG_LEVEL: 'loud', ENTRENAR_API_KEY: 'not a token' });
    let caught: unknown;
    try {
      await h.program.parseAsync(['node', 'entrenar', 'server', '--port', '70000']);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const problems = (caught as ConfigError).problems;
    expect(problems).toHaveLength(3);
    expect(problems.some((problem) => problem.startsWith('--port (ENTRENAR_PORT)'))).toBe(true);
    expect(problems.some((problem) => problem.startsWith('--log-level (ENTRENAR_LOG_LEVEL)'))).toBe(true);
    expect(problems.some((problem) => problem.startsWith('--api-key (ENTRENAR_API_KEY)'))).toBe(true);
    expect((caught as ConfigError).message).not.toContain('not a token');
    expect(h.onServer).not.toHaveBeenCalled();
  });
});
