import { InvalidRequestError } from '../../common/errors.js';
import { parseRegistryFilter, parseRegistryOrderBy } from './model-registry-search.js';
import { parseStage, parseVersion } from './model-registry.service.js';

function messageOf(work: () => unknown): string {
  try {
    work();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect((error as InvalidRequestError).mlflowCode).toBe('INVALID_PARAMETER_VALUE');
    return (error as Error).message;
  }
  throw new Error('expected an InvalidRequestError, nothing was thrown');
}

describe('registry filter grammar', () => {
  it('types name and tag clauses of a registered-model search', () => {
    expect(
      parseRegistryFilter("name ILIKE 'res%' AND tags.team = 'cv' AND tags.`mlflow.prompt.is_prompt` != 'true'", 'registered models'),
    ).toEqual([
      { kind: 'name', comparator: 'ILIKE', value: 'res%' },
      { kind: 'tag', key: 'team', comparator: '=', value: 'cv' },
      { kind: 'tag', key: 'mlflow.prompt.is_prompt', comparator: '!=', value: 'true' },
    ]);
  });

  it('types run_id, source_path and version_number clauses of a model-version search', () => {
    expect(
      parseRegistryFilter(
        "run_id IN ('a', 'b') AND run_id != 'c' AND source_path LIKE 'runs:/%' AND version_number >= 2",
        'model versions',
      ),
    ).toEqual([
      { kind: 'run_id_in', values: ['a', 'b'], negated: false },
      { kind: 'run_id', comparator: '!=', value: 'c' },
      { kind: 'source_path', comparator: 'LIKE', value: 'runs:/%' },
      { kind: 'version_number', comparator: '>=', value: 2 },
    ]);
  });

  it('treats an empty filter as no filter', () => {
    expect(parseRegistryFilter('  ', 'model versions')).toEqual([]);
    expect(parseRegistryFilter(undefined, 'registered models')).toEqual([]);
  });

  it('refuses version attributes on registered models and wrong comparators, pointing at the token', () => {
    expect(messageOf(() => parseRegistryFilter("run_id = 'x'", 'registered models'))).toMatch(/invalid attribute 'run_id' at position 0/);
    expect(messageOf(() => parseRegistryFilter("name > 'x'", 'registered models'))).toMatch(/> is not allowed on 'name'/);
    expect(messageOf(() => parseRegistryFilter("run_id LIKE 'x%'", 'model versions'))).toMatch(/LIKE is not allowed on 'run_id'/);
  });
});

describe('registry order_by', () => {
  it("defaults to MLflow's orders", () => {
    expect(parseRegistryOrderBy([], 'registered models')).toEqual([{ key: 'name', ascending: true }]);
    expect(parseRegistryOrderBy([], 'model versions')).toEqual([
      { key: 'last_updated_timestamp', ascending: false },
      { key: 'name', ascending: true },
      { key: 'version_number', ascending: false },
    ]);
  });

  it('puts the given keys first, reads timestamp as last_updated_timestamp, and keeps the defaults as tiebreaks', () => {
    expect(parseRegistryOrderBy(['timestamp DESC'], 'registered models')).toEqual([
      { key: 'last_updated_timestamp', ascending: false },
      { key: 'name', ascending: true },
    ]);
  });

  it('refuses an unknown key and a key given twice', () => {
    expect(messageOf(() => parseRegistryOrderBy(['version_number'], 'registered models'))).toMatch(/invalid order_by key 'version_number'/);
    expect(messageOf(() => parseRegistryOrderBy(['name', 'name DESC'], 'model versions'))).toMatch(/ordered twice/);
  });
});

describe('stages and version numbers', () => {
  it('reads stages in any case and answers them in MLflow spelling', () => {
    expect(parseStage('production')).toBe('Production');
    expect(parseStage('NONE')).toBe('None');
    expect(messageOf(() => parseStage('Live'))).toBe(
      'Invalid Model Version stage: Live. Value must be one of None, Staging, Production, Archived.',
    );
  });

  it('reads versions as positive integers only', () => {
    expect(parseVersion('3')).toBe(3);
    expect(parseVersion(4)).toBe(4);
    for (const bad of ['0', '-1', '1.5', 'abc', '']) {
      expect(messageOf(() => parseVersion(bad))).toMatch(/must be a positive integer/);
    }
  });
});
