import { Injectable } from '@nestjs/common';
import { decodePageToken, encodePageToken } from '../../common/paging.js';
import { InvalidRequestError } from '../../common/errors.js';
import { toRfc3339 } from '../../common/time.js';
import { SqlExecutor } from '../../database/sql-client.js';
import { ChangeFeedService } from '../live/change-feed.service.js';
import { RunWriteTarget } from '../runs/run.repository.js';
import { RunsService } from '../runs/runs.service.js';
import { IngestApi, TelemetryService } from '../telemetry/telemetry.service.js';
import { DEFAULT_HISTORY_PAGE, MetricBatchResponseDto, MetricListResponseDto, MetricPointDto, MetricQueryDto } from './dto/metric.dto.js';
import { MetricPointInput } from './dto/metric-input.js';
import { HistoryCursor, HistoryJsonPage, MetricStore, PointTuple, StoredPoint } from './metric.store.js';
import { metricValueJson } from './metric-value-json.js';

interface HistoryToken {
  s: number;
  t: number;
  v: string;
  n: number;
}

function isHistoryToken(value: Record<string, unknown>): value is Record<string, unknown> & HistoryToken {
  return (
    Number.isSafeInteger(value.s) &&
    Number.isSafeInteger(value.t) &&
    typeof value.v === 'string' &&
    !Number.isNaN(Number(value.v)) &&
    (value.n === 0 || value.n === 1)
  );
}

export function encodeHistoryCursor([step, timestamp, value]: PointTuple): string {
  // NaN is stored as value 0 with is_nan 1: the cursor carries the stored key.
  return encodePageToken({ s: step, t: timestamp, v: String(value ?? 0), n: value === null ? 1 : 0 });
}

/**
 * Points of one key as response items. Points logged together share a timestamp, so the last
 * RFC 3339 text is reused instead of formatting every point's time again.
 */
export function historyItems(key: string, tuples: readonly PointTuple[]): MetricPointDto[] {
  const items = new Array<MetricPointDto>(tuples.length);
  let lastMs = NaN;
  let lastText = '';
  for (let index = 0; index < tuples.length; index++) {
    const [step, timestamp, value] = tuples[index];
    if (timestamp !== lastMs) {
      lastMs = timestamp;
      lastText = toRfc3339(timestamp);
    }
    items[index] = {
      key,
      step,
      value: value === null || !Number.isFinite(value) ? metricValueJson(value ?? 0, value === null) : value,
      timestamp: lastText,
    };
  }
  return items;
}

export function decodeHistoryCursor(token: string | undefined, field = 'page_token'): HistoryCursor | undefined {
  const parsed = decodePageToken(token, isHistoryToken, field);
  return parsed && { step: parsed.s, timestamp: parsed.t, value: Number(parsed.v), isNan: parsed.n };
}

/** The distinct keys of a batch of points, for the change feed. */
export function metricKeysOf(points: readonly { key: string }[]): Set<string> {
  const keys = new Set<string>();
  for (const point of points) {
    keys.add(point.key);
  }
  return keys;
}

@Injectable()
export class MetricsService {
  constructor(
    private readonly metrics: MetricStore,
    private readonly runs: RunsService,
    private readonly telemetry: TelemetryService,
    private readonly changes: ChangeFeedService,
  ) {}

  async logMetric(runId: string, point: MetricPointInput): Promise<MetricPointDto> {
    await this.logPoints(runId, [point], 'v1');
    return { key: point.key, step: point.step, value: point.value, timestamp: toRfc3339(point.timestamp) };
  }

  async logMetrics(runId: string, points: MetricPointInput[]): Promise<MetricBatchResponseDto> {
    await this.logPoints(runId, points, 'v1');
    return { accepted: points.length };
  }

  /** Appends points (NaN allowed: the MLflow API takes it) to a writable run, through `api`. */
  async logPoints(runId: string, points: readonly StoredPoint[], api: IngestApi): Promise<void> {
    const run = await this.runs.requireWritable(runId);
    // appendPoints' two lines, inlined: this is the hot path, and every await costs it a turn.
    await this.metrics.appendPoints(run.id, points);
    this.telemetry.countMetricPoints(api, points.length);
    if (points.length > 0) {
      this.changes.runChanged(run, ['metrics'], metricKeysOf(points));
    }
  }

  /**
   * Appends points and counts them, inside the caller's transaction when given (a batch; the
   * caller tells the change feed). Without one, the append is atomic on its own and takes the
   * faster path.
   */
  async appendPoints(run: RunWriteTarget, points: readonly StoredPoint[], api: IngestApi, tx?: SqlExecutor): Promise<void> {
    await this.metrics.appendPoints(run.id, points, tx);
    this.telemetry.countMetricPoints(api, points.length);
  }

  /** The series of `key` in a run (deleted or not), if it has one. */
  async seriesIdOf(runId: string, key: string): Promise<number | undefined> {
    const run = await this.runs.requireReadable(runId);
    return this.metrics.seriesIdOf(run.id, key);
  }

  /**
   * One page of a run's history of `key`, rendered as JSON where it is read (see
   * MetricStore.historyJson); undefined when the run has no such metric.
   */
  async historyJson(runId: string, key: string, page: { pageToken?: string; limit?: number }): Promise<HistoryJsonPage | undefined> {
    const run = await this.runs.requireReadable(runId);
    const after = decodeHistoryCursor(page.pageToken);
    const seriesId = await this.metrics.seriesIdOf(run.id, key);
    return seriesId === undefined ? undefined : this.metrics.historyJson(seriesId, key, { after, limit: page.limit });
  }

  /**
   * The first `limit` points of a run's history of `key`, in history order (the order every
   * history read pages in); undefined when the run has no such metric.
   */
  async historyPoints(runId: string, key: string, limit: number): Promise<PointTuple[] | undefined> {
    const run = await this.runs.requireReadable(runId);
    const seriesId = await this.metrics.seriesIdOf(run.id, key);
    return seriesId === undefined ? undefined : this.metrics.historyFor(seriesId, { limit });
  }

  async getMetrics(runId: string, query: MetricQueryDto): Promise<MetricListResponseDto> {
    const run = await this.runs.requireReadable(runId);
    if (query.key === undefined) {
      if (query.start_step !== undefined || query.end_step !== undefined || query.page_token !== undefined) {
        throw new InvalidRequestError("start_step, end_step and page_token need key: they page through one metric's history");
      }
      const latest = await this.metrics.latestFor(run.id);
      return {
        metrics: latest.map((series) => ({
          key: series.key,
          step: series.last_step as number,
          value: metricValueJson(series.last_value as number, series.last_is_nan as number),
          timestamp: toRfc3339(series.last_timestamp as number),
        })),
      };
    }
    if (query.start_step !== undefined && query.end_step !== undefined && query.start_step > query.end_step) {
      throw new InvalidRequestError('start_step: must not be greater than end_step');
    }
    const limit = query.max_results ?? DEFAULT_HISTORY_PAGE;
    const after = decodeHistoryCursor(query.page_token);
    const seriesId = await this.metrics.seriesIdOf(run.id, query.key);
    if (seriesId === undefined) {
      return { metrics: [] };
    }
    const rows = await this.metrics.historyFor(seriesId, { startStep: query.start_step, endStep: query.end_step, after, limit: limit + 1 });
    const hasMore = rows.length > limit;
    const page = hasMore ? rows.slice(0, limit) : rows;
    return {
      metrics: historyItems(query.key, page),
      next_page_token: hasMore ? encodeHistoryCursor(page[page.length - 1]) : undefined,
    };
  }
}
