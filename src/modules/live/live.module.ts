import { Module } from '@nestjs/common';
import { ExperimentsModule } from '../experiments/experiments.module.js';
import { RunsModule } from '../runs/runs.module.js';
import { ChangeFeedModule } from './change-feed.module.js';
import { LiveEventsController } from './live-events.controller.js';
import { LiveEventsService } from './live-events.service.js';
import { LiveStreamTargetGuard } from './live-stream-target.guard.js';

/** GET …/events: Server-Sent Events streams of run changes, read from the change feed. */
@Module({
  imports: [ChangeFeedModule, RunsModule, ExperimentsModule],
  controllers: [LiveEventsController],
  providers: [LiveEventsService, LiveStreamTargetGuard],
  exports: [LiveEventsService],
})
export class LiveModule {}
