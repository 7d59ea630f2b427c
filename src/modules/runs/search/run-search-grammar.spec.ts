import { DomainError, InvalidRequestError, NotImplementedError } from '../../../common/errors.js';
import { parseRunFilter, parseRunOrderBy } from './run-search-grammar.js';

function errorOf(work: () => unknown): DomainError {
  try {
    work();
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    return error as DomainError;
  }
  throw new Error('expected a DomainError, nothing was thrown');
}

describe('run filter grammar', () => {
  it('resolves every entity alias', () => {
    expect(
      parseRunFilter(
        "metric.a > 1 AND metrics.b < 2 AND param.c = 'x' AND params.d = 'x' AND parameter.e = 'x' AND parameters.f = 'x' AND tag.g = 'x' AND tags.h = 'x'",
      ).map((clause) => ('key' in clause ? [clause.kind, clause.key] : clause.kind)),
    ).toEqual([
      ['metric', 'a'],
      ['metric', 'b'],
      ['param', 'c'],
      ['param', 'd'],
      ['param', 'e'],
      ['param', 'f'],
      ['tag', 'g'],
      ['tag', 'h'],
    ]);
  });

  it('resolves attributes with or without a prefix, and their aliases', () => {
    const clauses = parseRunFilter(
      "attribute.run_id = 'r' AND attributes.user_id = 'u' AND attr.status = 'FINISHED' AND run.artifact_uri LIKE 'x%' AND run_name = 'n' " +
        "AND \"run name\" = 'n' AND \"Run name\" = 'n' AND `Run Name` = 'n' AND start_time > 1 AND created > 2 AND Created > 3 AND end_time <= 4",
    );
    expect(clauses.map((clause) => ('attribute' in clause ? clause.attribute : clause.kind))).toEqual([
      'run_id',
      'user_id',
      'status',
      'artifact_uri',
      'run_name',
      'run_name',
      'run_name',
      'run_name',
      'start_time',
      'start_time',
      'start_time',
      'end_time',
    ]);
  });

  it('types every clause', () => {
    expect(
      parseRunFilter(
        "metrics.acc >= 0.9 AND params.lr != '0.1' AND tags.t ILIKE '%x%' AND params.p IS NULL AND tags.q IS NOT NULL " +
          "AND run_id NOT IN ('a', 'b') AND end_time < 1700000000000 AND status = 'KILLED'",
      ),
    ).toEqual([
      { kind: 'metric', key: 'acc', comparator: '>=', value: 0.9 },
      { kind: 'param', key: 'lr', comparator: '!=', value: '0.1' },
      { kind: 'tag', key: 't', comparator: 'ILIKE', value: '%x%' },
      { kind: 'presence', entity: 'param', key: 'p', present: false },
      { kind: 'presence', entity: 'tag', key: 'q', present: true },
      { kind: 'run_id_list', negated: true, values: ['a', 'b'] },
      { kind: 'numeric_attribute', attribute: 'end_time', comparator: '<', value: 1700000000000 },
      { kind: 'string_attribute', attribute: 'status', comparator: '=', value: 'KILLED' },
    ]);
  });

  it('treats no filter and an empty filter as "every run"', () => {
    expect(parseRunFilter(undefined)).toEqual([]);
    expect(parseRunFilter('')).toEqual([]);
  });

  it.each([
    ["metrics.acc = '0.5'", "filter: 'metrics.acc' needs a number, got '0.5' at position 14; numbers are written without quotes"],
    ['params.lr = 0.01', "filter: 'params.lr' needs a quoted string, got 0.01 at position 12; quote it: params.lr = '0.01'"],
    [
      "metrics.acc LIKE '0.5'",
      "filter: LIKE is not allowed on 'metrics.acc' at position 12; use =, !=, <, <=, > or >= and a number on metrics",
    ],
    ['metrics.acc IS NULL', "filter: IS NULL is not allowed on 'metrics.acc' at position 12"],
    ["params.lr > '0.1'", "filter: > is not allowed on 'params.lr' at position 10; use =, !=, LIKE, ILIKE or IS [NOT] NULL on params"],
    ["tags.a IN ('x')", "filter: IN is not allowed on 'tags.a' at position 7"],
    [
      "status IN ('RUNNING')",
      "filter: IN is not allowed on 'status' at position 7; use =, !=, LIKE or ILIKE (only run_id takes IN and NOT IN)",
    ],
    ['run_id > 5', "filter: > is not allowed on 'run_id' at position 7; use =, !=, LIKE or ILIKE on run_id, or [NOT] IN"],
    [
      "start_time LIKE '1%'",
      "filter: LIKE is not allowed on 'start_time' at position 11; use =, !=, <, <=, > or >= and a number (milliseconds) on start_time",
    ],
    ["start_time = '1'", "filter: 'start_time' needs a number, got '1' at position 13"],
    [
      "attributes.experiment_id = '1'",
      "filter: unknown attribute 'experiment_id' at position 11; attributes are run_id, run_name, user_id, status, artifact_uri, start_time, end_time",
    ],
    ["lifecycle_stage = 'deleted'", "filter: unknown attribute 'lifecycle_stage' at position 0"],
    ['metricz.acc > 1', "filter: unknown entity 'metricz' at position 0; use metrics., params., tags. or attributes."],
    ['Metrics.acc > 1', "filter: unknown entity 'Metrics' at position 0"],
    ["params.`` = 'x'", 'filter: empty key at position 7'],
  ])('refuses %s', (filter, message) => {
    const error = errorOf(() => parseRunFilter(filter));
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(error.mlflowCode).toBe('INVALID_PARAMETER_VALUE');
    expect(error.message).toEqual(expect.stringContaining(message));
  });

  it('answers NOT_IMPLEMENTED for dataset filters, which this server does not search', () => {
    const error = errorOf(() => parseRunFilter("datasets.name = 'train'"));
    expect(error).toBeInstanceOf(NotImplementedError);
    expect(error.message).toBe('filter: searching runs by dataset (datasets.name) is not supported by this server');
  });

  it('refuses a LIKE pattern longer than 8,000 characters', () => {
    expect(() => parseRunFilter(`tags.t LIKE '${'x'.repeat(8001)}'`)).toThrow(
      'filter: LIKE pattern longer than 8000 characters at position 12',
    );
    expect(parseRunFilter(`tags.t = '${'x'.repeat(9000)}'`)).toHaveLength(1);
  });
});

