import { chunksOf, placeholders, SqlClient, SqlExecutor } from '../../database/sql-client.js';
import { RollupRow, Summary } from './metric-rollups.js';
import { MetricSeriesEntity } from './entities/metric.entity.js';
import { historyOrderSql, LAST_POINT_COLUMNS, pointColumns, pointValueSql, takeLaterPointSql } from './point-order.js';

/** A point as stored: NaN is value 0 with is_nan 1 (SQLite has no NaN). */
export interface StoredPoint {
  key: string;
  step: number;
  timestamp: number;
  value: number;
  isNan: boolean;
}

/** Where a history page starts: strictly after this (step, timestamp, value, is_nan). */
export interface HistoryCursor {
  step: number;
  timestamp: number;
  value: number;
  isNan: number;
}

export interface HistoryQuery {
  startStep?: number;
  endStep?: number;
  after?: HistoryCursor;
  /** Rows to return; undefined means all. */
  limit?: number;
}

/**
 * A stored point as [step, timestamp, value], value null meaning NaN: tuples of three cells,
 * because reading each cell is most of what a long history read costs.
 */
export type PointTuple = [step: number, timestamp: number, value: number | null];

/** A history page rendered as JSON (see MetricStore.historyJson). */
export interface HistoryJsonPage {
  /** The page's metric objects joined by commas (no brackets); empty for no points. */
  items: string;
  count: number;
  /** The page's last point, when another page follows. */
  last?: PointTuple;
}

/**
 * Points after a history cursor, next to `p.series_id = ?`: the equality plus a row value over
 * the rest of the primary key is what both databases turn into one index seek. Written over the
 * whole key, (series_id, step, …) > (…), neither did: both scanned the series from its first
 * point to the cursor, so each page of a long history cost more than the one before (SQLite
 * EXPLAIN QUERY PLAN: "series_id=?" only; PostgreSQL: 21 ms to reach step 500,000 instead of 0.1).
 */
export const AFTER_CURSOR = ` AND (${historyOrderSql('p.')}) > (?, ?, ?, ?)`;

export function cursorParams(after: HistoryCursor): number[] {
  return [after.step, after.timestamp, after.value, after.isNan];
}

/** Rollup columns in the order of rollupParams. */
export const ROLLUP_COLUMNS =
  'series_id, level, bucket, first_step, last_step, point_count, nan_count, min_value, max_value, last_timestamp, last_value, last_is_nan';

/** Folds a batch's summary of a bucket into the stored one (or stores it). */
export const ROLLUP_MERGE = `ON CONFLICT (series_id, level, bucket) DO UPDATE SET
  first_step = CASE WHEN excluded.first_step < metric_rollups.first_step THEN excluded.first_step ELSE metric_rollups.first_step END,
  last_step = CASE WHEN excluded.last_step > metric_rollups.last_step THEN excluded.last_step ELSE metric_rollups.last_step END,
  point_count = metric_rollups.point_count + excluded.point_count,
  nan_count = metric_rollups.nan_count + excluded.nan_count,
  min_value = CASE WHEN metric_rollups.min_value IS NULL OR excluded.min_value < metric_rollups.min_value THEN excluded.min_value ELSE metric_rollups.min_value END,
  max_value = CASE WHEN metric_rollups.max_value IS NULL OR excluded.max_value > metric_rollups.max_value THEN excluded.max_value ELSE metric_rollups.max_value END,
  ${takeLaterPointSql(
    ['timestamp', 'value', 'isNan'],
    LAST_POINT_COLUMNS,
    pointColumns('excluded.', LAST_POINT_COLUMNS),
    pointColumns('metric_rollups.', LAST_POINT_COLUMNS),
  )}`;

export function rollupParams(row: RollupRow): (number | null)[] {
  return [
    row.seriesId,
    row.level,
    row.bucket,
    row.firstStep,
    row.lastStep,
    row.count,
    row.nanCount,
    row.min,
    row.max,
    row.lastTimestamp,
    row.lastValue,
    row.lastIsNan ? 1 : 0,
  ];
}

export const SELECT_SERIES = 'SELECT id FROM metric_series WHERE run_id = ? AND key = ?';

const MAX_CACHED_SERIES = 200_000;

/**
 * Metric storage: the store every metric reader and writer injects, one implementation per
 * database (metric.store.sqlite.ts, metric.store.postgres.ts), chosen once at start
 * (metric.store.provider.ts). A series is one key of one run (integer id); its points are keyed
 * by (series, step, timestamp, value, is_nan), so history by step is one index range scan and
 * exact duplicates are dropped. The series row keeps the latest point current at ingestion, so
 * "latest value per key" never scans points. What reads the same on both databases lives here.
 */
export abstract class MetricStore {
  /** `${runId}\u0000${key}` → series id. Series are never renumbered, so entries never go stale. */
  private readonly seriesIds = new Map<string, number>();

  constructor(protected readonly sql: SqlClient) {}

