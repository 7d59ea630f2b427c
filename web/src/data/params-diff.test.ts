import { describe, expect, it } from 'vitest';
import { diffParams } from './params-diff';
import { buildScatter } from './scatter';
import { folderTrail, previewKind } from './artifacts';

describe('diffParams', () => {
  it('lines up every key across runs and marks the rows that differ (a missing value differs)', () => {
    const rows = diffParams([
      [
        { key: 'lr', value: '0.001' },
        { key: 'layers2', value: '4' },
        { key: 'optimizer', value: 'adam' },
      ],
      [
        { key: 'lr', value: '0.003' },
        { key: 'optimizer', value: 'adam' },
        { key: 'layers10', value: '8' },
      ],
    ]);
    expect(rows).toEqual([
      { key: 'layers2', values: ['4', undefined], differs: true },
      { key: 'layers10', values: [undefined, '8'], differs: true },
      { key: 'lr', values: ['0.001', '0.003'], differs: true },
      { key: 'optimizer', values: ['adam', 'adam'], differs: false },
    ]);
  });
});

describe('buildScatter', () => {
  it('plots numeric params as numbers, one column per run', () => {
    const scatter = buildScatter([
      { param: '0.003', metric: 0.8 },
      { param: '0.001', metric: 0.9 },
      { param: undefined, metric: 0.5 },
    ]);
    expect(scatter.kind).toBe('numeric');
    expect(scatter.data).toEqual([
      [0.001, 0.003],
      [null, 0.8],
      [0.9, null],
      [null, null],
    ]);
    expect(scatter.plotted).toBe(2);
  });

  it('plots other params as sorted categories', () => {
    const scatter = buildScatter([
      { param: 'sgd', metric: 1 },
      { param: 'adam', metric: 2 },
      { param: 'sgd', metric: Number.NaN },
    ]);
    expect(scatter.kind).toBe('categorical');
    expect(scatter.categories).toEqual(['adam', 'sgd']);
    expect(scatter.data).toEqual([
      [0, 1],
      [null, 1],
      [2, null],
      [null, null],
    ]);
  });
});

describe('artifact helpers', () => {
  it('picks the preview from the name first, then the stored type', () => {
    expect(previewKind('plots/loss.PNG', 'application/octet-stream')).toBe('image');
    expect(previewKind('config.json', 'application/octet-stream')).toBe('json');
    expect(previewKind('data/x.csv', 'text/plain')).toBe('csv');
    expect(previewKind('train.log', 'application/octet-stream')).toBe('text');
    expect(previewKind('notes', 'text/markdown; charset=utf-8')).toBe('text');
    expect(previewKind('model.safetensors', 'application/octet-stream')).toBe('none');
  });

  it('makes breadcrumbs of a folder prefix', () => {
    expect(folderTrail('a/b/')).toEqual([
      { label: 'artifacts', prefix: '' },
      { label: 'a', prefix: 'a/' },
      { label: 'b', prefix: 'a/b/' },
    ]);
  });
});
