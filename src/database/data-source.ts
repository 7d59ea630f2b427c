import type BetterSqlite3 from 'better-sqlite3';
import { DataSourceOptions } from 'typeorm';
import { DatabaseSettings } from '../config/server-config.js';
import { ArtifactEntity } from '../modules/artifacts/entities/artifact.entity.js';
import { ExperimentEntity, ExperimentTagEntity } from '../modules/experiments/entities/experiment.entity.js';
import { MetricPointEntity, MetricSeriesEntity } from '../modules/metrics/entities/metric.entity.js';
import { ParamEntity } from '../modules/params/entities/param.entity.js';
import { RunEntity, RunTagEntity } from '../modules/runs/entities/run.entity.js';
import { InitialSchema1795766400000 } from './migrations/1795766400000-InitialSchema.js';

export const ENTITIES = [
  ExperimentEntity,
  ExperimentTagEntity,
  RunEntity,
  RunTagEntity,
  ParamEntity,
  MetricSeriesEntity,
  MetricPointEntity,
  ArtifactEntity,
];

/** In order; listed rather than globbed so the build and the ESM loader agree on what exists. */
export const MIGRATIONS = [InitialSchema1795766400000];

/** Milliseconds a SQLite writer waits for another process's lock before failing. */
export const SQLITE_BUSY_TIMEOUT_MS = 10_000;

/**
 * Connection settings shared by the server and the TypeORM CLI (`ormconfig.ts`).
 * `synchronize` stays off: the schema only changes through migrations.
 */
export function dataSourceOptions(settings: DatabaseSettings): DataSourceOptions {
  const common = {
    entities: ENTITIES,
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
      db.pragma('cache_size = -65536');
    },
  };
}
