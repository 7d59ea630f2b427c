import { isLaterPoint } from './point-order.js';

/** Level L summarises steps in buckets of 16^L steps; the table is created by migration MetricRollups1795766400500. */
export const ROLLUP_LEVELS = [1, 2, 3, 4, 5] as const;
export const ROLLUP_FACTOR = 16;

/** A stored point of one series, as rollups see it (NaN: value 0, isNan true). */
export interface SeriesPoint {
  seriesId: number;
  step: number;
  timestamp: number;
  value: number;
  isNan: boolean;
}

/**
 * A summary of consecutive points: a rollup bucket, a raw point, or a chart bucket made of
 * either. min/max ignore NaN (null when every point was NaN); "last" is the latest point
 * (isLaterPoint), as for a series' latest value.
 */
export interface Summary {
  firstStep: number;
  lastStep: number;
  count: number;
  nanCount: number;
  min: number | null;
  max: number | null;
  lastTimestamp: number;
  lastValue: number;
  lastIsNan: boolean;
}

export interface RollupRow extends Summary {
  seriesId: number;
  level: number;
  bucket: number;
}

export function bucketWidth(level: number): number {
  return ROLLUP_FACTOR ** level;
}

export function summaryOfPoint(point: Pick<SeriesPoint, 'step' | 'timestamp' | 'value' | 'isNan'>): Summary {
  return {
    firstStep: point.step,
    lastStep: point.step,
    count: 1,
    nanCount: point.isNan ? 1 : 0,
    min: point.isNan ? null : point.value,
    max: point.isNan ? null : point.value,
    lastTimestamp: point.timestamp,
    lastValue: point.value,
    lastIsNan: point.isNan,
  };
}

/** Folds `part` into `into` (mutating it). */
export function mergeInto(into: Summary, part: Summary): void {
  const partIsLater = isLaterPoint(part.lastStep, part.lastTimestamp, part.lastValue, into.lastStep, into.lastTimestamp, into.lastValue);
  into.firstStep = Math.min(into.firstStep, part.firstStep);
  into.count += part.count;
  into.nanCount += part.nanCount;
  into.min = into.min === null ? part.min : part.min === null ? into.min : Math.min(into.min, part.min);
  into.max = into.max === null ? part.max : part.max === null ? into.max : Math.max(into.max, part.max);
  if (partIsLater) {
    into.lastStep = part.lastStep;
    into.lastTimestamp = part.lastTimestamp;
    into.lastValue = part.lastValue;
    into.lastIsNan = part.lastIsNan;
  }
}

/**
 * The rollup rows a set of newly stored points adds to, one per (series, level, bucket): each
 * point is folded into its level-1 bucket, and each level is folded from the one below, so the
 * work per point is one map update whatever the number of levels.
 */
export function rollupsOf(points: readonly SeriesPoint[]): RollupRow[] {
  const rows: RollupRow[] = [];
  let below = new Map<string, RollupRow>();
  const firstWidth = bucketWidth(1);
  for (const point of points) {
    const bucket = Math.floor(point.step / firstWidth);
    const id = `${point.seriesId}:${bucket}`;
    const existing = below.get(id);
    if (existing) {
      mergeInto(existing, summaryOfPoint(point));
    } else {
      below.set(id, { seriesId: point.seriesId, level: 1, bucket, ...summaryOfPoint(point) });
    }
  }
  rows.push(...below.values());
  for (const level of ROLLUP_LEVELS.slice(1)) {
    const current = new Map<string, RollupRow>();
    for (const row of below.values()) {
      const bucket = Math.floor(row.bucket / ROLLUP_FACTOR);
      const id = `${row.seriesId}:${bucket}`;
      const existing = current.get(id);
      if (existing) {
        mergeInto(existing, row);
      } else {
        current.set(id, { ...row, level, bucket });
      }
    }
    rows.push(...current.values());
    below = current;
  }
  // One lock order for every writer (PostgreSQL): series, level, bucket.
  return rows.sort((a, b) => a.seriesId - b.seriesId || a.level - b.level || a.bucket - b.bucket);
}
