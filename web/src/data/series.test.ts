import { describe, expect, it } from 'vitest';
import type { SeriesBucket } from '../api/types';
import { bucketsToColumns, buildChartData, dropNonPositive, ema, lastPoint, unionSorted } from './series';

function bucket(step: number, min: number | null, max: number | null, last: number | string | null, at: number): SeriesBucket {
  return {
    start_step: step - 1,
    end_step: step,
    first_step: step - 1,
    last_step: step,
    count: 2,
    min,
    max,
    last,
    last_timestamp: new Date(at).toISOString(),
  };
}

const T0 = Date.parse('2024-01-01T00:00:00Z');

describe('bucketsToColumns', () => {
  it('puts each bucket at its last step with its min, max and last value', () => {
    const columns = bucketsToColumns([bucket(1, 0.5, 9, 0.6, T0), bucket(3, 0.4, 0.7, 0.45, T0 + 1000)], 'step');
    expect(columns.x).toEqual([1, 3]);
    expect(columns.steps).toEqual([1, 3]);
    expect(columns.min).toEqual([0.5, 0.4]);
    expect(columns.max).toEqual([9, 0.7]);
    expect(columns.last).toEqual([0.6, 0.45]);
  });

  it('in time mode measures ms from the given origin, or from the first point', () => {
    const buckets = [bucket(1, 1, 1, 1, T0 + 5000), bucket(2, 1, 1, 1, T0 + 7500)];
    expect(bucketsToColumns(buckets, 'time', T0).x).toEqual([5000, 7500]);
    expect(bucketsToColumns(buckets, 'time').x).toEqual([0, 2500]);
  });

  it('in time mode sorts points whose clock went backwards, keeping each step with its value', () => {
    const columns = bucketsToColumns([bucket(1, 1, 1, 10, T0 + 2000), bucket(2, 2, 2, 20, T0 + 1000)], 'time', T0);
    expect(columns.x).toEqual([1000, 2000]);
    expect(columns.steps).toEqual([2, 1]);
    expect(columns.last).toEqual([20, 10]);
  });

  it('keeps NaN and Infinity out of the plot but remembers them as sent', () => {
    const columns = bucketsToColumns(
      [bucket(1, null, null, 'NaN', T0), bucket(2, 1, 'Infinity' as unknown as number, 'Infinity', T0)],
      'step',
    );
    expect(columns.last).toEqual([null, null]);
    expect(columns.max).toEqual([null, null]);
    expect(columns.lastRaw).toEqual(['NaN', 'Infinity']);
  });
});

describe('ema', () => {
  it('returns the values unchanged at weight 0', () => {
    expect(ema([1, 2, 3], 0)).toEqual([1, 2, 3]);
  });

  it('is debiased: a constant series stays constant from the first point', () => {
    expect(ema([5, 5, 5, 5], 0.9).map((value) => Number(value?.toFixed(10)))).toEqual([5, 5, 5, 5]);
  });

  it('follows a step slowly at a high weight and skips gaps', () => {
    const smoothed = ema([0, 0, null, 10, 10], 0.5);
    expect(smoothed[0]).toBe(0);
    expect(smoothed[2]).toBeNull();
    // debiased average of 0, 0, 10 with weight 0.5: (0.25·0 + 0.5·0... ) = 10·0.5 / (1 − 0.125)
    expect(smoothed[3]).toBeCloseTo(5 / 0.875, 10);
    expect(smoothed[4] as number).toBeGreaterThan(smoothed[3] as number);
    expect(smoothed[4] as number).toBeLessThan(10);
  });
});

describe('dropNonPositive', () => {
  it('turns values ≤ 0 into gaps and counts them', () => {
    expect(dropNonPositive([1, 0, -2, null, 3])).toEqual({ values: [1, null, null, null, 3], dropped: 2 });
  });
});

describe('buildChartData', () => {
  const one = bucketsToColumns([bucket(1, 0.5, 9, 0.6, T0), bucket(3, -1, 0.7, 0.45, T0)], 'step');

  it('lays out one run as x, min, max, last with the band edges in the slots', () => {
    const chart = buildChartData([one], { logScale: false, smoothing: 0 });
    expect(chart.data).toEqual([
      [1, 3],
      [0.5, -1],
      [9, 0.7],
      [0.6, 0.45],
    ]);
    expect(chart.slots).toEqual([{ min: 1, max: 2, last: 3, smooth: -1 }]);
    expect(chart.dropped).toBe(0);
  });

  it('adds a smoothed line after the raw one when smoothing is on', () => {
    const chart = buildChartData([one], { logScale: false, smoothing: 0.5 });
    expect(chart.slots[0].smooth).toBe(4);
    expect(chart.data).toHaveLength(5);
  });

  it('on a log scale drops non-positive values from band and line, counting the line', () => {
    const negative = bucketsToColumns([bucket(1, -3, 2, -1, T0), bucket(2, 1, 2, 1.5, T0)], 'step');
    const chart = buildChartData([negative], { logScale: true, smoothing: 0 });
    expect(chart.data[1]).toEqual([null, 1]);
    expect(chart.data[3]).toEqual([null, 1.5]);
    expect(chart.dropped).toBe(1);
  });

  it('joins several runs on the union of their x, with gaps where a run has no point', () => {
    const other = bucketsToColumns([bucket(2, 7, 7, 7, T0), bucket(3, 8, 8, 8, T0)], 'step');
    const chart = buildChartData([one, other, null], { logScale: false, smoothing: 0 });
    expect(chart.data[0]).toEqual([1, 2, 3]);
    expect(chart.data[chart.slots[0].last]).toEqual([0.6, null, 0.45]);
    expect(chart.data[chart.slots[1].last]).toEqual([null, 7, 8]);
    expect(chart.data[chart.slots[2].last]).toEqual([null, null, null]);
    expect(chart.slots.map((slot) => slot.min)).toEqual([1, 4, 7]);
  });
});

describe('unionSorted and lastPoint', () => {
  it('merges without duplicates', () => {
    expect(unionSorted([[1, 3, 5], [2, 3, 6], []])).toEqual([1, 2, 3, 5, 6]);
  });

  it('finds the greatest step and its value as sent', () => {
    const columns = bucketsToColumns([bucket(5, 1, 1, 'NaN', T0 + 10), bucket(2, 1, 1, 2, T0)], 'time', T0);
    expect(lastPoint(columns)).toEqual({ step: 5, value: 'NaN' });
    expect(lastPoint(null)).toBeNull();
  });
});
