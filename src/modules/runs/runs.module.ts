import { Module } from '@nestjs/common';
import { ExperimentsModule } from '../experiments/experiments.module.js';
import { RunRepository } from './run.repository.js';
import { RunsController } from './runs.controller.js';
import { RunsService } from './runs.service.js';

@Module({
  imports: [ExperimentsModule],
  controllers: [RunsController],
  providers: [RunsService, RunRepository],
  exports: [RunsService, RunRepository],
})
export class RunsModule {}
