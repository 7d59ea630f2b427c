import type { SeriesBucket } from '../api/types';

/** What the x axis shows: the training step, or wall time since the run started (ms). */
export type XMode = 'step' | 'time';

/**
 * One run's /series answer as plottable columns. Every point sits at its bucket's `last_step`
 * (or that point's timestamp): the `last` line is then exact, and the min/max band spans the
 * same x so a spike anywhere in the bucket shows as the band's top.
 */
export interface RunColumns {
  x: number[];
  steps: number[];
  min: (number | null)[];
  max: (number | null)[];
  last: (number | null)[];
  /** `last` as the server sent it ("NaN" and "Infinity" stay strings), for the legend and data-last-value. */
  lastRaw: (number | string | null)[];
}

function plottable(value: number | string | null): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** Buckets → columns; in time mode x is `last_timestamp - timeOrigin` in ms (timeOrigin defaults to the first bucket's). */
export function bucketsToColumns(buckets: readonly SeriesBucket[], xMode: XMode, timeOrigin?: number): RunColumns {
  const count = buckets.length;
  const columns: RunColumns = {
    x: new Array<number>(count),
    steps: new Array<number>(count),
    min: new Array<number | null>(count),
    max: new Array<number | null>(count),
    last: new Array<number | null>(count),
    lastRaw: new Array<number | string | null>(count),
  };
  const origin = timeOrigin ?? (count > 0 ? Date.parse(buckets[0].last_timestamp) : 0);
  for (let i = 0; i < count; i++) {
    const bucket = buckets[i];
    columns.steps[i] = bucket.last_step;
    columns.x[i] = xMode === 'step' ? bucket.last_step : Date.parse(bucket.last_timestamp) - origin;
    columns.min[i] = plottable(bucket.min);
    columns.max[i] = plottable(bucket.max);
    columns.last[i] = plottable(bucket.last);
    columns.lastRaw[i] = bucket.last;
  }
  if (xMode === 'time') {
    sortByX(columns);
  }
  return columns;
}

/** Time can go backwards against steps (clock changes, resumed runs); uPlot needs ascending x. */
function sortByX(columns: RunColumns): void {
  const { x } = columns;
  let sorted = true;
  for (let i = 1; i < x.length && sorted; i++) {
    sorted = x[i - 1] <= x[i];
  }
  if (sorted) {
    return;
  }
  const order = x.map((_, index) => index).sort((a, b) => x[a] - x[b] || columns.steps[a] - columns.steps[b]);
  const pick = <T>(values: T[]): T[] => order.map((index) => values[index]);
  columns.x = pick(columns.x);
  columns.steps = pick(columns.steps);
  columns.min = pick(columns.min);
  columns.max = pick(columns.max);
  columns.last = pick(columns.last);
  columns.lastRaw = pick(columns.lastRaw);
}

/**
 * Exponential moving average with TensorBoard's debiasing (the first points are not pulled
 * towards zero). weight 0 returns the values unchanged; missing values stay missing and do not
 * reset the average.
 */
export function ema(values: readonly (number | null)[], weight: number): (number | null)[] {
  if (weight <= 0) {
    return values.slice();
  }
  const out = new Array<number | null>(values.length);
  let average = 0;
  let seen = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (value === null) {
      out[i] = null;
      continue;
    }
    seen++;
    average = average * weight + (1 - weight) * value;
    out[i] = average / (1 - Math.pow(weight, seen));
  }
  return out;
}

/** For a log axis: values ≤ 0 become gaps; returns how many were dropped. */
export function dropNonPositive(values: readonly (number | null)[]): { values: (number | null)[]; dropped: number } {
  let dropped = 0;
  const out = values.map((value) => {
    if (value !== null && value <= 0) {
      dropped++;
      return null;
    }
    return value;
  });
  return { values: out, dropped };
}

/** The series of one run inside the chart's aligned data (uPlot needs one shared x column). */
export interface RunSlots {
  min: number;
  max: number;
  last: number;
  /** Index of the smoothed line, or -1 without smoothing. */
  smooth: number;
}

export interface ChartData {
  /** uPlot's AlignedData: [x, then per run min, max, last (, smooth)]. */
  data: (number | null)[][];
  slots: RunSlots[];
  /** Points hidden because the log axis cannot show them. */
  dropped: number;
}

/**
 * Lays the runs' columns out as uPlot data. One run keeps its own x; several runs are joined
 * on the union of their x values, with gaps (null) where a run has no point (lines span them).
 */
export function buildChartData(runs: readonly (RunColumns | null)[], options: { logScale: boolean; smoothing: number }): ChartData {
  const present = runs.map((run) => run ?? emptyColumns());
  let x: number[];
  let positions: Int32Array[];
  if (present.length === 1) {
    x = present[0].x;
    positions = [Int32Array.from(x, (_, index) => index)];
  } else {
    x = unionSorted(present.map((run) => run.x));
    const indexOf = new Map<number, number>();
    x.forEach((value, index) => indexOf.set(value, index));
    positions = present.map((run) => Int32Array.from(run.x, (value) => indexOf.get(value) ?? 0));
  }
  const data: (number | null)[][] = [x];
  const slots: RunSlots[] = [];
  let dropped = 0;
  const place = (values: (number | null)[], at: Int32Array): (number | null)[] => {
    if (present.length === 1) {
      return values;
    }
    const column = new Array<number | null>(x.length).fill(null);
    for (let i = 0; i < at.length; i++) {
      column[at[i]] = values[i];
    }
    return column;
  };
  present.forEach((run, runIndex) => {
    let { min, max, last } = run;
    if (options.logScale) {
      const filtered = dropNonPositive(last);
      dropped += filtered.dropped;
      last = filtered.values;
      min = dropNonPositive(min).values;
      max = dropNonPositive(max).values;
    }
    const at = positions[runIndex];
    const slot: RunSlots = { min: data.length, max: data.length + 1, last: data.length + 2, smooth: -1 };
    data.push(place(min, at), place(max, at), place(last, at));
    if (options.smoothing > 0) {
      slot.smooth = data.length;
      data.push(place(ema(last, options.smoothing), at));
    }
    slots.push(slot);
  });
  return { data, slots, dropped };
}

function emptyColumns(): RunColumns {
  return { x: [], steps: [], min: [], max: [], last: [], lastRaw: [] };
}

/** Sorted union of ascending arrays, without duplicates. */
export function unionSorted(arrays: readonly (readonly number[])[]): number[] {
  const all: number[] = [];
  for (const values of arrays) {
    for (const value of values) {
      all.push(value);
    }
  }
  all.sort((a, b) => a - b);
  const out: number[] = [];
  for (const value of all) {
    if (out.length === 0 || out[out.length - 1] !== value) {
      out.push(value);
    }
  }
  return out;
}

/** The greatest step drawn and its value (for data-last-step / data-last-value). */
export function lastPoint(columns: RunColumns | null): { step: number; value: number | string | null } | null {
  if (!columns || columns.steps.length === 0) {
    return null;
  }
  let best = 0;
  for (let i = 1; i < columns.steps.length; i++) {
    if (columns.steps[i] >= columns.steps[best]) {
      best = i;
    }
  }
  return { step: columns.steps[best], value: columns.lastRaw[best] };
}
