import { Controller, Get, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { TelemetryService } from './telemetry.service.js';

/**
 * Prometheus' scrape target. Not in the OpenAPI document: it is an operator's endpoint in
 * Prometheus' own text format (described in the README), not part of the tracking API.
 */
@ApiExcludeController()
@Controller('metrics')
export class TelemetryController {
  constructor(private readonly telemetry: TelemetryService) {}

  @Get()
  getPrometheusMetrics(@Res({ passthrough: true }) response: Response): Promise<string> {
    response.setHeader('Content-Type', this.telemetry.contentType);
    response.setHeader('Cache-Control', 'no-store');
    return this.telemetry.metrics();
  }
}
