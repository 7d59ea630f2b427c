import { Module } from '@nestjs/common';
import path from 'node:path';
import { SERVER_CONFIG } from '../../config/config.module.js';
import type { ServerConfig } from '../../config/server-config.js';
import { RunsModule } from '../runs/runs.module.js';
import { ArtifactStore } from './artifact-store.js';
import { ArtifactTransferAdapter } from './artifact-transfer.adapter.js';
import { ArtifactRepository } from './artifact.repository.js';
import { ArtifactsController } from './artifacts.controller.js';
import { ArtifactsService } from './artifacts.service.js';
import { LocalArtifactStore } from './local-artifact.store.js';

@Module({
  imports: [RunsModule],
  controllers: [ArtifactsController],
  providers: [
    ArtifactsService,
    ArtifactRepository,
    ArtifactTransferAdapter,
    {
      provide: ArtifactStore,
      inject: [SERVER_CONFIG],
      useFactory: async (config: ServerConfig) => {
        const store = new LocalArtifactStore(path.resolve(config.dataDir, 'artifacts'));
        await store.init();
        return store;
      },
    },
  ],
  exports: [ArtifactsService, ArtifactStore, ArtifactRepository],
})
export class ArtifactsModule {}
