import { SqlExecutor } from '../../database/sql-client.js';
import { ROLLUP_FACTOR, ROLLUP_LEVELS, rollupsOf, Summary } from './metric-rollups.js';
import {
  AFTER_CURSOR,
  cursorParams,
  HistoryJsonPage,
  HistoryQuery,
  MetricStore,
  PointTuple,
  ROLLUP_COLUMNS,
  ROLLUP_MERGE,
  rollupParams,
  StoredPoint,
} from './metric.store.js';
import {
  historyOrderSql,
  LAST_POINT_COLUMNS,
  latestFirstSql,
  POINT_COLUMNS,
  pointColumns,
  PointColumnsSql,
  takeLaterPointSql,
} from './point-order.js';

const INSERT_POINTS = `INSERT INTO metric_points (series_id, step, timestamp, value, is_nan)
    SELECT * FROM unnest(?::bigint[], ?::bigint[], ?::bigint[], ?::float8[], ?::smallint[])`;

const LATEST_FIELDS: readonly (keyof PointColumnsSql)[] = ['step', 'timestamp', 'value', 'isNan'];

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
function appendStatement(form: 'strict' | 'tolerant'): string {
  return `WITH inserted AS (
    ${INSERT_POINTS}
    ${form === 'tolerant' ? 'ON CONFLICT DO NOTHING' : ''}
    RETURNING series_id, step, timestamp, value, is_nan
  ),
  latest AS (
    SELECT DISTINCT ON (series_id) series_id, step, timestamp, value, is_nan
    FROM inserted ORDER BY series_id, ${latestFirstSql()}
  ),
  totals AS (SELECT series_id, COUNT(*) AS n FROM inserted GROUP BY series_id),
  series_update AS (
    UPDATE metric_series s SET
      point_count = s.point_count + t.n,
      ${takeLaterPointSql(LATEST_FIELDS, LAST_POINT_COLUMNS, pointColumns('l.', POINT_COLUMNS), pointColumns('s.', LAST_POINT_COLUMNS), 's.last_step IS NULL')}
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
      (ARRAY_AGG(timestamp ORDER BY ${latestFirstSql()}))[1] AS last_timestamp,
      (ARRAY_AGG(value ORDER BY ${latestFirstSql()}))[1] AS last_value,
      (ARRAY_AGG(is_nan ORDER BY ${latestFirstSql()}))[1] AS last_is_nan
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
const APPEND_POINTS_STRICT = appendStatement('strict');
const APPEND_POINTS_TOLERANT = appendStatement('tolerant');

/** Positions of rollupParams' values, one unnest array each. */
const ROLLUP_FIELDS = Array.from({ length: 12 }, (_, index) => index);

/**
 * Rollups of one level and bucket range as one bytea: each row packed as eight big-endian
 * 8-byte fields and a 2-byte flag (the *send functions are PostgreSQL's binary forms), a
 * missing min/max as NaN, which a stored value never is. A 1,000-bucket chart of a million
 * points reads 3,906 rollups; as rows, node-postgres turned their 35,000 cells into strings
 * and numbers for 11-18 ms of server CPU per request, packed 3-6 ms, while PostgreSQL spends
 * about 2 ms more building the bytes.
 */
const ROLLUPS_PACKED = `SELECT string_agg(
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

/** A point with the id of its series. */
interface SeriesPoint {
  seriesId: number;
  point: StoredPoint;
}

interface PendingAppend {
  batch: SeriesPoint[];
  resolve: (inserted: number) => void;
  reject: (error: unknown) => void;
}

/**
 * Appends of at most this many points take part in group commits. Bigger batches (a training
 * loop's log-batch) already fill a statement and run side by side on their own connections,
 * which keeps more than one PostgreSQL backend busy.
 */
const GROUP_COMMIT_MAX_APPEND = 64;
/** A group stops growing at this many points, so its statement stays short. */
const GROUP_COMMIT_MAX_POINTS = 2_000;

/** The next group from the waiting appends, oldest first, removed from `waiting`. */
function takeGroup(waiting: PendingAppend[]): PendingAppend[] {
  let points = 0;
  let count = 0;
  while (count < waiting.length && (count === 0 || points + waiting[count].batch.length <= GROUP_COMMIT_MAX_POINTS)) {
    points += waiting[count].batch.length;
    count++;
  }
  return waiting.splice(0, count);
}

/**
 * PostgreSQL: over the wire, so each operation is as few statements as it can be, and what the
 * server would otherwise decode row by row comes back already packed (JSON text, bytea).
 */
export class PostgresMetricStore extends MetricStore {
  /** Appends that are waiting for the group commit under way to finish (see `groupCommit`). */
  private readonly waiting: PendingAppend[] = [];
  private committing = false;

  /**
   * One statement does the whole append (points, series totals, latest point and
   * rollups, computed from the rows actually inserted), so a batch costs one round trip and
   * is atomic on its own. Only series never seen before cost one more. Small appends made
   * outside a transaction are committed together with the others that arrive meanwhile
   * (`groupCommit`).
   */
  async appendPoints(runId: number, points: readonly StoredPoint[], outer?: SqlExecutor): Promise<number> {
    if (points.length === 0) {
      return 0;
    }
    const db = outer ?? this.sql;
    const local = await this.seriesIdsOf(runId, points, db, outer === undefined);
    const batch: SeriesPoint[] = points.map((point) => ({ seriesId: local.get(point.key) as number, point }));
    // Alone (not in a transaction), a failed statement left nothing behind and can run again:
    // the strict form after a duplicate, either form after a lost deadlock. In a caller's
    // transaction an error would abort the whole transaction, so only the tolerant form runs.
    const alone = outer === undefined && !this.sql.inTransaction();
    if (alone && batch.length <= GROUP_COMMIT_MAX_APPEND) {
      return this.groupCommit(batch);
    }
    return this.appendStatement(batch, db, alone);
  }

  /**
   * Group commit for chatty clients (one point per request, many requests at once): an append
   * that arrives while another group's statement runs waits for it and then goes with every
   * other append that arrived meanwhile, in one statement, so one round trip and one WAL flush
   * serve them all. Nobody waits for company: with nothing under way an append runs at once.
   * Each caller is answered only after the statement holding its points committed. If the
   * shared statement fails (a duplicate point, a lost deadlock, anything), each append runs
   * again alone, so each gets its own answer and its own exact count.
   */
  private groupCommit(batch: SeriesPoint[]): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      this.waiting.push({ batch, resolve, reject });
      if (!this.committing) {
        void this.commitWaitingGroups();
      }
    });
  }

  private async commitWaitingGroups(): Promise<void> {
    this.committing = true;
    try {
      while (this.waiting.length > 0) {
        const group = takeGroup(this.waiting);
        if (group.length > 1) {
          try {
            await this.appendStatement(
              group.flatMap((append) => append.batch),
              this.sql,
              true,
              APPEND_POINTS_STRICT,
            );
            // The strict form stored every point, so each append's count is its size.
            group.forEach((append) => append.resolve(append.batch.length));
            continue;
          } catch {
            // Told apart below: each append on its own.
          }
        }
        await Promise.all(group.map((append) => this.appendStatement(append.batch, this.sql, true).then(append.resolve, append.reject)));
      }
    } finally {
      this.committing = false;
    }
  }

  private async appendStatement(batch: readonly SeriesPoint[], db: SqlExecutor, alone: boolean, onlyForm?: string): Promise<number> {
    const values = batch.map(({ point }) => (point.isNan ? 0 : point.value));
    const rollups = rollupsOf(
      batch.map(({ seriesId, point }, index) => ({
        seriesId,
        step: point.step,
        timestamp: point.timestamp,
        value: values[index],
        isNan: point.isNan,
      })),
    ).map(rollupParams);
    const params = [
      batch.map(({ seriesId }) => seriesId),
      batch.map(({ point }) => point.step),
      batch.map(({ point }) => point.timestamp),
      values,
      batch.map(({ point }) => (point.isNan ? 1 : 0)),
      ...ROLLUP_FIELDS.map((field) => rollups.map((row) => row[field])),
      batch.length,
      batch.length,
    ];
    let statement = onlyForm ?? (alone ? APPEND_POINTS_STRICT : APPEND_POINTS_TOLERANT);
    for (let attempt = 1; ; attempt++) {
      try {
        const row = await db.queryOne<{ inserted: number; rollups: number }>(statement, params);
        this.sql.noteRowsWritten('metric_points', row?.inserted ?? 0);
        this.sql.noteRowsWritten('metric_rollups', row?.rollups ?? 0);
        return row?.inserted ?? 0;
      } catch (error) {
        const code = (error as { code?: unknown } | null)?.code;
        if (onlyForm !== undefined) {
          throw error;
        }
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
  private async seriesIdsOf(
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
      const cached = this.cachedSeriesId(runId, point.key);
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

  /**
   * The database renders the page (string_agg), so a page of 25,000 points crosses the wire and
   * the driver as one text value rather than 25,000 rows: decoding those rows and stringifying
   * them was most of a long history's time in the server.
   */
  async historyJson(seriesId: number, key: string, query: Pick<HistoryQuery, 'after' | 'limit'>): Promise<HistoryJsonPage> {
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
                row_number() OVER (ORDER BY ${historyOrderSql('p.')}) AS rn,
                '{"key":' || ?::text || ',"value":' ||
                  CASE WHEN p.is_nan = 1 THEN '"NaN"'
                       WHEN p.value = 'Infinity'::float8 THEN '"Infinity"'
                       WHEN p.value = '-Infinity'::float8 THEN '"-Infinity"'
                       ELSE p.value::text END ||
                  ',"timestamp":' || p.timestamp || ',"step":' || p.step || '}' AS item
         FROM metric_points p WHERE p.series_id = ?${keyset}
         ORDER BY ${historyOrderSql('p.')}
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

  async rollups(seriesId: number, level: number, fromBucket: number, toBucket: number): Promise<Summary[]> {
    const row = await this.sql.queryOne<{ packed: Buffer | null }>(ROLLUPS_PACKED, [seriesId, level, fromBucket, toBucket]);
    return row?.packed ? unpackRollups(row.packed) : [];
  }
}
