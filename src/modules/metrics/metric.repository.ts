import { Injectable } from '@nestjs/common';
import { SqlClient, SqlExecutor } from '../../database/sql-client.js';
import { MetricSeriesEntity } from './entities/metric.entity.js';

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

interface SeriesTotals {
  seriesId: number;
  inserted: number;
  best?: StoredPoint;
}

/** (step, timestamp, value) ordering, MLflow's definition of "latest". */
function isLater(a: StoredPoint, b: StoredPoint): boolean {
  if (a.step !== b.step) {
    return a.step > b.step;
  }
  if (a.timestamp !== b.timestamp) {
    return a.timestamp > b.timestamp;
  }
  return a.value > b.value;
}

const MAX_CACHED_SERIES = 200_000;

const INSERT_POINT_SQLITE = 'INSERT OR IGNORE INTO metric_points (series_id, step, timestamp, value, is_nan) VALUES (?, ?, ?, ?, ?)';
const INSERT_POINTS_POSTGRES = `INSERT INTO metric_points (series_id, step, timestamp, value, is_nan)
  SELECT * FROM unnest(?::bigint[], ?::bigint[], ?::bigint[], ?::float8[], ?::smallint[])
  ON CONFLICT DO NOTHING RETURNING series_id`;
const INSERT_SERIES = 'INSERT INTO metric_series (run_id, key) VALUES (?, ?) ON CONFLICT (run_id, key) DO NOTHING';
const SELECT_SERIES = 'SELECT id FROM metric_series WHERE run_id = ? AND key = ?';
/** Adds the inserted count and moves the latest point forward if the batch's best is later. */
const UPDATE_SERIES = `UPDATE metric_series SET
  point_count = point_count + ?,
  last_step = CASE WHEN last_step IS NULL OR (?, ?, ?) > (last_step, last_timestamp, last_value) THEN ? ELSE last_step END,
  last_timestamp = CASE WHEN last_step IS NULL OR (?, ?, ?) > (last_step, last_timestamp, last_value) THEN ? ELSE last_timestamp END,
  last_value = CASE WHEN last_step IS NULL OR (?, ?, ?) > (last_step, last_timestamp, last_value) THEN ? ELSE last_value END,
  last_is_nan = CASE WHEN last_step IS NULL OR (?, ?, ?) > (last_step, last_timestamp, last_value) THEN ? ELSE last_is_nan END
  WHERE id = ?`;

function updateSeriesParams(totals: SeriesTotals): (number | null)[] {
  const best = totals.best;
  if (!best) {
    return [0, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, totals.seriesId];
  }
  const key = [best.step, best.timestamp, best.value];
  const isNan = best.isNan ? 1 : 0;
  return [totals.inserted, ...key, best.step, ...key, best.timestamp, ...key, best.value, ...key, isNan, totals.seriesId];
}

/**
 * Metric storage. A series is one key of one run (integer id); its points are keyed by
 * (series, step, timestamp, value, is_nan), so history by step is one index range scan and
 * exact duplicates are dropped. The series row keeps the latest point current at ingestion, so
 * "latest value per key" never scans points.
 */
@Injectable()
export class MetricRepository {
  /** `${runId}\u0000${key}` → series id. Series are never renumbered, so entries never go stale. */
  private readonly seriesIds = new Map<string, number>();

  constructor(private readonly sql: SqlClient) {}

  /** Stores every point in one transaction; returns how many were new (not exact duplicates). */
  async appendPoints(runId: number, points: readonly StoredPoint[]): Promise<number> {
    if (points.length === 0) {
      return 0;
    }
    try {
      return this.sql.dialect === 'sqlite' ? await this.appendPointsSqlite(runId, points) : await this.appendPointsPostgres(runId, points);
    } catch (error) {
      // A series created in the rolled-back transaction does not exist: forget this run's ids.
      for (const cacheKey of this.seriesIds.keys()) {
        if (cacheKey.startsWith(`${runId}\u0000`)) {
          this.seriesIds.delete(cacheKey);
        }
      }
      throw error;
    }
  }

  /** The series id of a run's key, if anything was ever logged under it. */
  async seriesIdOf(runId: number, key: string): Promise<number | undefined> {
    const cached = this.seriesIds.get(`${runId}\u0000${key}`);
    if (cached !== undefined) {
      return cached;
    }
    const row = await this.sql.queryOne<{ id: number }>(SELECT_SERIES, [runId, key]);
    if (row) {
      this.cacheSeries(runId, key, row.id);
    }
    return row?.id;
  }

