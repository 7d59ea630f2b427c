import { bucketWidth, ROLLUP_LEVELS } from './metric-rollups.js';

/** The coarsest rollup level whose buckets still fit in one chart bucket (0: raw points). */
export function levelFor(chartBucketWidth: number): number {
  let chosen = 0;
  for (const level of ROLLUP_LEVELS) {
    if (bucketWidth(level) <= chartBucketWidth) {
      chosen = level;
    }
  }
  return chosen;
}

/**
 * How /series cuts the steps [start, end] into at most `maxBuckets` chart buckets. The nominal
 * width is ceil((end − start + 1) / maxBuckets) and the chart is read from the rollups of the
 * coarsest level that fits in it (`alignment` = 16^level steps each). Every inner edge is the
 * multiple of `alignment` nearest to start + i × width (ties go up), so each chart bucket is
 * made of whole rollup buckets (plus the finer pieces at the range's ragged ends) and its
 * summary is exact for the steps it reports, at no more cost than reading those rollups. A
 * bucket therefore spans the nominal width give or take `alignment`, exactly the nominal width
 * when `alignment` is 1 (the last one can be shorter).
 */
export class SeriesGrid {
  readonly width: number;
  readonly level: number;
  readonly alignment: number;
  /** edges[i] is the first step of bucket i; the last entry is end + 1. */
  private readonly edges: number[];

  constructor(
    readonly start: number,
    readonly end: number,
    maxBuckets: number,
  ) {
    const steps = end - start + 1;
    this.width = Math.max(1, Math.ceil(steps / maxBuckets));
    this.level = levelFor(this.width);
    this.alignment = bucketWidth(this.level);
    const count = Math.ceil(steps / this.width);
    // Offsets from an aligned base keep the arithmetic small and exact for any step.
    const base = Math.floor(start / this.alignment) * this.alignment;
    const edges = [start];
    for (let index = 1; index < count; index++) {
      const ideal = start - base + index * this.width;
      const aligned = base + Math.floor((ideal + this.alignment / 2) / this.alignment) * this.alignment;
      // Rounding up past the end would leave an empty last bucket: there is none.
      if (aligned > edges[edges.length - 1] && aligned <= end) {
        edges.push(aligned);
      }
    }
    edges.push(end + 1);
    this.edges = edges;
  }

  /** How many buckets the grid has (those without points are left out of a chart). */
  get count(): number {
    return this.edges.length - 1;
  }

  /** The bucket holding `step` (which lies in [start, end]). */
  indexOf(step: number): number {
    let low = 0;
    let high = this.count - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (this.edges[middle] <= step) {
        low = middle;
      } else {
        high = middle - 1;
      }
    }
    return low;
  }

  firstStepOf(index: number): number {
    return this.edges[index];
  }

  lastStepOf(index: number): number {
    return this.edges[index + 1] - 1;
  }
}
