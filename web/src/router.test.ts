import { describe, expect, it } from 'vitest';
import { links, parseIdList, parseRoute } from './router';

describe('parseRoute', () => {
  it('opens the links the MLflow client prints', () => {
    expect(parseRoute('#/experiments/7/runs/abc123')).toMatchObject({ page: 'run', experimentId: '7', runId: 'abc123' });
    expect(parseRoute('#/experiments/7')).toMatchObject({ page: 'runs', experimentId: '7' });
    expect(parseRoute('#/compare-runs?runs=["a","b"]&experiments=["7"]')).toMatchObject({ page: 'compare', runIds: ['a', 'b'] });
  });

  it('lands on the experiments list without a hash', () => {
    expect(parseRoute('').page).toBe('experiments');
    expect(parseRoute('#/').page).toBe('experiments');
    expect(parseRoute('#/experiments').page).toBe('experiments');
  });

  it('keeps the hash query as page state', () => {
    const route = parseRoute('#/experiments/7?filter=metrics.acc%20%3E%200.5&columns=params.lr');
    expect(route.query.get('filter')).toBe('metrics.acc > 0.5');
    expect(route.query.get('columns')).toBe('params.lr');
  });

  it('says not found for anything else', () => {
    expect(parseRoute('#/nowhere/1')).toMatchObject({ page: 'not-found', path: '/nowhere/1' });
  });

  it('round-trips its own links', () => {
    expect(parseRoute(links.run('7', 'r 1'))).toMatchObject({ page: 'run', experimentId: '7', runId: 'r 1' });
    expect(parseRoute(links.compare(['a', 'b']))).toMatchObject({ page: 'compare', runIds: ['a', 'b'] });
  });
});

describe('parseIdList', () => {
  it('reads JSON arrays and comma lists, dropping empties', () => {
    expect(parseIdList('["a","b"]')).toEqual(['a', 'b']);
    expect(parseIdList('a, b,,c')).toEqual(['a', 'b', 'c']);
    expect(parseIdList(null)).toEqual([]);
  });
});
