import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Query } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiError, ApiErrorResponses } from '../../common/decorators/api-error-responses.decorator.js';
import {
  LogMetricBatchDto,
  LogMetricDto,
  MetricBatchResponseDto,
  MetricListResponseDto,
  MetricPointDto,
  MetricQueryDto,
} from './dto/metric.dto.js';
import type { MetricPointInput } from './dto/metric-input.js';
import { MetricBatchPipe, MetricPointPipe } from './metric-input.pipe.js';
import { MetricsService } from './metrics.service.js';

@ApiTags('Metrics')
@ApiErrorResponses()
@Controller('api/v1/runs/:runId/metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Post()
  @HttpCode(HttpStatus.CREATED)
  @ApiOperation({ summary: 'Log one metric point' })
  @ApiBody({ type: LogMetricDto })
  @ApiCreatedResponse({ type: MetricPointDto })
  @ApiError(400, 'INVALID_REQUEST: bad key, step, value or timestamp, or an unknown field')
  @ApiError(404, 'NOT_FOUND: no run with this id')
  @ApiError(409, 'CONFLICT: the run is deleted')
  logMetric(@Param('runId') runId: string, @Body(MetricPointPipe) point: MetricPointInput): Promise<MetricPointDto> {
    return this.metrics.logMetric(runId, point);
  }

  @Post('batch')
  @HttpCode(HttpStatus.CREATED)
  @ApiOperation({ summary: 'Log many points atomically (all or nothing)' })
  @ApiBody({ type: LogMetricBatchDto })
  @ApiCreatedResponse({ type: MetricBatchResponseDto })
  @ApiError(400, 'INVALID_REQUEST: a point is invalid; the message names its index, and nothing is stored')
  @ApiError(404, 'NOT_FOUND: no run with this id')
  @ApiError(409, 'CONFLICT: the run is deleted')
  @ApiError(413, 'PAYLOAD_TOO_LARGE: more points than --max-batch-points')
  logMetrics(@Param('runId') runId: string, @Body(MetricBatchPipe) points: MetricPointInput[]): Promise<MetricBatchResponseDto> {
    return this.metrics.logMetrics(runId, points);
  }

  @Get()
  @ApiOperation({
    summary: 'Read metrics',
    description: "With key: that metric's history in step order, paged. Without key: the latest point of every key.",
  })
  @ApiOkResponse({ type: MetricListResponseDto })
  @ApiError(400, 'INVALID_REQUEST: bad step range, page size or page token')
  @ApiError(404, 'NOT_FOUND: no run with this id')
  getMetrics(@Param('runId') runId: string, @Query() query: MetricQueryDto): Promise<MetricListResponseDto> {
    return this.metrics.getMetrics(runId, query);
  }
}
