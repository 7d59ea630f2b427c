/** A row of `metric_series`: one metric key of one run, with its latest point kept current at ingestion. */
export interface MetricSeriesEntity {
  id: number;
  run_id: number;
  key: string;
  point_count: number;
  last_step: number | null;
  last_timestamp: number | null;
  last_value: number | null;
  last_is_nan: number | null;
}

/** A row of `metric_points`: one logged point; NaN is stored as value 0 with is_nan 1 because SQLite cannot hold NaN. */
export interface MetricPointEntity {
  series_id: number;
  step: number;
  timestamp: number;
  value: number;
  is_nan: number;
}

/**
 * A row of `metric_rollups`: one bucket of 16^level steps of a series (see metric-rollups.ts),
 * its first and last step, point and NaN counts, min and max (null when every point was NaN),
 * and its last point.
 */
export interface MetricRollupEntity {
  series_id: number;
  level: number;
  bucket: number;
  first_step: number;
  last_step: number;
  point_count: number;
  nan_count: number;
  min_value: number | null;
  max_value: number | null;
  last_timestamp: number;
  last_value: number;
  last_is_nan: number;
}
