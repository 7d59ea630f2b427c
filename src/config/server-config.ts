/** The settings a tracking server runs with, after defaults and validation. */
export type AuthType = 'none' | 'api_key';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export const AUTH_TYPES: readonly AuthType[] = ['none', 'api_key'];
export const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

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
  maxBodySize: number;
  requestTimeoutSecs: number;
  maxBatchPoints: number;
  logLevel: LogLevel;
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
  maxBodySize: 100 * MIB,
  requestTimeoutSecs: 300,
  maxBatchPoints: 10_000,
  logLevel: 'info',
});
