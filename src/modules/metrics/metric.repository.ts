import { Injectable } from '@nestjs/common';
import { chunksOf, placeholders, SqlClient, SqlExecutor } from '../../database/sql-client.js';
import { RollupRow, ROLLUP_FACTOR, ROLLUP_LEVELS, rollupsOf, SeriesPoint, Summary } from './metric-rollups.js';
import { MetricSeriesEntity } from './entities/metric.entity.js';
import { metricValueJson } from './metric-value-json.js';

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

/**
 * Points after a history cursor, next to `p.series_id = ?`: the equality plus a row value over
 * the rest of the primary key is what both databases turn into one index seek. Written over the
 * whole key, (series_id, step, …) > (…), neither did: both scanned the series from its first
 * point to the cursor, so each page of a long history cost more than the one before (SQLite
 * EXPLAIN QUERY PLAN: "series_id=?" only; PostgreSQL: 21 ms to reach step 500,000 instead of 0.1).
 */
const AFTER_CURSOR = ' AND (p.step, p.timestamp, p.value, p.is_nan) > (?, ?, ?, ?)';

function cursorParams(after: HistoryCursor): number[] {
  return [after.step, after.timestamp, after.value, after.isNan];
}

/** A history page rendered as JSON (see MetricRepository.historyJson). */
export interface HistoryJsonPage {
  /** The page's metric objects joined by commas (no brackets); empty for no points. */
  items: string;
  count: number;
  /** The page's last point, when another page follows. */
  last?: PointTuple;
}

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
/** Folds a batch's summary of a bucket into the stored one (or stores it). */
const ROLLUP_COLUMNS =
  'series_id, level, bucket, first_step, last_step, point_count, nan_count, min_value, max_value, last_timestamp, last_value, last_is_nan';
const ROLLUP_MERGE = `ON CONFLICT (series_id, level, bucket) DO UPDATE SET
  first_step = CASE WHEN excluded.first_step < metric_rollups.first_step THEN excluded.first_step ELSE metric_rollups.first_step END,
  last_step = CASE WHEN excluded.last_step > metric_rollups.last_step THEN excluded.last_step ELSE metric_rollups.last_step END,
  point_count = metric_rollups.point_count + excluded.point_count,
  nan_count = metric_rollups.nan_count + excluded.nan_count,
  min_value = CASE WHEN metric_rollups.min_value IS NULL OR excluded.min_value < metric_rollups.min_value THEN excluded.min_value ELSE metric_rollups.min_value END,
  max_value = CASE WHEN metric_rollups.max_value IS NULL OR excluded.max_value > metric_rollups.max_value THEN excluded.max_value ELSE metric_rollups.max_value END,
  last_timestamp = CASE WHEN (excluded.last_step, excluded.last_timestamp, excluded.last_value) > (metric_rollups.last_step, metric_rollups.last_timestamp, metric_rollups.last_value) THEN excluded.last_timestamp ELSE metric_rollups.last_timestamp END,
  last_value = CASE WHEN (excluded.last_step, excluded.last_timestamp, excluded.last_value) > (metric_rollups.last_step, metric_rollups.last_timestamp, metric_rollups.last_value) THEN excluded.last_value ELSE metric_rollups.last_value END,
  last_is_nan = CASE WHEN (excluded.last_step, excluded.last_timestamp, excluded.last_value) > (metric_rollups.last_step, metric_rollups.last_timestamp, metric_rollups.last_value) THEN excluded.last_is_nan ELSE metric_rollups.last_is_nan END`;
const UPSERT_ROLLUP_SQLITE = `INSERT INTO metric_rollups (${ROLLUP_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ${ROLLUP_MERGE}`;
const INSERT_POINTS_POSTGRES = `INSERT INTO metric_points (series_id, step, timestamp, value, is_nan)
    SELECT * FROM unnest(?::bigint[], ?::bigint[], ?::bigint[], ?::float8[], ?::smallint[])`;

/**
 * PostgreSQL's append in one statement: the points, then, from the rows actually inserted, each
 * series' count and latest point and its rollup buckets at every level, locks taken in
 * (series, level, bucket) order. The rollups come precomputed from the server (rollupsOf) for
 * the usual case where every point was new; only when some were duplicates does PostgreSQL group
 * what was inserted itself (floor division that holds for negative steps), which cost more
 * database CPU than the whole insert in the ingestion profile.
 *
 * Two forms: `strict` inserts plainly and fails with a unique violation on any duplicate;
 * `tolerant` drops exact duplicates (ON CONFLICT DO NOTHING). Strict is tried first because
 * duplicates are rare (a client retrying a batch) and ON CONFLICT costs a second index descent
 * and a third WAL record per point: 4 clients inserting 1,000-point batches stored 185,000
 * points/s plainly against 138,000 with ON CONFLICT on this machine.
 */
