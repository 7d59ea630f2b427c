import { ConfigError, validateServerConfig } from './config-validation.js';
import { DEFAULT_SERVER_CONFIG, ServerConfig } from './server-config.js';
import { SETTINGS, SettingSpec } from './settings.js';

type RawValue = string | string[] | boolean;
export type RawSettings = Partial<Record<keyof ServerConfig, RawValue>>;

function splitList(value: RawValue): string[] {
  const items = Array.isArray(value) ? value : [String(value)];
  return items
    .flatMap((item) => item.split(','))
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

/** Reads one setting's text; what cannot be read is passed through as text so validation reports it. */
function convert(spec: SettingSpec, value: RawValue): unknown {
  switch (spec.kind) {
    case 'list':
      return splitList(value);
    case 'int': {
      const text = String(value).trim();
      return /^-?\d+$/.test(text) ? Number(text) : text;
    }
    case 'bool': {
      if (typeof value === 'boolean') {
        return value;
      }
      const text = String(value).trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(text)) {
        return true;
      }
      if (['0', 'false', 'no', 'off'].includes(text)) {
        return false;
      }
      return value;
    }
    case 'string':
    case 'enum':
      return Array.isArray(value) ? value.join(',') : String(value);
  }
}

/** The ENTRENAR_* variables that name a setting. This module is the only reader of process.env. */
export function settingsFromEnvironment(env: NodeJS.ProcessEnv = process.env): RawSettings {
  const raw: RawSettings = {};
  for (const spec of SETTINGS) {
    const value = env[spec.env];
    if (value !== undefined && value !== '') {
      raw[spec.key] = value;
    }
  }
  return raw;
}

/**
 * Builds the validated configuration: defaults, then the environment, then flags
 * (each later source wins). Throws ConfigError listing every bad setting.
 */
export function resolveServerConfig(...sources: RawSettings[]): ServerConfig {
  const merged: Record<string, unknown> = { ...DEFAULT_SERVER_CONFIG };
  for (const source of sources) {
    for (const spec of SETTINGS) {
      const value = source[spec.key];
      if (value !== undefined) {
        merged[spec.key] = convert(spec, value);
      }
    }
  }
  return validateServerConfig(merged as unknown as ServerConfig);
}

/** Programmatic configuration (embedding, tests): typed overrides on top of the defaults. */
export function serverConfig(overrides: Partial<ServerConfig> = {}): ServerConfig {
  const unknown = Object.keys(overrides).filter((key) => !(key in DEFAULT_SERVER_CONFIG));
  if (unknown.length > 0) {
    throw new ConfigError(unknown.map((key) => `${key}: not a server setting`));
  }
  // A key present but undefined means "not set", as it does for the other sources.
  const given = Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined));
  return validateServerConfig({ ...DEFAULT_SERVER_CONFIG, ...given });
}
