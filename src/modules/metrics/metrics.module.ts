import { Module } from '@nestjs/common';
import { ChangeFeedModule } from '../live/change-feed.module.js';
import { RunsModule } from '../runs/runs.module.js';
import { MetricBatchPipe, MetricPointPipe } from './metric-input.pipe.js';
import { MetricStore } from './metric.store.js';
import { metricStoreProvider } from './metric.store.provider.js';
import { MetricsController } from './metrics.controller.js';
import { MetricSeriesService } from './metric-series.service.js';
import { MetricsService } from './metrics.service.js';

@Module({
  imports: [RunsModule, ChangeFeedModule],
  controllers: [MetricsController],
  providers: [MetricsService, MetricSeriesService, metricStoreProvider, MetricPointPipe, MetricBatchPipe],
  exports: [MetricsService, MetricStore],
})
export class MetricsModule {}
