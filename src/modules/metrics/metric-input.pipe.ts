import { Inject, Injectable, PipeTransform } from '@nestjs/common';
import { SERVER_CONFIG } from '../../config/config.module.js';
import type { ServerConfig } from '../../config/server-config.js';
import { MetricPointInput, parseMetricBatch, parseMetricPoint } from './dto/metric-input.js';

/** Turns the body of POST /runs/{id}/metrics into a validated point. */
@Injectable()
export class MetricPointPipe implements PipeTransform<unknown, MetricPointInput> {
  transform(body: unknown): MetricPointInput {
    return parseMetricPoint(body, '', Date.now());
  }
}

/** Turns the body of POST /runs/{id}/metrics/batch into validated points (413 above the batch limit). */
@Injectable()
export class MetricBatchPipe implements PipeTransform<unknown, MetricPointInput[]> {
  constructor(@Inject(SERVER_CONFIG) private readonly config: ServerConfig) {}

  transform(body: unknown): MetricPointInput[] {
    return parseMetricBatch(body, this.config.maxBatchPoints, Date.now());
  }
}
