import { describe, expect, it } from 'vitest';
import type { MlflowRun } from '../api/types';
import { appendRows, collectKeys, mergeLiveRows, runDuration, toRunRow, type RunRow } from './run-rows';

function row(id: string, overrides: Partial<RunRow> = {}): RunRow {
  return { id, name: id, experimentId: '1', status: 'FINISHED', startTime: 100, endTime: 200, metrics: {}, params: {}, ...overrides };
}

describe('toRunRow', () => {
  it('flattens latest metrics and params, names an unnamed run by its id', () => {
    const run: MlflowRun = {
      info: { run_id: 'abc', experiment_id: '3', status: 'RUNNING', start_time: 5, lifecycle_stage: 'active' },
      data: { metrics: [{ key: 'loss', value: 0.25, step: 3, timestamp: 9 }], params: [{ key: 'lr', value: '0.1' }] },
    };
    expect(toRunRow(run)).toEqual({
      id: 'abc',
      name: 'abc',
      experimentId: '3',
      status: 'RUNNING',
      startTime: 5,
      endTime: null,
      metrics: { loss: 0.25 },
      params: { lr: '0.1' },
    });
  });
});

describe('runDuration', () => {
  it('is end − start when ended, time so far while running, unknown otherwise', () => {
    expect(runDuration(row('a', { startTime: 1_000, endTime: 4_000 }), 10_000)).toEqual({ ms: 3_000, ongoing: false });
    expect(runDuration(row('a', { status: 'RUNNING', startTime: 1_000, endTime: null }), 10_000)).toEqual({ ms: 9_000, ongoing: true });
    expect(runDuration(row('a', { status: 'KILLED', startTime: 1_000, endTime: null }), 10_000)).toBeNull();
    expect(runDuration(row('a', { startTime: null }), 10_000)).toBeNull();
  });
});

describe('appendRows', () => {
  it('appends a further page, keeping rows a live update already brought in', () => {
    const live = row('b', { metrics: { loss: 0.1 } });
    const rows = appendRows([row('a'), live], [row('b'), row('c')]);
    expect(rows.map((item) => item.id)).toEqual(['a', 'b', 'c']);
    expect(rows[1]).toBe(live);
  });
});

describe('mergeLiveRows', () => {
  const rows = [row('a'), row('b', { metrics: { loss: 1 } }), row('c')];

  it('replaces a changed row in place and keeps the others as they were', () => {
    const merged = mergeLiveRows(rows, ['b'], [row('b', { metrics: { loss: 0.5 } })]);
    expect(merged.map((item) => item.id)).toEqual(['a', 'b', 'c']);
    expect(merged[1].metrics.loss).toBe(0.5);
    expect(merged[0]).toBe(rows[0]);
  });

  it('puts new runs first, newest first', () => {
    const merged = mergeLiveRows(rows, ['x', 'y'], [row('x', { startTime: 300 }), row('y', { startTime: 400 })]);
    expect(merged.map((item) => item.id)).toEqual(['y', 'x', 'a', 'b', 'c']);
  });

  it('drops requested runs that no longer match the filter or were deleted', () => {
    expect(mergeLiveRows(rows, ['a', 'c'], []).map((item) => item.id)).toEqual(['b']);
  });

  it('returns the same array when nothing changed, so nothing re-renders', () => {
    expect(mergeLiveRows(rows, ['b'], [row('b', { metrics: { loss: 1 } })])).toBe(rows);
    expect(mergeLiveRows(rows, ['zzz'], [])).toBe(rows);
  });
});

describe('collectKeys', () => {
  it('lists every param and metric key once, in natural order', () => {
    const keys = collectKeys([
      row('a', { params: { lr: '1', layer10: 'x' }, metrics: { loss: 1 } }),
      row('b', { params: { layer2: 'y' }, metrics: { acc: 1, loss: 2 } }),
    ]);
    expect(keys).toEqual({ params: ['layer2', 'layer10', 'lr'], metrics: ['acc', 'loss'] });
  });
});
