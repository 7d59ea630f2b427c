import { compareKeys } from './params-diff';

/** One run's point of the scatter view: its param value (x) against a metric's latest value (y). */
export interface ScatterInput {
  param: string | undefined;
  metric: number | null | undefined;
}

export interface ScatterData {
  /** Numeric params plot as numbers; anything else as evenly spaced categories. */
  kind: 'numeric' | 'categorical';
  /** Category labels (x = index) in categorical mode. */
  categories: string[];
  /** uPlot data: [x, then one column per run with its single point (null elsewhere)]. */
  data: (number | null)[][];
  /** Runs that have both a param value and a finite metric value. */
  plotted: number;
}

export function isNumeric(text: string): boolean {
  return text.trim() !== '' && Number.isFinite(Number(text));
}

export function buildScatter(points: readonly ScatterInput[]): ScatterData {
  const usable = points.map((point) =>
    point.param !== undefined && typeof point.metric === 'number' && Number.isFinite(point.metric) ? point : null,
  );
  const params = usable.filter((point): point is ScatterInput => point !== null).map((point) => point.param as string);
  const numeric = params.length > 0 && params.every(isNumeric);
  const categories = numeric ? [] : [...new Set(params)].sort(compareKeys);
  const xOf = (param: string): number => (numeric ? Number(param) : categories.indexOf(param));
  const xs = [...new Set(params.map(xOf))].sort((a, b) => a - b);
  const column = new Map(xs.map((x, index) => [x, index]));
  const data: (number | null)[][] = [xs];
  for (const point of usable) {
    const values = new Array<number | null>(xs.length).fill(null);
    if (point) {
      values[column.get(xOf(point.param as string)) ?? 0] = point.metric as number;
    }
    data.push(values);
  }
  return { kind: numeric ? 'numeric' : 'categorical', categories, data, plotted: params.length };
}
