import { plainToInstance } from 'class-transformer';
import proxyAddr from 'proxy-addr';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsString,
  IsUrl,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateIf,
  validateSync,
} from 'class-validator';
import { ARTIFACT_STORES, AUTH_TYPES, LOG_LEVELS } from './server-config.js';
import type { ArtifactStoreKind, AuthType, LogLevel, ServerConfig } from './server-config.js';
import { SETTINGS } from './settings.js';

/** Shorter keys could be guessed by trying them (failed attempts are also throttled, see AuthGate). */
export const MIN_API_KEY_LENGTH = 16;
/** RFC 6750 b64token: what a Bearer credential may contain. */
const BEARER_TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
const ORIGIN = /^(\*|https?:\/\/[^\s/]+)$/;
/** AWS's bucket rules, loosened to what Ceph and older services also accept (capitals, underscores, 255 long). */
const S3_BUCKET = /^[A-Za-z0-9][A-Za-z0-9._-]{1,253}[A-Za-z0-9]$/;
/** Folders of safe key characters, each ending in `/` but perhaps the last; no `.` or `..` folder. */
const S3_PREFIX = /^(?!\.{1,2}(\/|$))(?!.*\/\.{1,2}(\/|$))([A-Za-z0-9._-]+\/)*[A-Za-z0-9._-]*$/;
const S3_REGION = /^[A-Za-z0-9_-]{1,64}$/;

class ServerConfigSchema implements ServerConfig {
  @IsString() @IsNotEmpty() host!: string;
  @IsInt() @Min(0) @Max(65535) port!: number;
  @IsIn(AUTH_TYPES) authType!: AuthType;
  @IsArray()
  @ArrayMaxSize(1000)
  @Matches(BEARER_TOKEN, { each: true, message: 'each key must be a bearer token: letters, digits and -._~+/ (then = padding)' })
  @MinLength(MIN_API_KEY_LENGTH, {
    each: true,
    message: `each key must be at least ${MIN_API_KEY_LENGTH} characters long, so it cannot be guessed (e.g. openssl rand -hex 24)`,
  })
  apiKeys!: string[];
  @IsString() @IsNotEmpty() dataDir!: string;
  @IsString()
  @ValidateIf((config: ServerConfigSchema) => config.databaseUrl !== '')
  @Matches(/^(sqlite:.+|postgres(ql)?:\/\/.+)$/, { message: 'must be sqlite:<path> or postgres://…' })
  databaseUrl!: string;
  @IsBoolean() cors!: boolean;
  @IsArray() @Matches(ORIGIN, { each: true, message: 'each origin must look like https://host[:port] or *' }) corsOrigins!: string[];
  @IsInt() @Min(1024) maxBodySize!: number;
  @IsInt() @Min(1024) maxJsonBodySize!: number;
  @IsInt() @Min(1) @Max(86_400) requestTimeoutSecs!: number;
  @IsInt() @Min(1) @Max(1_000_000) maxBatchPoints!: number;
  @IsInt() @Min(0) @Max(31_536_000) runTimeoutSecs!: number;
  @IsInt() @Min(1) @Max(3600) shutdownTimeoutSecs!: number;
  @IsIn(LOG_LEVELS) logLevel!: LogLevel;
  @IsIn(ARTIFACT_STORES) artifactStore!: ArtifactStoreKind;
  @IsString()
  @ValidateIf((config: ServerConfigSchema) => config.s3Bucket !== '')
  @Matches(S3_BUCKET, {
    message: 'must be a bucket name: 3 to 255 letters, digits, dots, hyphens or underscores, starting and ending with a letter or digit',
  })
  s3Bucket!: string;
  @IsString()
  @ValidateIf((config: ServerConfigSchema) => config.s3Prefix !== '')
  @MaxLength(512)
  @Matches(S3_PREFIX, {
    message: 'must be folders of letters, digits and . _ - separated by /, like entrenar/ (no leading /, no . or .. folders)',
  })
  s3Prefix!: string;
  @IsString()
  @ValidateIf((config: ServerConfigSchema) => config.s3Endpoint !== '')
  @IsUrl(
    {
      protocols: ['http', 'https'],
      require_protocol: true,
      require_tld: false,
      disallow_auth: true,
      allow_query_components: false,
      allow_fragments: false,
    },
    { message: 'must be an http:// or https:// URL without credentials (they come from the AWS environment), like http://127.0.0.1:9000' },
  )
  s3Endpoint!: string;
  @IsString()
  @ValidateIf((config: ServerConfigSchema) => config.s3Region !== '')
  @Matches(S3_REGION, { message: 'must be a region name such as us-east-1' })
  s3Region!: string;
  @IsBoolean() s3ForcePathStyle!: boolean;
  @IsInt() @Min(0) @Max(1_000_000) authFailureLimit!: number;
  @IsArray() @IsString({ each: true }) trustProxy!: string[];
  @IsBoolean() disableHotWriteLane!: boolean;
  @IsBoolean() metricsPublic!: boolean;
}

/** Why proxy-addr would refuse this list of trusted proxies, if it would. */
function untrustableProxy(trustProxy: unknown): string | undefined {
  if (!Array.isArray(trustProxy) || trustProxy.length === 0) {
    return undefined;
  }
  try {
    proxyAddr.compile(trustProxy as string[]);
    return undefined;
  } catch (error) {
    return `each entry must be an IP address, a CIDR range, or loopback, linklocal or uniquelocal (${error instanceof Error ? error.message : String(error)})`;
  }
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
  const badProxy = untrustableProxy(candidate.trustProxy);
  if (badProxy !== undefined) {
    problems.push(`--trust-proxy (ENTRENAR_TRUST_PROXY): ${badProxy}`);
  }
  if (candidate.artifactStore === 's3' && !candidate.s3Bucket) {
    problems.push('--artifact-store s3 needs a bucket: pass --s3-bucket BUCKET or set ENTRENAR_S3_BUCKET');
  }
  if (problems.length > 0) {
    throw new ConfigError(problems);
  }
  return { ...candidate, apiKeys: [...candidate.apiKeys], corsOrigins: [...candidate.corsOrigins], trustProxy: [...candidate.trustProxy] };
}
