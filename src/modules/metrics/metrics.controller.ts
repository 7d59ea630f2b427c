import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Query } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiError, ApiErrorResponses } from '../../common/decorators/api-error-responses.decorator.js';
import { HotWrite } from '../../common/http/hot-write.decorator.js';
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
import { MetricSeriesService } from './metric-series.service.js';
import { MetricsService } from './metrics.service.js';
import { SeriesQueryDto, SeriesResponseDto } from './dto/metric-series.dto.js';

@ApiTags('Metrics')
@ApiErrorResponses()
@Controller('api/v1/runs/:runId/metrics')
export class MetricsController {
  constructor(
    private readonly metrics: MetricsService,
    private readonly series: MetricSeriesService,
  ) {}

  @Post()
  @HotWrite()
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
  @HotWrite()
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

  @Get('*key/series')
  @ApiOperation({
    summary: 'A metric for charts at any zoom: at most N buckets over a step range, each with its edges, count, min, max and last',
    description:
      'Served from rollups kept at ingestion: the cost depends on N, not on the length of the series. Bucket edges lie on ' +
      'the boundaries of the rollups read (bucket_alignment steps apart), nearest to start_step + i × bucket_width, so ' +
      'each bucket is exact for the steps [start_step, end_step] it reports.',
  })
  @ApiParam({ name: 'key', type: String, description: 'the metric key (may contain /)', example: 'loss' })
  @ApiOkResponse({ type: SeriesResponseDto })
  @ApiError(400, 'INVALID_REQUEST: bad points or step range')
  @ApiError(404, 'NOT_FOUND: no run with this id')
  getMetricSeries(
    @Param('runId') runId: string,
    @Param('key') key: string | string[],
    @Query() query: SeriesQueryDto,
  ): Promise<SeriesResponseDto> {
    return this.series.series(runId, Array.isArray(key) ? key.join('/') : key, query);
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