  /**
   * Stores every point in one transaction; returns how many were new (not exact duplicates).
   * With `tx`, the points join that (caller's) transaction instead; series created in it are
   * not cached, because the caller may still roll it back.
   */
  abstract appendPoints(runId: number, points: readonly StoredPoint[], tx?: SqlExecutor): Promise<number>;

  /**
   * One page of a history as MLflow's metric objects, already JSON: `{"key":…,"value":…,
   * "timestamp":…,"step":…}` joined by commas, in history order, with the cursor of its last
   * point when more follow.
   */
  abstract historyJson(seriesId: number, key: string, query: Pick<HistoryQuery, 'after' | 'limit'>): Promise<HistoryJsonPage>;

  /** Rollup rows of one level whose buckets lie in [fromBucket, toBucket], in step order. */
  abstract rollups(seriesId: number, level: number, fromBucket: number, toBucket: number): Promise<Summary[]>;

  /** The series id of a run's key, if anything was ever logged under it. */
  async seriesIdOf(runId: number, key: string): Promise<number | undefined> {
    const cached = this.cachedSeriesId(runId, key);
    if (cached !== undefined) {
      return cached;
    }
    const row = await this.sql.queryOne<{ id: number }>(SELECT_SERIES, [runId, key]);
    if (row) {
      this.cacheSeries(runId, key, row.id);
    }
    return row?.id;
  }

  /** Points of one series in history order, within the step range, after the cursor. */
  historyFor(seriesId: number, query: HistoryQuery): Promise<PointTuple[]> {
    // Qualified names throughout: PostgreSQL would otherwise take ORDER BY value for the CASE
    // output column, sort the NaN points (NULL there) last and give up the index order.
    let sql = `SELECT p.step, p.timestamp, ${pointValueSql('p.')} AS point_value FROM metric_points p WHERE p.series_id = ?`;
    const params: number[] = [seriesId];
    if (query.startStep !== undefined) {
      sql += ' AND p.step >= ?';
      params.push(query.startStep);
    }
    if (query.endStep !== undefined) {
      sql += ' AND p.step <= ?';
      params.push(query.endStep);
    }
    if (query.after) {
      sql += AFTER_CURSOR;
      params.push(...cursorParams(query.after));
    }
    sql += ` ORDER BY ${historyOrderSql('p.')}`;
    if (query.limit !== undefined) {
      sql += ' LIMIT ?';
      params.push(query.limit);
    }
    return this.sql.queryTuples<PointTuple>(sql, params);
  }

  /** The latest point of every key of a run, by key. */
  latestFor(runId: number, db: SqlExecutor = this.sql): Promise<MetricSeriesEntity[]> {
    return db.query<MetricSeriesEntity>(
      `SELECT id, run_id, key, point_count, last_step, last_timestamp, last_value, last_is_nan
       FROM metric_series WHERE run_id = ? AND last_step IS NOT NULL ORDER BY key`,
      [runId],
    );
  }

  /** The latest point of every key of several runs, by run id then key. */
  async latestForRuns(runIds: readonly number[]): Promise<MetricSeriesEntity[]> {
    const rows: MetricSeriesEntity[] = [];
    for (const chunk of chunksOf(runIds)) {
      rows.push(
        ...(await this.sql.query<MetricSeriesEntity>(
          `SELECT id, run_id, key, point_count, last_step, last_timestamp, last_value, last_is_nan
           FROM metric_series WHERE run_id IN (${placeholders(chunk.length)}) AND last_step IS NOT NULL ORDER BY run_id, key`,
          chunk,
        )),
      );
    }
    return rows;
  }

  /** The smallest and largest step stored in a series (two index probes, not a scan). */
  async stepBounds(seriesId: number): Promise<{ first: number; last: number } | undefined> {
    const first = await this.sql.queryOne<{ step: number }>(
      'SELECT step FROM metric_points WHERE series_id = ? ORDER BY step ASC LIMIT 1',
      [seriesId],
    );
    const last = await this.sql.queryOne<{ step: number }>(
      'SELECT step FROM metric_points WHERE series_id = ? ORDER BY step DESC LIMIT 1',
      [seriesId],
    );
    return first && last ? { first: first.step, last: last.step } : undefined;
  }

  protected cachedSeriesId(runId: number, key: string): number | undefined {
    return this.seriesIds.get(`${runId}\u0000${key}`);
  }

  private cacheSeries(runId: number, key: string, id: number): void {
    if (this.seriesIds.size >= MAX_CACHED_SERIES) {
      this.seriesIds.clear();
    }
    this.seriesIds.set(`${runId}\u0000${key}`, id);
  }

  /** Series ids become cacheable once the rows that hold them are committed. */
  protected cacheAfterCommit(runId: number, created: readonly (readonly [key: string, id: number])[]): void {
    if (created.length > 0) {
      this.sql.afterCommit(() => {
        for (const [key, id] of created) {
          this.cacheSeries(runId, key, id);
        }
      });
    }
  }
}