  /** Points of one series in (step, timestamp, value) order, within the step range, after the cursor. */
  historyFor(seriesId: number, query: HistoryQuery): Promise<PointTuple[]> {
    let sql = 'SELECT step, timestamp, CASE WHEN is_nan = 1 THEN NULL ELSE value END FROM metric_points WHERE series_id = ?';
    const params: number[] = [seriesId];
    if (query.startStep !== undefined) {
      sql += ' AND step >= ?';
      params.push(query.startStep);
    }
    if (query.endStep !== undefined) {
      sql += ' AND step <= ?';
      params.push(query.endStep);
    }
    if (query.after) {
      // The full key as a row value, so both dialects seek straight into the primary-key index.
      sql += ' AND (series_id, step, timestamp, value, is_nan) > (?, ?, ?, ?, ?)';
      params.push(seriesId, query.after.step, query.after.timestamp, query.after.value, query.after.isNan);
    }
    sql += ' ORDER BY step, timestamp, value, is_nan';
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

  private cacheSeries(runId: number, key: string, id: number): void {
    if (this.seriesIds.size >= MAX_CACHED_SERIES) {
      this.seriesIds.clear();
    }
    this.seriesIds.set(`${runId}\u0000${key}`, id);
  }

  /** Totals per series of this batch, resolving (and creating) series ids as needed. */
  private groupBySeries(
    points: readonly StoredPoint[],
    seriesIdOf: (key: string) => number,
  ): { ids: number[]; totals: Map<number, SeriesTotals> } {
    const ids = new Array<number>(points.length);
    const totals = new Map<number, SeriesTotals>();
    let lastKey: string | undefined;
    let lastId = 0;
    for (let index = 0; index < points.length; index++) {
      const point = points[index];
      if (point.key !== lastKey) {
        lastKey = point.key;
        lastId = seriesIdOf(point.key);
      }
      ids[index] = lastId;
      let entry = totals.get(lastId);
      if (!entry) {
        entry = { seriesId: lastId, inserted: 0 };
        totals.set(lastId, entry);
      }
    }
    return { ids, totals };
  }

  private appendPointsSqlite(runId: number, points: readonly StoredPoint[]): Promise<number> {
    const insertPoint = this.sql.statement(INSERT_POINT_SQLITE);
    const insertSeries = this.sql.statement(INSERT_SERIES);
    const selectSeries = this.sql.statement(SELECT_SERIES).pluck();
    const updateSeries = this.sql.statement(UPDATE_SERIES);
    return this.sql.sqliteTransaction(() => {
      const { ids, totals } = this.groupBySeries(points, (key) => {
        const cached = this.seriesIds.get(`${runId}\u0000${key}`);
        if (cached !== undefined) {
          return cached;
        }
        insertSeries.run(runId, key);
        const id = selectSeries.get(runId, key) as number;
        this.cacheSeries(runId, key, id);
        return id;
      });
      let inserted = 0;
      for (let index = 0; index < points.length; index++) {
        const point = points[index];
        const changes = insertPoint.run(
          ids[index],
          point.step,
          point.timestamp,
          point.isNan ? 0 : point.value,
          point.isNan ? 1 : 0,
        ).changes;
        if (changes > 0) {
          inserted += changes;
          const entry = totals.get(ids[index]) as SeriesTotals;
          entry.inserted += changes;
          if (!entry.best || isLater(point, entry.best)) {
            entry.best = point;
          }
        }
      }
      for (const entry of totals.values()) {
        if (entry.inserted > 0) {
          updateSeries.run(...updateSeriesParams(entry));
        }
      }
      return inserted;
    });
  }

  private async appendPointsPostgres(runId: number, points: readonly StoredPoint[]): Promise<number> {
    const created: [key: string, id: number][] = [];
    const inserted = await this.sql.transaction(async (tx) => {
      created.length = 0; // a retried transaction starts over
      const local = new Map<string, number>();
      const missing: string[] = [];
      for (const key of new Set(points.map((point) => point.key))) {
        const cached = this.seriesIds.get(`${runId}\u0000${key}`);
        if (cached === undefined) {
          missing.push(key);
        } else {
          local.set(key, cached);
        }
      }
      if (missing.length > 0) {
        // Sorted, so concurrent batches creating the same keys take the index locks in one order.
        missing.sort();
        await tx.execute('INSERT INTO metric_series (run_id, key) SELECT ?, unnest(?::text[]) ON CONFLICT (run_id, key) DO NOTHING', [
          runId,
          missing,
        ]);
        const rows = await tx.query<{ id: number; key: string }>(
          'SELECT id, key FROM metric_series WHERE run_id = ? AND key = ANY(?::text[])',
          [runId, missing],
        );
        for (const row of rows) {
          local.set(row.key, row.id);
          created.push([row.key, row.id]);
        }
      }
      const { ids, totals } = this.groupBySeries(points, (key) => {
        const id = local.get(key);
        if (id === undefined) {
          throw new Error(`series ${key} of run #${runId} was not created`);
        }
        return id;
      });
      const columns = {
        step: points.map((point) => point.step),
        timestamp: points.map((point) => point.timestamp),
        value: points.map((point) => (point.isNan ? 0 : point.value)),
        isNan: points.map((point) => (point.isNan ? 1 : 0)),
      };
      const insertedRows = await tx.query<{ series_id: number }>(INSERT_POINTS_POSTGRES, [
        ids,
        columns.step,
        columns.timestamp,
        columns.value,
        columns.isNan,
      ]);
      for (const row of insertedRows) {
        (totals.get(row.series_id) as SeriesTotals).inserted += 1;
      }
      // The latest point per series is computed from the batch; duplicates cannot be later than
      // what is stored, so considering them too is harmless.
      for (let index = 0; index < points.length; index++) {
        const entry = totals.get(ids[index]) as SeriesTotals;
        if (!entry.best || isLater(points[index], entry.best)) {
          entry.best = points[index];
        }
      }
      // Row locks in ascending id order, the same in every transaction: concurrent batches that
      // touch the same series in different orders would otherwise deadlock.
      for (const entry of [...totals.values()].sort((a, b) => a.seriesId - b.seriesId)) {
        await tx.execute(UPDATE_SERIES, updateSeriesParams(entry));
      }
      return insertedRows.length;
    });
    // Cached only once committed: a concurrent batch given the id of a series row it cannot see
    // yet would store its points but update no series row, losing them from "latest".
    for (const [key, id] of created) {
      this.cacheSeries(runId, key, id);
    }
    return inserted;
  }
}
