import { describe, expect, it } from 'vitest';
import { MAX_POINTS, pointsForWidth, seriesQuery, stepWindow } from './zoom';

describe('pointsForWidth', () => {
  it('asks for about one bucket per pixel, between 50 and 1,000', () => {
    expect(pointsForWidth(640)).toBe(640);
    expect(pointsForWidth(3000)).toBe(MAX_POINTS);
    expect(pointsForWidth(10)).toBe(50);
    expect(pointsForWidth(0)).toBe(500);
  });
});

describe('stepWindow', () => {
  it('in step mode asks for the selected steps, one bucket wider on each side', () => {
    expect(stepWindow({ min: 500_000.4, max: 501_000.6 }, 'step', 1000)).toEqual({ start_step: 499_998, end_step: 501_003 });
    expect(stepWindow({ min: 0, max: 100_000 }, 'step', 1000)).toEqual({ start_step: 0, end_step: 100_100 });
  });

  it('never asks for a negative step', () => {
    expect(stepWindow({ min: -50, max: 10 }, 'step', 100)).toEqual({ start_step: 0, end_step: 11 });
  });

  it('in time mode maps the range to the steps of the points drawn inside it and their neighbours', () => {
    const drawn = { x: [0, 1000, 2000, 3000, 4000], steps: [0, 100, 200, 300, 400] };
    expect(stepWindow({ min: 1500, max: 3200 }, 'time', 1000, drawn)).toEqual({ start_step: 100, end_step: 400 });
    expect(stepWindow({ min: 5000, max: 6000 }, 'time', 1000, drawn)).toEqual({ start_step: 300, end_step: 400 });
    expect(stepWindow({ min: 0, max: 1 }, 'time', 1000, { x: [], steps: [] })).toBeNull();
  });
});

describe('seriesQuery', () => {
  it('sends the window only when zoomed', () => {
    expect(seriesQuery(800, null)).toEqual({ points: 800 });
    expect(seriesQuery(800, { start_step: 10, end_step: 20 })).toEqual({ points: 800, start_step: 10, end_step: 20 });
  });
});
