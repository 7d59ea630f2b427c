import { describe, expect, it } from 'vitest';
import type { Experiment } from '../api/types';
import { filterExperiments, firstRunSnippet, isFreshInstall, sortExperiments } from './experiments';

function experiment(id: string, name: string, overrides: Partial<Experiment> = {}): Experiment {
  const time = '2024-01-01T00:00:00.000Z';
  return { id, name, lifecycle_stage: 'active', created_at: time, updated_at: time, ...overrides };
}

describe('experiments list', () => {
  const list = [
    experiment('1', 'beta', { last_activity_at: '2024-03-01T00:00:00Z' }),
    experiment('2', 'alpha', { last_activity_at: '2024-03-01T00:00:00Z' }),
    experiment('3', 'Gamma-run', { last_activity_at: '2024-05-01T00:00:00Z' }),
    experiment('4', 'delta', { last_activity_at: null, updated_at: '2024-02-01T00:00:00Z' }),
  ];

  it('sorts by last activity, newest first, then by name; without activity by its own update', () => {
    expect(sortExperiments(list).map((item) => item.name)).toEqual(['Gamma-run', 'alpha', 'beta', 'delta']);
  });

  it('searches names case-insensitively', () => {
    expect(filterExperiments(list, ' gAMMA ').map((item) => item.id)).toEqual(['3']);
    expect(filterExperiments(list, '')).toHaveLength(4);
  });

  it('is a fresh install with no experiment or only an empty Default', () => {
    expect(isFreshInstall([])).toBe(true);
    expect(isFreshInstall([experiment('0', 'Default', { run_count: 0 })])).toBe(true);
    expect(isFreshInstall([experiment('0', 'Default', { run_count: 2 })])).toBe(false);
    expect(isFreshInstall([experiment('0', 'Default')])).toBe(false);
    expect(isFreshInstall([experiment('0', 'Default')], false)).toBe(true);
    expect(isFreshInstall([experiment('0', 'Default', { run_count: 0 }), experiment('5', 'mine', { run_count: 0 })])).toBe(false);
  });

  it('shows the three lines that log a first run to this server', () => {
    expect(firstRunSnippet('http://host:5000').split('\n')).toEqual([
      'import mlflow',
      'mlflow.set_tracking_uri("http://host:5000")',
      'with mlflow.start_run(): mlflow.log_metric("loss", 0.5)',
    ]);
  });
});
