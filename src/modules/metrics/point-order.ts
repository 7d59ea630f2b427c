/**
 * The orders of a series' points, each stated once for TypeScript and SQL.
 *
 * Which point of a series is its latest, MLflow's definition:
 * the point with the greatest (step, timestamp, value), compared in that order. A later step wins
 * whatever its timestamp; on the same step the later timestamp wins; on the same step and
 * timestamp the greater value wins (NaN compares as its stored value, 0). A tie on all three
 * keeps the point already held. Both databases compare row values lexicographically, so the SQL
 * form is one row-value comparison.
 */

/** True when the point (step, timestamp, value) is later than (thanStep, thanTimestamp, thanValue). */
export function isLaterPoint(
  step: number,
  timestamp: number,
  value: number,
  thanStep: number,
  thanTimestamp: number,
  thanValue: number,
): boolean {
  if (step !== thanStep) {
    return step > thanStep;
  }
  if (timestamp !== thanTimestamp) {
    return timestamp > thanTimestamp;
  }
  return value > thanValue;
}

/** SQL expressions of a point's columns (e.g. `l.step`, or `?` for a bound value). */
export interface PointColumnsSql {
  step: string;
  timestamp: string;
  value: string;
  isNan: string;
}

/** Columns named with a prefix: `s.` + last_step, … or excluded. + step, …. */
export function pointColumns(prefix: string, names: Readonly<PointColumnsSql>): PointColumnsSql {
  return {
    step: `${prefix}${names.step}`,
    timestamp: `${prefix}${names.timestamp}`,
    value: `${prefix}${names.value}`,
    isNan: `${prefix}${names.isNan}`,
  };
}

/** The columns of a stored point (metric_points). */
export const POINT_COLUMNS: Readonly<PointColumnsSql> = { step: 'step', timestamp: 'timestamp', value: 'value', isNan: 'is_nan' };
/** The columns that hold a latest point (metric_series, metric_rollups). */
export const LAST_POINT_COLUMNS: Readonly<PointColumnsSql> = {
  step: 'last_step',
  timestamp: 'last_timestamp',
  value: 'last_value',
  isNan: 'last_is_nan',
};

/** SQL: `candidate` is later than `current`. */
export function laterPointSql(candidate: PointColumnsSql, current: PointColumnsSql): string {
  return `(${candidate.step}, ${candidate.timestamp}, ${candidate.value}) > (${current.step}, ${current.timestamp}, ${current.value})`;
}

/** SQL ORDER BY terms that put the latest point first. */
export function latestFirstSql(prefix = ''): string {
  return `${prefix}step DESC, ${prefix}timestamp DESC, ${prefix}value DESC`;
}

/**
 * SQL SET assignments that replace the held latest point (`current`, in columns `target`) by
 * `candidate` when the candidate is later, one per field in `fields`. `heldIsEmpty` is a
 * condition under which the candidate is taken anyway (no point held yet). A bound candidate
 * (`?`) needs its three comparison values and then the assigned value bound per assignment, in
 * `fields` order (see latestPointParams).
 */
export function takeLaterPointSql(
  fields: readonly (keyof PointColumnsSql)[],
  target: PointColumnsSql,
  candidate: PointColumnsSql,
  current: PointColumnsSql,
  heldIsEmpty?: string,
): string {
  const later = laterPointSql(candidate, current);
  const condition = heldIsEmpty === undefined ? later : `${heldIsEmpty} OR ${later}`;
  return fields
    .map((field) => `${target[field]} = CASE WHEN ${condition} THEN ${candidate[field]} ELSE ${current[field]} END`)
    .join(',\n  ');
}

/** The bound values of takeLaterPointSql with a `?` candidate: per field, the comparison key then the field's value. */
export function latestPointParams(
  fields: readonly (keyof PointColumnsSql)[],
  point: { step: number; timestamp: number; value: number; isNan: number } | undefined,
): (number | null)[] {
  if (!point) {
    return fields.flatMap(() => [null, null, null, null]);
  }
  return fields.flatMap((field) => [point.step, point.timestamp, point.value, point[field]]);
}

/**
 * SQL ORDER BY terms of a series' points in history order: (step, timestamp, value, is_nan)
 * ascending, the primary key's order, which both databases read without sorting.
 */
export function historyOrderSql(prefix = ''): string {
  return `${prefix}step, ${prefix}timestamp, ${prefix}value, ${prefix}is_nan`;
}

/** SQL: a stored point's value as read out, NULL for NaN (stored as value 0, is_nan 1). */
export function pointValueSql(prefix = ''): string {
  return `CASE WHEN ${prefix}is_nan = 1 THEN NULL ELSE ${prefix}value END`;
}
