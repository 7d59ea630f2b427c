import { Global, Logger, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, DataSourceOptions } from 'typeorm';
import { SERVER_CONFIG } from '../config/config.module.js';
import type { ServerConfig } from '../config/server-config.js';
import { dataSourceOptions } from './data-source.js';
import { databaseSettings } from './database-settings.js';
import { SqlClient } from './sql-client.js';

/** Arbitrary but fixed: every replica takes this PostgreSQL advisory lock to migrate one at a time. */
const MIGRATION_LOCK_ID = 0x656e7472;

async function openAndMigrate(options: DataSourceOptions, label: string): Promise<DataSource> {
  const logger = new Logger('Database');
  const dataSource = await new DataSource(options).initialize();
  const sql = new SqlClient(dataSource);
  const applied = await sql.withAdvisoryLock(MIGRATION_LOCK_ID, () => dataSource.runMigrations({ transaction: 'each' }));
  logger.log(`${label}: ${applied.length} migration(s) applied${applied.length ? ` (${applied.map((m) => m.name).join(', ')})` : ''}`);
  return dataSource;
}

@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [SERVER_CONFIG],
      useFactory: (config: ServerConfig) => ({ ...dataSourceOptions(databaseSettings(config)), retryAttempts: 0 }),
      dataSourceFactory: async (options?: DataSourceOptions) => {
        if (!options) {
          throw new Error('no database options');
        }
        const label = options.type === 'postgres' ? 'postgres' : 'sqlite';
        return openAndMigrate(options, label);
      },
    }),
  ],
  providers: [{ provide: SqlClient, inject: [DataSource], useFactory: (dataSource: DataSource) => new SqlClient(dataSource) }],
  exports: [SqlClient],
})
export class DatabaseModule {}
