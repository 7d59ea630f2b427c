import { Module } from '@nestjs/common';
import { HealthController } from './health.controller.js';
import { HealthStatusInterceptor } from './health-status.interceptor.js';
import { HealthService } from './health.service.js';

@Module({
  controllers: [HealthController],
  providers: [HealthService, HealthStatusInterceptor],
})
export class HealthModule {}
