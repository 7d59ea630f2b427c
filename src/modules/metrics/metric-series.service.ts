import { Injectable } from '@nestjs/common';
import { InvalidRequestError } from '../../common/errors.js';
import { toRfc3339 } from '../../common/time.js';
import { RunsService } from '../runs/runs.service.js';
import { SeriesBucketDto, SeriesQueryDto, SeriesResponseDto } from './dto/metric-series.dto.js';
import { bucketWidth, mergeInto, Summary, summaryOfPoint } from './metric-rollups.js';
import { MetricStore } from './metric.store.js';
import { metricValueJson } from './metric-value-json.js';
import { SeriesGrid } from './series-grid.js';

export const DEFAULT_SERIES_POINTS = 1000;

function bucketJson(summary: Summary, startStep: number, endStep: number): SeriesBucketDto {
  return {
    start_step: startStep,
    end_step: endStep,
    first_step: summary.firstStep,
    last_step: summary.lastStep,
    count: summary.count,
    min: summary.min === null ? null : metricValueJson(summary.min, false),
    max: summary.max === null ? null : metricValueJson(summary.max, false),
    last: metricValueJson(summary.lastValue, summary.lastIsNan),
    last_timestamp: toRfc3339(summary.lastTimestamp),
  };
}

/**
 * A chart-ready view of one metric at any zoom: at most N buckets over a step range, each with
 * its edges, first and last logged step, count, min, max and last value, so every spike
 * survives. It is read from the rollups kept at ingestion: whole rollup buckets inside the range
 * at the coarsest level that fits, and finer levels (down to raw points) only for the range's
 * ragged ends, so its cost depends on N and the number of levels, not on how long the series is.
 * The chart's edges lie on that level's rollup boundaries (SeriesGrid), so every summary read
 * falls in one chart bucket and each bucket is exact for the steps it reports.
 */
@Injectable()
export class MetricSeriesService {
  constructor(
    private readonly metrics: MetricStore,
    private readonly runs: RunsService,
  ) {}

  async series(runId: string, key: string, query: SeriesQueryDto): Promise<SeriesResponseDto> {
    const run = await this.runs.requireReadable(runId);
    const points = query.points ?? DEFAULT_SERIES_POINTS;
    const seriesId = await this.metrics.seriesIdOf(run.id, key);
    const bounds = seriesId === undefined ? undefined : await this.metrics.stepBounds(seriesId);
    const start = query.start_step ?? bounds?.first;
    const end = query.end_step ?? bounds?.last;
    if (query.start_step !== undefined && query.end_step !== undefined && query.start_step > query.end_step) {
      throw new InvalidRequestError('start_step: must not be greater than end_step');
    }
    if (seriesId === undefined || start === undefined || end === undefined || start > end) {
      return { key, start_step: start ?? null, end_step: end ?? null, bucket_width: null, bucket_alignment: null, buckets: [] };
    }
    const grid = new SeriesGrid(start, end, points);
    const chart = new Map<number, Summary>();
    for (const piece of await this.collect(seriesId, start, end, grid.level)) {
      const index = grid.indexOf(piece.firstStep);
      const bucket = chart.get(index);
      if (bucket) {
        mergeInto(bucket, piece);
      } else {
        chart.set(index, { ...piece });
      }
    }
    return {
      key,
      start_step: start,
      end_step: end,
      bucket_width: grid.width,
      bucket_alignment: grid.alignment,
      buckets: [...chart.keys()]
        .sort((a, b) => a - b)
        .map((index) => bucketJson(chart.get(index) as Summary, grid.firstStepOf(index), grid.lastStepOf(index))),
    };
  }

  /**
   * Summaries covering exactly the steps [from, to], coarsest first, finer levels at the ends.
   * Each lies within one rollup bucket of `level`, so never across a chart edge.
   */
  private async collect(seriesId: number, from: number, to: number, level: number): Promise<Summary[]> {
    if (level === 0) {
      const points = await this.metrics.historyFor(seriesId, { startStep: from, endStep: to });
      return points.map(([step, timestamp, value]) => summaryOfPoint({ step, timestamp, value: value ?? 0, isNan: value === null }));
    }
    const width = bucketWidth(level);
    const firstWhole = Math.ceil(from / width);
    const lastWhole = Math.floor((to + 1) / width) - 1;
    if (firstWhole > lastWhole) {
      return this.collect(seriesId, from, to, level - 1);
    }
    const head = from < firstWhole * width ? await this.collect(seriesId, from, firstWhole * width - 1, level - 1) : [];
    const body = await this.metrics.rollups(seriesId, level, firstWhole, lastWhole);
    const tail = (lastWhole + 1) * width <= to ? await this.collect(seriesId, (lastWhole + 1) * width, to, level - 1) : [];
    return [...head, ...body, ...tail];
  }
}
