import { Module } from '@nestjs/common';
import { ExperimentRepository } from './experiment.repository.js';
import { ExperimentsController } from './experiments.controller.js';
import { ExperimentsService } from './experiments.service.js';

@Module({
  controllers: [ExperimentsController],
  providers: [ExperimentsService, ExperimentRepository],
  exports: [ExperimentsService, ExperimentRepository],
})
export class ExperimentsModule {}
