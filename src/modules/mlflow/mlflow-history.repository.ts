import { Injectable } from '@nestjs/common';
import { placeholders, SqlClient } from '../../database/sql-client.js';
import type { PointTuple } from '../metrics/metric.store.js';
import { historyOrderSql, pointValueSql } from '../metrics/point-order.js';

/** Steps to keep, both ends included; either may be open. */
export interface StepRange {
  startStep?: number;
  endStep?: number;
}

function rangeCondition(seriesId: number, range: StepRange): { where: string; params: number[] } {
  let where = 'series_id = ?';
  const params = [seriesId];
  if (range.startStep !== undefined) {
    where += ' AND step >= ?';
    params.push(range.startStep);
  }
  if (range.endStep !== undefined) {
    where += ' AND step <= ?';
    params.push(range.endStep);
  }
  return { where, params };
}

/**
 * Thinned metric histories for MLflow's chart endpoint (get-history-bulk-interval): the
 * database counts and numbers the points, and only the chosen ones are read out, so a chart of
 * 320 points over a history of millions does not carry the millions through the server.
 */
@Injectable()
export class MlflowHistoryRepository {
  constructor(private readonly sql: SqlClient) {}

  /** How many points of the series lie in the step range. */
  async countPoints(seriesId: number, range: StepRange): Promise<number> {
    const { where, params } = rangeCondition(seriesId, range);
    const row = await this.sql.queryOne<{ points: number | string }>(`SELECT COUNT(*) AS points FROM metric_points WHERE ${where}`, params);
    return Number(row?.points ?? 0);
  }

  /**
   * The points at `positions` (0-based, ascending) among the series' points in the step range,
   * taken in history order with NaN as stored (value 0, is_nan 1).
   */
  pointsAt(seriesId: number, range: StepRange, positions: readonly number[]): Promise<PointTuple[]> {
    if (positions.length === 0) {
      return Promise.resolve([]);
    }
    const { where, params } = rangeCondition(seriesId, range);
    return this.sql.queryTuples<PointTuple>(
      `SELECT step, timestamp, ${pointValueSql()} AS point_value
       FROM (
         SELECT step, timestamp, value, is_nan, ROW_NUMBER() OVER (ORDER BY ${historyOrderSql()}) - 1 AS point_index
         FROM metric_points WHERE ${where}
       ) numbered
       WHERE point_index IN (${placeholders(positions.length)})
       ORDER BY point_index`,
      [...params, ...positions],
    );
  }
}
