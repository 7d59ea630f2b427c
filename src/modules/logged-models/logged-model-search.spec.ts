import { DomainError } from '../../common/errors.js';
import { LoggedModelEntity } from './entities/logged-model.entity.js';
import { modelComparator, parseModelFilter, SearchableModel, statusOfName } from './logged-model-search.js';

function candidate(name: string, overrides: Partial<LoggedModelEntity> = {}, extra: Partial<SearchableModel> = {}): SearchableModel {
  return {
    model: {
      model_id: `m-${name.padEnd(32, '0')}`,
      experiment_id: 1,
      name,
      artifact_location: 'mlflow-artifacts:/1/models/x/artifacts',
      status: 'pending',
      status_message: null,
      model_type: null,
      source_run_id: null,
      lifecycle_stage: 'active',
      created_at: 1000,
      updated_at: 1000,
      ...overrides,
    },
    experimentPublicId: '1',
    tags: new Map(),
    params: new Map(),
    metrics: new Map(),
    ...extra,
  };
}

describe('logged model filters', () => {
  const ready = candidate(
    'a',
    { status: 'ready', source_run_id: 'run-1', model_type: 'sklearn' },
    {
      params: new Map([['alpha', '0.1']]),
      tags: new Map([['team', 'Vision']]),
      metrics: new Map([['acc', 0.9]]),
    },
  );
  const pending = candidate('b');

  it.each([
    ["name = 'a'", [true, false]],
    ["name != 'a'", [false, true]],
    ["attributes.status = 'READY'", [true, false]],
    ["status = 'LOGGED_MODEL_PENDING'", [false, true]],
    ["status IN ('READY', 'FAILED')", [true, false]],
    ["source_run_id = 'run-1'", [true, false]],
    ["model_type LIKE 'sk%'", [true, false]],
    ["params.alpha = '0.1'", [true, false]],
    ["tags.team ILIKE 'vision'", [true, false]],
    ["tags.team LIKE 'vision'", [false, false]],
    ['metrics.acc >= 0.9', [true, false]],
    ['metrics.acc < 0.9', [false, false]],
    ["name = 'a' AND metrics.acc > 0.5", [true, false]],
    ['creation_timestamp > 999', [true, true]],
  ])('%s', (filter, expected) => {
    const matches = parseModelFilter(filter);
    expect([matches(ready), matches(pending)]).toEqual(expected);
  });

  it('matches everything without a filter', () => {
    expect(parseModelFilter(undefined)(pending)).toBe(true);
  });

  it.each([["colour = 'red'"], ["metrics.acc = 'high'"], ['name > 3'], ["runs.x = 'y'"], ['name =']])('refuses %s', (filter) => {
    expect(() => parseModelFilter(filter)).toThrow(DomainError);
  });

  it('reads both spellings of a status', () => {
    expect([statusOfName('READY'), statusOfName('LOGGED_MODEL_UPLOAD_FAILED'), statusOfName('ready'), statusOfName('DONE')]).toEqual([
      'ready',
      'failed',
      'ready',
      undefined,
    ]);
  });
});

describe('logged model order', () => {
  const older = candidate('old', { created_at: 1 }, { metrics: new Map([['acc', 0.5]]) });
  const newer = candidate('new', { created_at: 2 }, { metrics: new Map([['acc', 0.7]]) });
  const without = candidate('none', { created_at: 3 });

  it('puts the newest first by default', () => {
    expect([older, newer, without].sort(modelComparator([])).map((c) => c.model.name)).toEqual(['none', 'new', 'old']);
  });

  it('orders by a metric either way, models without it last', () => {
    const ascending = [without, newer, older].sort(modelComparator([{ field: 'metrics.acc', ascending: true }]));
    const descending = [without, older, newer].sort(modelComparator([{ field: 'metrics.acc', ascending: false }]));
    expect(ascending.map((c) => c.model.name)).toEqual(['old', 'new', 'none']);
    expect(descending.map((c) => c.model.name)).toEqual(['new', 'old', 'none']);
  });

  it('refuses an unknown field', () => {
    expect(() => modelComparator([{ field: 'colour', ascending: true }])).toThrow(/order_by: unknown field 'colour'/);
  });
});
