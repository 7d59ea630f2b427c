import { Module } from '@nestjs/common';
import { SERVER_CONFIG } from '../../config/config.module.js';
import type { ServerConfig } from '../../config/server-config.js';
import { ExperimentsModule } from '../experiments/experiments.module.js';
import { ChangeFeedModule } from '../live/change-feed.module.js';
import { LoggedModelsModule } from '../logged-models/logged-models.module.js';
import { RunsModule } from '../runs/runs.module.js';
import { ArtifactBlobRepository } from './artifact-blob.repository.js';
import { ArtifactGarbageCollector } from './artifact-gc.service.js';
import { ArtifactStore } from './artifact-store.js';
import { createArtifactStore } from './artifact-store.provider.js';
import { ArtifactTransferAdapter } from './artifact-transfer.adapter.js';
import { ArtifactRepository } from './artifact.repository.js';
import { ArtifactsController } from './artifacts.controller.js';
import { ArtifactsService } from './artifacts.service.js';
import { MlflowArtifactsController } from './mlflow-artifacts.controller.js';
import { MlflowArtifactsService } from './mlflow-artifacts.service.js';
import { MlflowMultipartService } from './mlflow-multipart.service.js';
import { MultipartUploadRepository } from './multipart-upload.repository.js';

@Module({
  imports: [RunsModule, ExperimentsModule, ChangeFeedModule, LoggedModelsModule],
  controllers: [ArtifactsController, MlflowArtifactsController],
  providers: [
    ArtifactsService,
    MlflowArtifactsService,
    MlflowMultipartService,
    MultipartUploadRepository,
    ArtifactRepository,
    ArtifactBlobRepository,
    ArtifactGarbageCollector,
    ArtifactTransferAdapter,
    {
      provide: ArtifactStore,
      inject: [SERVER_CONFIG],
      useFactory: (config: ServerConfig) => createArtifactStore(config),
    },
  ],
  exports: [ArtifactsService, ArtifactStore, ArtifactRepository, ArtifactGarbageCollector],
})
export class ArtifactsModule {}
