import { Module } from '@nestjs/common';
import { ExperimentsModule } from '../experiments/experiments.module.js';
import { ChangeFeedModule } from '../live/change-feed.module.js';
import { RunActivityService } from './run-activity.service.js';
import { RunInputRepository } from './run-input.repository.js';
import { RunRepository } from './run.repository.js';
import { RunsController } from './runs.controller.js';
import { RunsService } from './runs.service.js';

@Module({
  imports: [ExperimentsModule, ChangeFeedModule],
  controllers: [RunsController],
  providers: [RunsService, RunRepository, RunInputRepository, RunActivityService],
  exports: [RunsService, RunRepository, RunInputRepository, RunActivityService],
})
export class RunsModule {}
