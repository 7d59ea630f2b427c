import { Module } from '@nestjs/common';
import { ExperimentsModule } from '../experiments/experiments.module.js';
import { RunsModule } from '../runs/runs.module.js';
import { LoggedModelRepository } from './logged-model.repository.js';
import { LoggedModelsService } from './logged-models.service.js';
import { MlflowLoggedModelsController } from './mlflow-logged-models.controller.js';
import { MlflowLoggedModelsService } from './mlflow-logged-models.service.js';

/**
 * MLflow 3 logged models: what `mlflow.<flavor>.log_model` creates. Their files are served by
 * the artifact proxy (ArtifactsModule imports this module to find them).
 */
@Module({
  imports: [ExperimentsModule, RunsModule],
  controllers: [MlflowLoggedModelsController],
  providers: [LoggedModelRepository, LoggedModelsService, MlflowLoggedModelsService],
  exports: [LoggedModelsService],
})
export class LoggedModelsModule {}