function appendPointsPostgres(form: 'strict' | 'tolerant'): string {
  return `WITH inserted AS (
    ${INSERT_POINTS_POSTGRES}
    ${form === 'tolerant' ? 'ON CONFLICT DO NOTHING' : ''}
    RETURNING series_id, step, timestamp, value, is_nan
  ),
  latest AS (
    SELECT DISTINCT ON (series_id) series_id, step, timestamp, value, is_nan
    FROM inserted ORDER BY series_id, step DESC, timestamp DESC, value DESC
  ),
  totals AS (SELECT series_id, COUNT(*) AS n FROM inserted GROUP BY series_id),
  series_update AS (
    UPDATE metric_series s SET
      point_count = s.point_count + t.n,
      last_step = CASE WHEN s.last_step IS NULL OR (l.step, l.timestamp, l.value) > (s.last_step, s.last_timestamp, s.last_value) THEN l.step ELSE s.last_step END,
      last_timestamp = CASE WHEN s.last_step IS NULL OR (l.step, l.timestamp, l.value) > (s.last_step, s.last_timestamp, s.last_value) THEN l.timestamp ELSE s.last_timestamp END,
      last_value = CASE WHEN s.last_step IS NULL OR (l.step, l.timestamp, l.value) > (s.last_step, s.last_timestamp, s.last_value) THEN l.value ELSE s.last_value END,
      last_is_nan = CASE WHEN s.last_step IS NULL OR (l.step, l.timestamp, l.value) > (s.last_step, s.last_timestamp, s.last_value) THEN l.is_nan ELSE s.last_is_nan END
    FROM totals t JOIN latest l ON l.series_id = t.series_id
    WHERE s.id = t.series_id
    RETURNING s.id
  ),
  levels (level, width) AS (VALUES ${ROLLUP_LEVELS.map((level) => `(${level}, ${ROLLUP_FACTOR ** level})`).join(', ')}),
  bucketed AS (
    SELECT i.series_id, v.level, (i.step - (((i.step % v.width) + v.width) % v.width)) / v.width AS bucket, i.step, i.timestamp, i.value, i.is_nan
    FROM inserted i CROSS JOIN levels v
  ),
  sql_summaries AS (
    SELECT series_id, level, bucket, MIN(step) AS first_step, MAX(step) AS last_step, COUNT(*) AS point_count, SUM(is_nan) AS nan_count,
      MIN(value) FILTER (WHERE is_nan = 0) AS min_value, MAX(value) FILTER (WHERE is_nan = 0) AS max_value,
      (ARRAY_AGG(timestamp ORDER BY step DESC, timestamp DESC, value DESC))[1] AS last_timestamp,
      (ARRAY_AGG(value ORDER BY step DESC, timestamp DESC, value DESC))[1] AS last_value,
      (ARRAY_AGG(is_nan ORDER BY step DESC, timestamp DESC, value DESC))[1] AS last_is_nan
    FROM bucketed GROUP BY series_id, level, bucket
  ),
  summaries AS (
    SELECT * FROM unnest(?::bigint[], ?::smallint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[],
      ?::float8[], ?::float8[], ?::bigint[], ?::float8[], ?::smallint[])
      AS r(series_id, level, bucket, first_step, last_step, point_count, nan_count, min_value, max_value, last_timestamp, last_value, last_is_nan)
    WHERE (SELECT COUNT(*) FROM inserted) = ?
    UNION ALL
    SELECT * FROM sql_summaries WHERE (SELECT COUNT(*) FROM inserted) <> ?
  ),
  rollup_upsert AS (
    INSERT INTO metric_rollups (${ROLLUP_COLUMNS})
    SELECT series_id, level, bucket, first_step, last_step, point_count, nan_count, min_value, max_value, last_timestamp, last_value, last_is_nan
    FROM summaries ORDER BY series_id, level, bucket
    ${ROLLUP_MERGE}
    RETURNING 1
  )
  SELECT (SELECT COUNT(*) FROM inserted) AS inserted, (SELECT COUNT(*) FROM series_update) AS series, (SELECT COUNT(*) FROM rollup_upsert) AS rollups`;
}
const APPEND_POINTS_STRICT = appendPointsPostgres('strict');
const APPEND_POINTS_TOLERANT = appendPointsPostgres('tolerant');

