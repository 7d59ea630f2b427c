import { Module } from '@nestjs/common';
import { ExperimentsModule } from '../experiments/experiments.module.js';
import { LoggedModelsModule } from '../logged-models/logged-models.module.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { ParamsModule } from '../params/params.module.js';
import { RunBatchModule } from '../run-batch/run-batch.module.js';
import { RunsModule } from '../runs/runs.module.js';
import { MlflowExperimentsController } from './mlflow-experiments.controller.js';
import { MlflowExperimentsService } from './mlflow-experiments.service.js';
import { MlflowHistoryRepository } from './mlflow-history.repository.js';
import { mlflowRunDataProvider } from './mlflow-run-data.store.provider.js';
import { MlflowRunsController, MlflowUiController } from './mlflow-runs.controller.js';
import { MlflowRunsService } from './mlflow-runs.service.js';
import { MlflowServerController, MlflowUnsupportedController } from './mlflow-server.controller.js';

/**
 * MLflow's tracking REST API over the same data as /api/v1, so MLflow clients switch by
 * changing one URL. Import it last: its catch-all answers what no other route matched.
 */
@Module({
  imports: [ExperimentsModule, RunsModule, MetricsModule, ParamsModule, RunBatchModule, LoggedModelsModule],
  controllers: [MlflowExperimentsController, MlflowRunsController, MlflowUiController, MlflowServerController, MlflowUnsupportedController],
  providers: [MlflowExperimentsService, MlflowRunsService, MlflowHistoryRepository, mlflowRunDataProvider],
})
export class MlflowModule {}
