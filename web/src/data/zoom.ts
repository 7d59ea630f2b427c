import type { XMode } from './series';

/** The most buckets a chart asks for: about one per pixel of plot width, never more than 1,000. */
export const MAX_POINTS = 1000;

export function pointsForWidth(widthPx: number): number {
  if (!Number.isFinite(widthPx) || widthPx <= 0) {
    return 500;
  }
  return Math.max(50, Math.min(MAX_POINTS, Math.round(widthPx)));
}

/** A visible x range (steps, or ms since the run's start). */
export interface XRange {
  min: number;
  max: number;
}

export interface StepWindow {
  start_step: number;
  end_step: number;
}

/**
 * The /series step window to fetch for a visible x range, one bucket wider on each side so the
 * line runs to the plot's edges. Step mode maps directly; time mode takes the steps of the
 * points currently drawn inside the range (plus the neighbour on each side), since a run's
 * step ↔ time relation is only known from its points. Null when nothing can be asked for.
 */
export function stepWindow(
  range: XRange,
  xMode: XMode,
  points: number,
  drawn?: { x: readonly number[]; steps: readonly number[] },
): StepWindow | null {
  let start: number;
  let end: number;
  if (xMode === 'step') {
    start = Math.floor(range.min);
    end = Math.ceil(range.max);
  } else {
    if (!drawn || drawn.x.length === 0) {
      return null;
    }
    const { x, steps } = drawn;
    let first = x.findIndex((value) => value >= range.min);
    if (first < 0) {
      first = x.length - 1;
    }
    let last = first;
    while (last + 1 < x.length && x[last + 1] <= range.max) {
      last++;
    }
    const from = Math.max(0, first - 1);
    const to = Math.min(x.length - 1, last + 1);
    start = Infinity;
    end = -Infinity;
    for (let i = from; i <= to; i++) {
      start = Math.min(start, steps[i]);
      end = Math.max(end, steps[i]);
    }
    return { start_step: Math.max(0, start), end_step: Math.max(0, end) };
  }
  if (end < start) {
    return null;
  }
  const pad = Math.max(1, Math.ceil((end - start) / Math.max(1, points)));
  return { start_step: Math.max(0, start - pad), end_step: Math.max(0, end + pad) };
}

/** Query parameters of one /series request. */
export function seriesQuery(points: number, window: StepWindow | null): Record<string, number> {
  return window ? { points, start_step: window.start_step, end_step: window.end_step } : { points };
}
