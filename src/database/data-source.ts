import type BetterSqlite3 from 'better-sqlite3';
import { DataSourceOptions } from 'typeorm';
import { DatabaseSettings } from '../config/server-config.js';
import { InitialSchema1795766400000 } from './migrations/1795766400000-InitialSchema.js';
import { RunInputs1795766400050 } from './migrations/1795766400050-RunInputs.js';
import { RunSearchIndexes1795766400100 } from './migrations/1795766400100-RunSearchIndexes.js';
import { RunActivity1795766400300 } from './migrations/1795766400300-RunActivity.js';
import { IdempotencyKeys1795766400400 } from './migrations/1795766400400-IdempotencyKeys.js';
import { MetricRollups1795766400500 } from './migrations/1795766400500-MetricRollups.js';
import { ArtifactBlobs1795766400200 } from './migrations/1795766400200-ArtifactBlobs.js';
import { MultipartUploads1795766400600 } from './migrations/1795766400600-MultipartUploads.js';
import { ModelRegistry1795766400700 } from './migrations/1795766400700-ModelRegistry.js';
import { LoggedModels1795766400800 } from './migrations/1795766400800-LoggedModels.js';
import { ModelVersionLoggedModel1795766400900 } from './migrations/1795766400900-ModelVersionLoggedModel.js';

/** In order; listed rather than globbed so the build and the ESM loader agree on what exists. */
export const MIGRATIONS = [
  InitialSchema1795766400000,
  RunInputs1795766400050,
  RunSearchIndexes1795766400100,
  ArtifactBlobs1795766400200,
  RunActivity1795766400300,
  IdempotencyKeys1795766400400,
  MetricRollups1795766400500,
  MultipartUploads1795766400600,
  ModelRegistry1795766400700,
  LoggedModels1795766400800,
  ModelVersionLoggedModel1795766400900,
];

/** Milliseconds a SQLite writer waits for another process's lock before failing. */
export const SQLITE_BUSY_TIMEOUT_MS = 10_000;

/**
 * Connection settings shared by the server and the TypeORM CLI (`ormconfig.ts`).
 * The migrations are the only description of the schema: no entity is registered (the row types
 * under src/modules/<feature>/entities/ are plain interfaces, checked against the migrated tables
 * by test/http/schema-drift.http-spec.ts), so `synchronize` and `migration:generate` have
 * nothing to compare and cannot drift from the migrations.
 */
export function dataSourceOptions(settings: DatabaseSettings): DataSourceOptions {
  const common = {
    migrations: MIGRATIONS,
    migrationsRun: false,
    synchronize: false,
    logging: false,
  } as const;
  if (settings.kind === 'postgres') {
    return { ...common, type: 'postgres', url: settings.url, poolSize: settings.poolSize };
  }
  return {
    ...common,
    type: 'better-sqlite3',
    database: settings.path,
    timeout: SQLITE_BUSY_TIMEOUT_MS,
    enableWAL: true,
    prepareDatabase: (db: BetterSqlite3.Database) => {
      // WAL + NORMAL: a commit is in the WAL file before we answer, so it survives a crash of
      // the server process; only an OS crash or power loss could lose the last commits.
      db.pragma('synchronous = NORMAL');
      db.pragma('temp_store = MEMORY');
      db.pragma('cache_size = -16384');
    },
  };
}