/** Positions of rollupParams' values, one unnest array each (PostgreSQL). */
const ROLLUP_FIELDS = Array.from({ length: 12 }, (_, index) => index);

function rollupParams(row: RollupRow): (number | null)[] {
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
 * Rollups of one level and bucket range as one bytea: each row packed as eight big-endian
 * 8-byte fields and a 2-byte flag (the *send functions are PostgreSQL's binary forms), a
 * missing min/max as NaN, which a stored value never is. A 1,000-bucket chart of a million
 * points reads 3,906 rollups; as rows, node-postgres turned their 35,000 cells into strings
 * and numbers for 11-18 ms of server CPU per request, packed 3-6 ms, while PostgreSQL spends
 * about 2 ms more building the bytes.
 */
const ROLLUPS_PACKED_POSTGRES = `SELECT string_agg(
    int8send(first_step) || int8send(last_step) || int8send(point_count) || int8send(nan_count)
      || float8send(coalesce(min_value, 'NaN')) || float8send(coalesce(max_value, 'NaN'))
      || int8send(last_timestamp) || float8send(last_value) || int2send(last_is_nan),
    ''::bytea ORDER BY bucket) AS packed
  FROM metric_rollups WHERE series_id = ? AND level = ? AND bucket >= ? AND bucket <= ?`;
const PACKED_ROLLUP_BYTES = 8 * 8 + 2;

/** A big-endian int8 of ours (steps, counts, ms) as a number: exact below 2^53. */
function readInt8(bytes: Buffer, offset: number): number {
  return bytes.readInt32BE(offset) * 2 ** 32 + bytes.readUInt32BE(offset + 4);
}

function unpackRollups(bytes: Buffer): Summary[] {
  const summaries: Summary[] = [];
  for (let offset = 0; offset + PACKED_ROLLUP_BYTES <= bytes.length; offset += PACKED_ROLLUP_BYTES) {
    const min = bytes.readDoubleBE(offset + 32);
    const max = bytes.readDoubleBE(offset + 40);
    summaries.push({
      firstStep: readInt8(bytes, offset),
      lastStep: readInt8(bytes, offset + 8),
      count: readInt8(bytes, offset + 16),
      nanCount: readInt8(bytes, offset + 24),
      min: Number.isNaN(min) ? null : min,
      max: Number.isNaN(max) ? null : max,
      lastTimestamp: readInt8(bytes, offset + 48),
      lastValue: bytes.readDoubleBE(offset + 56),
      lastIsNan: bytes.readInt16BE(offset + 64) === 1,
    });
  }
  return summaries;
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

  /**
   * Stores every point in one transaction; returns how many were new (not exact duplicates).
   * With `tx`, the points join that (caller's) transaction instead; series created in it are
   * not cached, because the caller may still roll it back.
   */
  async appendPoints(runId: number, points: readonly StoredPoint[], tx?: SqlExecutor): Promise<number> {
    if (points.length === 0) {
      return 0;
    }
    // Series ids are cached only after commit, so a rolled-back batch leaves no stale id behind.
    return this.sql.dialect === 'sqlite' ? this.appendPointsSqlite(runId, points, tx) : this.appendPointsPostgres(runId, points, tx);
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
    // Qualified names throughout: PostgreSQL would otherwise take ORDER BY value for the CASE
    // output column, sort the NaN points (NULL there) last and give up the index order.
    let sql =
      'SELECT p.step, p.timestamp, CASE WHEN p.is_nan = 1 THEN NULL ELSE p.value END AS point_value FROM metric_points p WHERE p.series_id = ?';
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
    sql += ' ORDER BY p.step, p.timestamp, p.value, p.is_nan';
    if (query.limit !== undefined) {
      sql += ' LIMIT ?';
      params.push(query.limit);
    }
    return this.sql.queryTuples<PointTuple>(sql, params);
  }

  /**
   * One page of a history as MLflow's metric objects, already JSON: `{"key":…,"value":…,
   * "timestamp":…,"step":…}` joined by commas, in step order, with the cursor of its last point
   * when more follow. On PostgreSQL the database renders the page (string_agg), so a page of
   * 25,000 points crosses the wire and the driver as one text value rather than 25,000 rows:
   * decoding those rows and stringifying them was most of a long history's time in the server.
   */
  async historyJson(seriesId: number, key: string, query: Pick<HistoryQuery, 'after' | 'limit'>): Promise<HistoryJsonPage> {
    if (this.sql.dialect === 'sqlite') {
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
    const keyJson = JSON.stringify(key);
    const params: (number | string | null)[] = [keyJson, seriesId];
    let keyset = '';
    if (query.after) {
      keyset = AFTER_CURSOR;
      params.push(...cursorParams(query.after));
    }
    // One row past the page tells whether another page follows; its item is left out.
    params.push(query.limit === undefined ? null : query.limit + 1);
    const pageSize = query.limit ?? Number.MAX_SAFE_INTEGER;
    const [[items, fetched, lastStep, lastTimestamp, lastValue, lastIsNan]] = await this.sql.queryTuples<
      [string | null, number, number | null, number | null, number | null, number | null]
    >(
      `SELECT string_agg(s.item, ',' ORDER BY s.rn) FILTER (WHERE s.rn <= ?), count(*),
              max(s.step) FILTER (WHERE s.rn = ?), max(s.timestamp) FILTER (WHERE s.rn = ?),
              max(s.value) FILTER (WHERE s.rn = ?), max(s.is_nan) FILTER (WHERE s.rn = ?)
       FROM (
         SELECT p.step, p.timestamp, p.value, p.is_nan,
                row_number() OVER (ORDER BY p.step, p.timestamp, p.value, p.is_nan) AS rn,
                '{"key":' || ?::text || ',"value":' ||
                  CASE WHEN p.is_nan = 1 THEN '"NaN"'
                       WHEN p.value = 'Infinity'::float8 THEN '"Infinity"'
                       WHEN p.value = '-Infinity'::float8 THEN '"-Infinity"'
                       ELSE p.value::text END ||
                  ',"timestamp":' || p.timestamp || ',"step":' || p.step || '}' AS item
         FROM metric_points p WHERE p.series_id = ?${keyset}
         ORDER BY p.step, p.timestamp, p.value, p.is_nan
         LIMIT ?
       ) s`,
      [pageSize, pageSize, pageSize, pageSize, pageSize, ...params],
    );
    const more = fetched > pageSize;
    const last: PointTuple | undefined =
      !more || lastStep === null || lastTimestamp === null || lastValue === null
        ? undefined
        : [lastStep, lastTimestamp, lastIsNan === 1 ? null : lastValue];
    return { items: items ?? '', count: Math.min(fetched, pageSize), last };
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

  private async appendPointsSqlite(runId: number, points: readonly StoredPoint[], tx?: SqlExecutor): Promise<number> {
    const insertPoint = this.sql.statement(INSERT_POINT_SQLITE);
    const insertSeries = this.sql.statement(INSERT_SERIES);
    const selectSeries = this.sql.pluckStatement(SELECT_SERIES);
    const updateSeries = this.sql.statement(UPDATE_SERIES);
    const upsertRollup = this.sql.statement(UPSERT_ROLLUP_SQLITE);
    const created: [key: string, id: number][] = [];
    const stored: SeriesPoint[] = [];
    const write = () => {
      created.length = 0;
      stored.length = 0;
      // Resolved once per key and batch: a batch usually interleaves its keys step by step, and
      // inside a caller's transaction nothing reaches the shared cache until it commits.
      const resolved = new Map<string, number>();
      const { ids, totals } = this.groupBySeries(points, (key) => {
        const known = resolved.get(key) ?? this.seriesIds.get(`${runId}\u0000${key}`);
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
    const inserted = await this.sql.sqliteTransaction(write);
    this.cacheAfterCommit(runId, created);
    return inserted;
  }

  /** Series ids become cacheable once the rows that hold them are committed. */
  private cacheAfterCommit(runId: number, created: readonly (readonly [key: string, id: number])[]): void {
    if (created.length > 0) {
      this.sql.afterCommit(() => {
        for (const [key, id] of created) {
          this.cacheSeries(runId, key, id);
        }
      });
    }
  }

  /**
   * PostgreSQL: one statement does the whole append (points, series totals, latest point and
   * rollups, computed from the rows actually inserted), so a batch costs one round trip and
   * is atomic on its own. Only series never seen before cost one more.
   */
  private async appendPointsPostgres(runId: number, points: readonly StoredPoint[], outer?: SqlExecutor): Promise<number> {
    const db = outer ?? this.sql;
    const local = await this.postgresSeriesIds(runId, points, db, outer === undefined);
    const ids = points.map((point) => local.get(point.key) as number);
    const values = points.map((point) => (point.isNan ? 0 : point.value));
    const rollups = rollupsOf(
      points.map((point, index) => ({
        seriesId: ids[index],
        step: point.step,
        timestamp: point.timestamp,
        value: values[index],
        isNan: point.isNan,
      })),
    ).map(rollupParams);
    const params = [
      ids,
      points.map((point) => point.step),
      points.map((point) => point.timestamp),
      values,
      points.map((point) => (point.isNan ? 1 : 0)),
      ...ROLLUP_FIELDS.map((field) => rollups.map((row) => row[field])),
      points.length,
      points.length,
    ];
    // Alone (not in a transaction), a failed statement left nothing behind and can run again:
    // the strict form after a duplicate, either form after a lost deadlock. In a caller's
    // transaction an error would abort the whole transaction, so only the tolerant form runs.
    const alone = outer === undefined && !this.sql.inTransaction();
    let statement = alone ? APPEND_POINTS_STRICT : APPEND_POINTS_TOLERANT;
    for (let attempt = 1; ; attempt++) {
      try {
        const row = await db.queryOne<{ inserted: number; rollups: number }>(statement, params);
        this.sql.noteRowsWritten('metric_points', row?.inserted ?? 0);
        this.sql.noteRowsWritten('metric_rollups', row?.rollups ?? 0);
        return row?.inserted ?? 0;
      } catch (error) {
        const code = (error as { code?: unknown } | null)?.code;
        if (alone && code === '23505' && statement === APPEND_POINTS_STRICT) {
          statement = APPEND_POINTS_TOLERANT;
          continue;
        }
        if (!alone || code !== '40P01' || attempt >= 3) {
          throw error;
        }
      }
    }
  }

  /** Series ids of the batch's keys, creating the missing series (sorted, one lock order). */
  private async postgresSeriesIds(
    runId: number,
    points: readonly StoredPoint[],
    db: SqlExecutor,
    cacheable: boolean,
  ): Promise<Map<string, number>> {
    const local = new Map<string, number>();
    const missing: string[] = [];
    for (const point of points) {
      if (local.has(point.key)) {
        continue;
      }
      const cached = this.seriesIds.get(`${runId}\u0000${point.key}`);
      if (cached === undefined) {
        if (!missing.includes(point.key)) {
          missing.push(point.key);
        }
      } else {
        local.set(point.key, cached);
      }
    }
    if (missing.length > 0) {
      missing.sort();
      const created = await db.execute(
        'INSERT INTO metric_series (run_id, key) SELECT ?, unnest(?::text[]) ON CONFLICT (run_id, key) DO NOTHING',
        [runId, missing],
      );
      this.sql.noteRowsWritten('metric_series', created);
      const rows = await db.query<{ id: number; key: string }>(
        'SELECT id, key FROM metric_series WHERE run_id = ? AND key = ANY(?::text[])',
        [runId, missing],
      );
      for (const row of rows) {
        local.set(row.key, row.id);
      }
      // Inside a caller's transaction the new rows may still be rolled back: cache them only
      // once committed (afterCommit), and not at all in a transaction we cannot see the end of.
      if (cacheable) {
        this.cacheAfterCommit(
          runId,
          rows.map((row) => [row.key, row.id] as const),
        );
      }
    }
    return local;
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

  /** Rollup rows of one level whose buckets lie in [fromBucket, toBucket], in step order. */
  async rollups(seriesId: number, level: number, fromBucket: number, toBucket: number): Promise<Summary[]> {
    const params = [seriesId, level, fromBucket, toBucket];
    if (this.sql.dialect === 'postgres') {
      const row = await this.sql.queryOne<{ packed: Buffer | null }>(ROLLUPS_PACKED_POSTGRES, params);
      return row?.packed ? unpackRollups(row.packed) : [];
    }
    const rows = await this.sql.queryTuples<[number, number, number, number, number | null, number | null, number, number, number]>(
      `SELECT first_step, last_step, point_count, nan_count, min_value, max_value, last_timestamp, last_value, last_is_nan
       FROM metric_rollups WHERE series_id = ? AND level = ? AND bucket >= ? AND bucket <= ? ORDER BY bucket`,
      params,
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
