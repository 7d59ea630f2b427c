import { levelFor, SeriesGrid } from './series-grid.js';

/** The buckets of a grid as [first, last] step pairs. */
function bucketsOf(grid: SeriesGrid): [number, number][] {
  return Array.from({ length: grid.count }, (_, index) => [grid.firstStepOf(index), grid.lastStepOf(index)]);
}

describe('SeriesGrid', () => {
  it('reads the coarsest rollup level that fits in one chart bucket', () => {
    expect([1, 15, 16, 255, 256, 4095, 4096, 16 ** 5, 16 ** 6].map(levelFor)).toEqual([0, 0, 1, 1, 2, 2, 3, 5, 5]);
  });

  it.each([
    [0, 9_999, 1000],
    [0, 9_999, 100],
    [0, 9_999, 7],
    [1234, 9876, 1000],
    [17, 16_000, 50],
    [-5, 41, 1],
    [-70_000, 1_000_000, 3],
    [0, 999_999, 1000],
    [0, 999_999, 10_000],
    [5, 5, 1000],
    [2 ** 40, 2 ** 40 + 123_456_789, 999],
  ])('cuts steps %i..%i into at most %i buckets with edges on rollup boundaries nearest the nominal ones', (start, end, maxBuckets) => {
    const grid = new SeriesGrid(start, end, maxBuckets);
    const buckets = bucketsOf(grid);
    expect(grid.width).toBe(Math.ceil((end - start + 1) / maxBuckets));
    expect(grid.alignment).toBeLessThanOrEqual(grid.width);
    expect(buckets.length).toBeLessThanOrEqual(maxBuckets);
    // A partition of [start, end], in order, with no bucket empty of steps.
    expect(buckets[0][0]).toBe(start);
    expect(buckets[buckets.length - 1][1]).toBe(end);
    const wrong = buckets.filter(([first, last], index) => {
      const nominal = start + index * grid.width;
      return (
        last < first ||
        (index > 0 &&
          (first !== buckets[index - 1][1] + 1 || first % grid.alignment !== 0 || Math.abs(first - nominal) > grid.alignment / 2)) ||
        grid.indexOf(first) !== index ||
        grid.indexOf(last) !== index
      );
    });
    expect(wrong).toEqual([]);
  });

  it('keeps those properties for every small range and bucket count (no empty bucket where rounding meets the end)', () => {
    const broken: string[] = [];
    for (const start of [-37, 0, 5, 4090]) {
      for (let steps = 1; steps <= 1200; steps += 1) {
        for (const maxBuckets of [1, 2, 3, 5, 8, 13, 40]) {
          const end = start + steps - 1;
          const grid = new SeriesGrid(start, end, maxBuckets);
          const buckets = bucketsOf(grid);
          const ok =
            buckets.length <= maxBuckets &&
            buckets[0][0] === start &&
            buckets[buckets.length - 1][1] === end &&
            buckets.every(
              ([first, last], index) =>
                last >= first &&
                (index === 0 ||
                  (first === buckets[index - 1][1] + 1 &&
                    first % grid.alignment === 0 &&
                    Math.abs(first - (start + index * grid.width)) <= grid.alignment / 2)),
            );
          if (!ok) {
            broken.push(`${start}..${end} in ${maxBuckets}: ${JSON.stringify(buckets)}`);
          }
        }
      }
    }
    expect(broken.slice(0, 5)).toEqual([]);
  });

  it('gives every bucket exactly the nominal width (the last one clipped) when the chart is read from raw points', () => {
    const grid = new SeriesGrid(3, 9_999, 1000);
    expect(grid.alignment).toBe(1);
    const widths = bucketsOf(grid).map(([first, last]) => last - first + 1);
    expect(widths.slice(0, -1).every((width) => width === grid.width)).toBe(true);
    expect(widths[widths.length - 1]).toBeLessThanOrEqual(grid.width);
  });

  it('puts inner edges on multiples of 16 nearest to start + i × width when reading level-1 rollups', () => {
    const grid = new SeriesGrid(0, 9_999, 100);
    expect(grid).toMatchObject({ width: 100, alignment: 16, level: 1 });
    expect(bucketsOf(grid).slice(0, 4)).toEqual([
      [0, 95],
      [96, 207],
      [208, 303],
      [304, 399],
    ]);
  });
});
