import { plainToInstance } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsString,
  Matches,
  Max,
  Min,
  ValidateIf,
  validateSync,
} from 'class-validator';
import { AUTH_TYPES, LOG_LEVELS } from './server-config.js';
import type { AuthType, LogLevel, ServerConfig } from './server-config.js';
import { SETTINGS } from './settings.js';

/** RFC 6750 b64token: what a Bearer credential may contain. */
const BEARER_TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
const ORIGIN = /^(\*|https?:\/\/[^\s/]+)$/;

class ServerConfigSchema implements ServerConfig {
  @IsString() @IsNotEmpty() host!: string;
  @IsInt() @Min(0) @Max(65535) port!: number;
  @IsIn(AUTH_TYPES) authType!: AuthType;
  @IsArray()
  @ArrayMaxSize(1000)
  @Matches(BEARER_TOKEN, { each: true, message: 'each key must be a bearer token: letters, digits and -._~+/ (then = padding)' })
  apiKeys!: string[];
  @IsString() @IsNotEmpty() dataDir!: string;
  @IsString()
  @ValidateIf((config: ServerConfigSchema) => config.databaseUrl !== '')
  @Matches(/^(sqlite:.+|postgres(ql)?:\/\/.+)$/, { message: 'must be sqlite:<path> or postgres://…' })
  databaseUrl!: string;
  @IsBoolean() cors!: boolean;
  @IsArray() @Matches(ORIGIN, { each: true, message: 'each origin must look like https://host[:port] or *' }) corsOrigins!: string[];
  @IsInt() @Min(1024) maxBodySize!: number;
  @IsInt() @Min(1) @Max(86_400) requestTimeoutSecs!: number;
  @IsInt() @Min(1) @Max(1_000_000) maxBatchPoints!: number;
  @IsIn(LOG_LEVELS) logLevel!: LogLevel;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Checks every setting at once and lists every problem, naming the flag and its environment twin. */
export function validateServerConfig(candidate: ServerConfig): ServerConfig {
  const schema = plainToInstance(ServerConfigSchema, candidate);
  const problems: string[] = [];
  for (const error of validateSync(schema, { forbidUnknownValues: true })) {
    const spec = SETTINGS.find((setting) => setting.key === error.property);
    const name = spec ? `${spec.flag} (${spec.env})` : error.property;
    const shown = spec?.secret ? '' : `, got ${JSON.stringify(error.value)}`;
    const reasons = Object.values(error.constraints ?? {}).join('; ');
    problems.push(`${name}: ${reasons}${shown}`);
  }
  if (candidate.authType === 'api_key' && candidate.apiKeys.length === 0) {
    problems.push('--auth-type api_key needs at least one key: pass --api-key KEY or set ENTRENAR_API_KEY=key1,key2');
  }
  if (problems.length > 0) {
    throw new ConfigError(problems);
  }
  return { ...candidate, apiKeys: [...candidate.apiKeys], corsOrigins: [...candidate.corsOrigins] };
}
