import { describe, expect, it } from 'vitest';
import type { RunRow } from './run-rows';
import { compareValues, defaultColumns, nextSort, parseKeyColumn, readRunsView, sortValue, toggleColumn, writeRunsView } from './runs-view';

function row(overrides: Partial<RunRow>): RunRow {
  return { id: 'r', name: 'r', experimentId: '1', status: 'FINISHED', startTime: 0, endTime: 10, metrics: {}, params: {}, ...overrides };
}

describe('runs view in the hash query', () => {
  it('round-trips filter, chosen columns (keys with commas too) and sort, keeping other parameters', () => {
    const base = new URLSearchParams('other=1');
    const view = {
      filter: "metrics.acc > 0.5 and params.optimizer = 'adam'",
      columns: ['params.lr', 'metrics.loss', 'metrics.a,b%c'],
      sort: { id: 'metrics.loss', desc: true },
    };
    const query = writeRunsView(base, view);
    expect(query.get('other')).toBe('1');
    expect(query.get('columns')).toBe('params.lr,metrics.loss,metrics.a%2Cb%25c');
    expect(query.get('sort')).toBe('metrics.loss:desc');
    expect(readRunsView(new URLSearchParams(query.toString()))).toEqual(view);
  });

  it('reads the example link of the docs and tells "no choice" from "chose none"', () => {
    const view = readRunsView(new URLSearchParams('filter=x&columns=params.lr,metrics.loss&sort=metrics.loss:desc'));
    expect(view).toEqual({ filter: 'x', columns: ['params.lr', 'metrics.loss'], sort: { id: 'metrics.loss', desc: true } });
    expect(readRunsView(new URLSearchParams('')).columns).toBeNull();
    expect(readRunsView(new URLSearchParams('columns=')).columns).toEqual([]);
    expect(readRunsView(new URLSearchParams('sort=name')).sort).toEqual({ id: 'name', desc: false });
    expect(readRunsView(new URLSearchParams('columns=bogus,params.x')).columns).toEqual(['params.x']);
  });

  it('drops what is empty from the query', () => {
    const query = writeRunsView(new URLSearchParams('filter=a&sort=name:asc&columns=params.x'), {
      filter: '  ',
      columns: null,
      sort: null,
    });
    expect(query.toString()).toBe('');
  });
});

describe('column choice', () => {
  it('defaults to three metrics then three params', () => {
    expect(defaultColumns({ params: ['a', 'b', 'c', 'd'], metrics: ['m1', 'm2', 'm3', 'm4'] })).toEqual([
      'metrics.m1',
      'metrics.m2',
      'metrics.m3',
      'params.a',
      'params.b',
      'params.c',
    ]);
    expect(defaultColumns({ params: [], metrics: ['loss'] })).toEqual(['metrics.loss']);
  });

  it('toggles a column in or out, keeping the order of choice', () => {
    expect(toggleColumn(['params.lr'], 'metrics.loss')).toEqual(['params.lr', 'metrics.loss']);
    expect(toggleColumn(['params.lr', 'metrics.loss'], 'params.lr')).toEqual(['metrics.loss']);
  });

  it('parses key columns whose key holds dots and slashes', () => {
    expect(parseKeyColumn('metrics.train/loss.avg')).toEqual({ kind: 'metrics', key: 'train/loss.avg' });
    expect(parseKeyColumn('params.')).toBeNull();
    expect(parseKeyColumn('name')).toBeNull();
  });
});

describe('sorting', () => {
  it('cycles a header through first direction, the other, then none', () => {
    expect(nextSort(null, 'metrics.loss', false)).toEqual({ id: 'metrics.loss', desc: false });
    expect(nextSort({ id: 'metrics.loss', desc: false }, 'metrics.loss', false)).toEqual({ id: 'metrics.loss', desc: true });
    expect(nextSort({ id: 'metrics.loss', desc: true }, 'metrics.loss', false)).toBeNull();
    expect(nextSort({ id: 'name', desc: true }, 'start_time', true)).toEqual({ id: 'start_time', desc: true });
  });

  it('sorts numeric params as numbers, text naturally, and missing values as undefined', () => {
    const values = ['10', '9', 'adam', '0.5', 'sgd2', 'sgd10'].map((lr) => sortValue(row({ params: { lr } }), 'params.lr', 0));
    const sorted = (values as (number | string)[]).slice().sort(compareValues);
    expect(sorted).toEqual([0.5, 9, 10, 'adam', 'sgd2', 'sgd10']);
    expect(sortValue(row({}), 'params.lr', 0)).toBeUndefined();
    expect(sortValue(row({ metrics: { loss: Number.NaN } }), 'metrics.loss', 0)).toBeUndefined();
  });

  it('sorts a running run by how long it has been running', () => {
    expect(sortValue(row({ status: 'RUNNING', startTime: 1_000, endTime: null }), 'duration', 61_000)).toBe(60_000);
    expect(sortValue(row({ startTime: 1_000, endTime: 3_000 }), 'duration', 99_000)).toBe(2_000);
  });
});
