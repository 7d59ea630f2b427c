import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ChangeBatcher } from './change-batcher';

describe('ChangeBatcher', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('turns a burst of changes into one batch, then waits the interval before the next', async () => {
    const batches: string[][] = [];
    const batcher = new ChangeBatcher(
      (ids) => {
        batches.push(ids);
        return Promise.resolve();
      },
      1000,
      () => Date.now(),
    );
    batcher.add(['a', 'b']);
    batcher.add(['a', 'c']);
    await vi.advanceTimersByTimeAsync(0);
    expect(batches).toEqual([['a', 'b', 'c']]);
    batcher.add(['d']);
    batcher.add(['e']);
    await vi.advanceTimersByTimeAsync(999);
    expect(batches).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(batches).toEqual([
      ['a', 'b', 'c'],
      ['d', 'e'],
    ]);
    batcher.dispose();
  });

  it('never overlaps a slow refresh, and keeps going after one fails', async () => {
    const batches: string[][] = [];
    let finish: () => void = () => undefined;
    const batcher = new ChangeBatcher((ids) => {
      batches.push(ids);
      return batches.length === 1 ? new Promise<void>((_resolve, reject) => (finish = () => reject(new Error('down')))) : Promise.resolve();
    }, 100);
    batcher.add(['a']);
    await vi.advanceTimersByTimeAsync(0);
    batcher.add(['b']);
    await vi.advanceTimersByTimeAsync(500);
    expect(batches).toEqual([['a']]);
    finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(batches).toEqual([['a'], ['b']]);
    batcher.dispose();
  });

  it('sends nothing after dispose', async () => {
    const flush = vi.fn(() => Promise.resolve());
    const batcher = new ChangeBatcher(flush, 100);
    batcher.add(['a']);
    batcher.dispose();
    await vi.advanceTimersByTimeAsync(1000);
    expect(flush).not.toHaveBeenCalled();
  });
});
