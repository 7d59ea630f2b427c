import path from 'node:path';
import { DatabaseSettings, ServerConfig } from '../config/server-config.js';

const DEFAULT_POSTGRES_POOL = 10;

/** Where the data lives: `sqlite:<path>` (default under the data directory) or a PostgreSQL URL. */
export function databaseSettings(config: Pick<ServerConfig, 'databaseUrl' | 'dataDir'>): DatabaseSettings {
  const url = config.databaseUrl;
  if (url === '') {
    return { kind: 'sqlite', path: path.resolve(config.dataDir, 'entrenar.db') };
  }
  if (url.startsWith('sqlite:')) {
    const location = url.slice('sqlite:'.length).replace(/^\/\//, '');
    return { kind: 'sqlite', path: location === ':memory:' ? location : path.resolve(location) };
  }
  return { kind: 'postgres', url, poolSize: DEFAULT_POSTGRES_POOL };
}

/** The URL with its password replaced, for log lines. */
export function redactedDatabaseUrl(settings: DatabaseSettings): string {
  if (settings.kind === 'sqlite') {
    return `sqlite:${settings.path}`;
  }
  try {
    const parsed = new URL(settings.url);
    if (parsed.password !== '') {
      parsed.password = '***';
    }
    return parsed.toString();
  } catch {
    return 'postgres://(unparsable url)';
  }
}
