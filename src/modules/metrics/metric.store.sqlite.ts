import { SqlExecutor } from '../../database/sql-client.js';
import { rollupsOf, SeriesPoint, Summary } from './metric-rollups.js';
import {
  HistoryJsonPage,
  HistoryQuery,
  MetricStore,
  ROLLUP_COLUMNS,
  ROLLUP_MERGE,
  rollupParams,
  SELECT_SERIES,
  StoredPoint,
} from './metric.store.js';
import { metricValueJson } from './metric-value-json.js';
import { isLaterPoint, LAST_POINT_COLUMNS, latestPointParams, PointColumnsSql, takeLaterPointSql } from './point-order.js';

interface SeriesTotals {
  seriesId: number;
  inserted: number;
  best?: StoredPoint;
}

const INSERT_POINT = 'INSERT OR IGNORE INTO metric_points (series_id, step, timestamp, value, is_nan) VALUES (?, ?, ?, ?, ?)';
const UPSERT_ROLLUP = `INSERT INTO metric_rollups (${ROLLUP_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ${ROLLUP_MERGE}`;
const INSERT_SERIES = 'INSERT INTO metric_series (run_id, key) VALUES (?, ?) ON CONFLICT (run_id, key) DO NOTHING';

const LATEST_FIELDS: readonly (keyof PointColumnsSql)[] = ['step', 'timestamp', 'value', 'isNan'];
const BOUND_POINT: PointColumnsSql = { step: '?', timestamp: '?', value: '?', isNan: '?' };
/** Adds the inserted count and moves the latest point forward if the batch's best is later. */
const UPDATE_SERIES = `UPDATE metric_series SET
  point_count = point_count + ?,
  ${takeLaterPointSql(LATEST_FIELDS, LAST_POINT_COLUMNS, BOUND_POINT, LAST_POINT_COLUMNS, 'last_step IS NULL')}
  WHERE id = ?`;

function updateSeriesParams(totals: SeriesTotals): (number | null)[] {
  const best = totals.best;
  const latest = best && { step: best.step, timestamp: best.timestamp, value: best.value, isNan: best.isNan ? 1 : 0 };
  return [best ? totals.inserted : 0, ...latestPointParams(LATEST_FIELDS, latest), totals.seriesId];
}

/**
 * SQLite: in process, so a batch is prepared statements run point by point inside one
 * transaction, the series' latest point and the rollups computed here from the points that
 * were actually new.
 */
export class SqliteMetricStore extends MetricStore {
  async appendPoints(runId: number, points: readonly StoredPoint[], tx?: SqlExecutor): Promise<number> {
    if (points.length === 0) {
      return 0;
    }
    const insertPoint = this.sql.statement(INSERT_POINT);
    const insertSeries = this.sql.statement(INSERT_SERIES);
    const selectSeries = this.sql.pluckStatement(SELECT_SERIES);
    const updateSeries = this.sql.statement(UPDATE_SERIES);
    const upsertRollup = this.sql.statement(UPSERT_ROLLUP);
    const created: [key: string, id: number][] = [];
    const stored: SeriesPoint[] = [];
    const write = () => {
      created.length = 0;
      stored.length = 0;
      // Resolved once per key and batch: a batch usually interleaves its keys step by step, and
      // inside a caller's transaction nothing reaches the shared cache until it commits.
      const resolved = new Map<string, number>();
      const { ids, totals } = groupBySeries(points, (key) => {
        const known = resolved.get(key) ?? this.cachedSeriesId(runId, key);
        if (known !== undefined) {
          resolved.set(key, known);
          return known;
        }
        insertSeries.run(runId, key);
        const id = selectSeries.get(runId, key) as number;
        created.push([key, id]);
        resolved.set(key, id);
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
          stored.push({
            seriesId: ids[index],
            step: point.step,
            timestamp: point.timestamp,
            value: point.isNan ? 0 : point.value,
            isNan: point.isNan,
          });
          const entry = totals.get(ids[index]) as SeriesTotals;
          entry.inserted += changes;
          const best = entry.best;
          if (!best || isLaterPoint(point.step, point.timestamp, point.value, best.step, best.timestamp, best.value)) {
            entry.best = point;
          }
        }
      }
      for (const entry of totals.values()) {
        if (entry.inserted > 0) {
          updateSeries.run(...updateSeriesParams(entry));
        }
      }
      for (const row of rollupsOf(stored)) {
        upsertRollup.run(...rollupParams(row));
      }
      return inserted;
    };
    if (tx) {
      // Inside the caller's transaction (which holds the SQLite lock): a savepoint, no lock;
      // nothing is cached, as the caller may still roll back.
      return Promise.resolve(this.sql.sqlite().transaction(write)());
    }
    // Series ids are cached only after commit, so a rolled-back batch leaves no stale id behind.
    const inserted = await this.sql.sqliteTransaction(write);
    this.cacheAfterCommit(runId, created);
    return inserted;
  }

  /** The page is read as tuples and rendered here: in process, rows cost no wire. */
  async historyJson(seriesId: number, key: string, query: Pick<HistoryQuery, 'after' | 'limit'>): Promise<HistoryJsonPage> {
    const rows = await this.historyFor(seriesId, { ...query, limit: query.limit === undefined ? undefined : query.limit + 1 });
    const more = query.limit !== undefined && rows.length > query.limit;
    const page = more ? rows.slice(0, query.limit) : rows;
    return {
      items: page
        .map(([step, timestamp, value]) => JSON.stringify({ key, value: metricValueJson(value ?? 0, value === null), timestamp, step }))
        .join(','),
      count: page.length,
      last: more ? page[page.length - 1] : undefined,
    };
  }

  async rollups(seriesId: number, level: number, fromBucket: number, toBucket: number): Promise<Summary[]> {
    const rows = await this.sql.queryTuples<[number, number, number, number, number | null, number | null, number, number, number]>(
      `SELECT first_step, last_step, point_count, nan_count, min_value, max_value, last_timestamp, last_value, last_is_nan
       FROM metric_rollups WHERE series_id = ? AND level = ? AND bucket >= ? AND bucket <= ? ORDER BY bucket`,
      [seriesId, level, fromBucket, toBucket],
    );
    return rows.map(([firstStep, lastStep, count, nanCount, min, max, lastTimestamp, lastValue, lastIsNan]) => ({
      firstStep,
      lastStep,
      count,
      nanCount,
      min,
      max,
      lastTimestamp,
      lastValue,
      lastIsNan: lastIsNan === 1,
    }));
  }
}

/** Totals per series of this batch, resolving (and creating) series ids as needed. */
function groupBySeries(
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
