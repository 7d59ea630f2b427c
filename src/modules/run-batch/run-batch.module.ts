import { Module } from '@nestjs/common';
import { ChangeFeedModule } from '../live/change-feed.module.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { ParamsModule } from '../params/params.module.js';
import { RunsModule } from '../runs/runs.module.js';
import { RunBatchService } from './run-batch.service.js';

/** Writes to a run that span params, metrics and tags in one transaction. */
@Module({
  imports: [RunsModule, ParamsModule, MetricsModule, ChangeFeedModule],
  providers: [RunBatchService],
  exports: [RunBatchService],
})
export class RunBatchModule {}
