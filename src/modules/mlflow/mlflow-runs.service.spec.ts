import { evenlySpacedIndices } from './mlflow-runs.service.js';

describe('evenlySpacedIndices (thinning for metrics/get-history-bulk-interval)', () => {
  it('keeps every index when there are no more than the limit', () => {
    expect(evenlySpacedIndices(0, 5)).toEqual([]);
    expect(evenlySpacedIndices(3, 5)).toEqual([0, 1, 2]);
    expect(evenlySpacedIndices(5, 5)).toEqual([0, 1, 2, 3, 4]);
  });

  it('keeps exactly `limit` indices, first and last included, evenly spread', () => {
    expect(evenlySpacedIndices(101, 11)).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    expect(evenlySpacedIndices(101, 2)).toEqual([0, 100]);
    expect(evenlySpacedIndices(6, 5)).toEqual([0, 1, 3, 4, 5]);
  });

  it('never repeats an index and keeps them in order, for every count and limit up to 60', () => {
    for (let count = 0; count <= 60; count++) {
      for (let limit = 1; limit <= 60; limit++) {
        const indices = evenlySpacedIndices(count, limit);
        expect(indices).toHaveLength(Math.min(count, limit));
        expect(indices.every((index, position) => index >= 0 && index < count && (position === 0 || index > indices[position - 1]))).toBe(
          true,
        );
        if (count > 0 && limit >= 2) {
          expect([indices[0], indices[indices.length - 1]]).toEqual([0, count - 1]);
        }
      }
    }
  });

  it('keeps only the last index when the limit is 1', () => {
    expect(evenlySpacedIndices(10, 1)).toEqual([9]);
    expect(evenlySpacedIndices(1, 1)).toEqual([0]);
  });
});
