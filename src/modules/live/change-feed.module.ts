import { Module } from '@nestjs/common';
import { SERVER_CONFIG } from '../../config/config.module.js';
import type { ServerConfig } from '../../config/server-config.js';
import { createChangeChannel } from '../../database/change-channel.js';
import { databaseSettings } from '../../database/database-settings.js';
import { SqlClient } from '../../database/sql-client.js';
import { ExperimentsModule } from '../experiments/experiments.module.js';
import { CHANGE_CHANNEL_TOKEN, ChangeFeedService, DEFAULT_LIVE_TIMINGS, LIVE_TIMINGS } from './change-feed.service.js';

/**
 * The feed of run changes alone, without the routes: the modules that write (runs, metrics,
 * params, artifacts, MLflow) import it to report their changes, and LiveModule, which also
 * needs those modules, reads it, so no import goes round in a circle.
 */
@Module({
  imports: [ExperimentsModule],
  providers: [
    ChangeFeedService,
    {
      provide: CHANGE_CHANNEL_TOKEN,
      inject: [SERVER_CONFIG, SqlClient],
      useFactory: (config: ServerConfig, sql: SqlClient) => createChangeChannel(databaseSettings(config), sql),
    },
    { provide: LIVE_TIMINGS, useValue: DEFAULT_LIVE_TIMINGS },
  ],
  exports: [ChangeFeedService, LIVE_TIMINGS],
})
export class ChangeFeedModule {}
