import { Command, Option } from 'commander';
import { RawSettings, resolveServerConfig, settingsFromEnvironment } from './load-config.js';
import { DEFAULT_SERVER_CONFIG, ServerConfig } from './server-config.js';
import { SETTINGS, SettingSpec } from './settings.js';

function defaultShown(spec: SettingSpec): string {
  if (spec.defaultText !== undefined) {
    return spec.defaultText;
  }
  const value = DEFAULT_SERVER_CONFIG[spec.key];
  if (spec.key === 'databaseUrl') {
    return 'sqlite:<data-dir>/entrenar.db';
  }
  if (Array.isArray(value)) {
    return value.length === 0 ? 'none' : value.join(',');
  }
  return String(value);
}

function optionFor(spec: SettingSpec): Option {
  const flags = spec.kind === 'bool' ? spec.flag : `${spec.flag} <${spec.valueName ?? 'VALUE'}>`;
  const option = new Option(flags, `${spec.description} [env: ${spec.env}] [default: ${defaultShown(spec)}]`);
  if (spec.kind === 'list') {
    option.argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]);
  }
  if (spec.choices) {
    option.choices([...spec.choices]);
  }
  return option;
}

/**
 * The `entrenar` command line. `onServer` receives the validated configuration
 * (defaults < ENTRENAR_* environment < flags).
 */
export function buildCli(onServer: (config: ServerConfig) => Promise<void>, env: NodeJS.ProcessEnv = process.env): Command {
  const program = new Command('entrenar')
    .description('entrenar-tracking: an experiment-tracking server')
    .showHelpAfterError()
    .exitOverride();
  const server = program
    .command('server')
    .description('Start the tracking server (REST API under /api/v1, MLflow-compatible API under /api/2.0/mlflow).');
  for (const spec of SETTINGS) {
    server.addOption(optionFor(spec));
  }
  server.action(async (options: Record<string, string | string[] | boolean>) => {
    const fromFlags: RawSettings = {};
    for (const spec of SETTINGS) {
      const attribute = spec.flag.replace(/^--/, '').replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
      if (options[attribute] !== undefined) {
        fromFlags[spec.key] = options[attribute];
      }
    }
    await onServer(resolveServerConfig(settingsFromEnvironment(env), fromFlags));
  });
  return program;
}
