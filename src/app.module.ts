import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_PIPE, DiscoveryModule } from '@nestjs/core';
import { GlobalExceptionFilter } from './common/filters/global-exception.filter.js';
import { createValidationPipe } from './common/pipes/validation.pipe.js';
import { ConfigModule } from './config/config.module.js';
import type { ServerConfig } from './config/server-config.js';
import { DatabaseModule } from './database/database.module.js';
import { ArtifactsModule } from './modules/artifacts/artifacts.module.js';
import { AuthModule } from './modules/auth/auth.module.js';
import { ExperimentsModule } from './modules/experiments/experiments.module.js';
import { HealthModule } from './modules/health/health.module.js';
import { LiveModule } from './modules/live/live.module.js';
import { LoggedModelsModule } from './modules/logged-models/logged-models.module.js';
import { IdempotencyModule } from './modules/idempotency/idempotency.module.js';
import { MetricsModule } from './modules/metrics/metrics.module.js';
import { MlflowModule } from './modules/mlflow/mlflow.module.js';
import { ModelRegistryModule } from './modules/model-registry/model-registry.module.js';
import { ParamsModule } from './modules/params/params.module.js';
import { RunsModule } from './modules/runs/runs.module.js';
import { TelemetryModule } from './modules/telemetry/telemetry.module.js';

@Module({})
export class AppModule {
  static forRoot(config: ServerConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        // The hot write lane finds its routes among the controllers (src/http/hot-write-lane.ts).
        DiscoveryModule,
        DatabaseModule,
        TelemetryModule,
        AuthModule,
        IdempotencyModule,
        HealthModule,
        ExperimentsModule,
        RunsModule,
        MetricsModule,
        ParamsModule,
        LoggedModelsModule,
        ArtifactsModule,
        LiveModule,
        ModelRegistryModule,
        // Last: its catch-all for unsupported MLflow routes must not shadow any other route.
        MlflowModule,
      ],
      providers: [
        { provide: APP_FILTER, useClass: GlobalExceptionFilter },
        { provide: APP_PIPE, useFactory: createValidationPipe },
      ],
    };
  }
}
