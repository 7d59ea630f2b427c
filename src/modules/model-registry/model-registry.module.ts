import { Module } from '@nestjs/common';
import { LoggedModelsModule } from '../logged-models/logged-models.module.js';
import { MlflowModelRegistryController } from './mlflow-model-registry.controller.js';
import { MlflowModelRegistryService } from './mlflow-model-registry.service.js';
import { ModelRegistryViews } from './model-registry-views.service.js';
import { ModelRegistryController } from './model-registry.controller.js';
import { ModelRegistryService } from './model-registry.service.js';
import { modelRegistryStoreProvider } from './model-registry.store.provider.js';

/**
 * The model registry: registered models and their versions, for /api/v1/models and MLflow's
 * registry RPCs. Import it before MlflowModule, whose catch-all answers unsupported MLflow routes.
 */
@Module({
  imports: [LoggedModelsModule],
  controllers: [ModelRegistryController, MlflowModelRegistryController],
  providers: [ModelRegistryService, ModelRegistryViews, MlflowModelRegistryService, modelRegistryStoreProvider],
  exports: [ModelRegistryService],
})
export class ModelRegistryModule {}