describe('run order_by grammar', () => {
  it("defaults to MLflow's start_time DESC, run_id ASC", () => {
    expect(parseRunOrderBy(undefined)).toEqual([
      { kind: 'attribute', attribute: 'start_time', ascending: false },
      { kind: 'attribute', attribute: 'run_id', ascending: true },
    ]);
    expect(parseRunOrderBy([])).toEqual(parseRunOrderBy(undefined));
  });

  it('keeps the order asked, then the tiebreaks', () => {
    expect(parseRunOrderBy(['metrics.acc DESC', 'params.`lr` ASC', 'tags.team', 'attributes.end_time desc'])).toEqual([
      { kind: 'metric', key: 'acc', ascending: false },
      { kind: 'param', key: 'lr', ascending: true },
      { kind: 'tag', key: 'team', ascending: true },
      { kind: 'attribute', attribute: 'end_time', ascending: false },
      { kind: 'attribute', attribute: 'start_time', ascending: false },
      { kind: 'attribute', attribute: 'run_id', ascending: true },
    ]);
  });

  it('does not add start_time or run_id again when they are ordered already (created counts as start_time)', () => {
    expect(parseRunOrderBy(['created ASC', 'run_id DESC'])).toEqual([
      { kind: 'attribute', attribute: 'start_time', ascending: true },
      { kind: 'attribute', attribute: 'run_id', ascending: false },
    ]);
  });

  it.each([
    [
      ['metrics.acc', 'metric.acc DESC'],
      "order_by[1]: 'metric.acc' is ordered twice at position 0; order_by[0] already orders by metrics.acc",
    ],
    [
      ['start_time', 'Created'],
      "order_by[1]: 'Created' is ordered twice at position 0; order_by[0] already orders by attributes.start_time",
    ],
    [['metrics.acc', 'attributes.foo'], "order_by[1]: unknown attribute 'foo' at position 11"],
    [['metrics.acc sideways'], "order_by[0]: unexpected 'sideways' at position 12; expected ASC or DESC"],
    [[''], 'order_by[0]: empty order_by entry at position 0'],
    [Array.from({ length: 21 }, (_, index) => `metrics.m${index}`), 'order_by: at most 20 entries, got 21'],
  ])('refuses %j', (orderBy, message) => {
    const error = errorOf(() => parseRunOrderBy(orderBy));
    expect(error.mlflowCode).toBe('INVALID_PARAMETER_VALUE');
    expect(error.message).toEqual(expect.stringContaining(message));
  });
});
