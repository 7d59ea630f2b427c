import { InvalidRequestError } from '../../../common/errors.js';
import { parseExperimentFilter, parseExperimentOrderBy } from './experiment-search-grammar.js';
import { compileExperimentSearch } from './experiment-search.sql.js';

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

describe('experiment filter grammar', () => {
  it('types name, time and tag clauses, with or without the attribute prefix', () => {
    expect(
      parseExperimentFilter(
        "name LIKE 'bert-%' AND attribute.name != 'x' AND creation_time >= 1700000000000 AND attributes.last_update_time < 5 " +
          "AND tags.\"extra-key\" = 'value' AND tag.team ILIKE 'NLP' AND tags.a IS NULL AND tags.b IS NOT NULL",
      ),
    ).toEqual([
      { kind: 'name', comparator: 'LIKE', value: 'bert-%' },
      { kind: 'name', comparator: '!=', value: 'x' },
      { kind: 'time', attribute: 'creation_time', comparator: '>=', value: 1700000000000 },
      { kind: 'time', attribute: 'last_update_time', comparator: '<', value: 5 },
      { kind: 'tag', key: 'extra-key', comparator: '=', value: 'value' },
      { kind: 'tag', key: 'team', comparator: 'ILIKE', value: 'NLP' },
      { kind: 'tag_presence', key: 'a', present: false },
      { kind: 'tag_presence', key: 'b', present: true },
    ]);
  });

  it.each([
    ["name > 'a'", "filter: > is not allowed on 'name' at position 5; use =, !=, LIKE or ILIKE on name"],
    ["creation_time = '5'", "filter: 'creation_time' needs a number, got '5' at position 16; numbers are written without quotes"],
    ["creation_time LIKE '5%'", "filter: LIKE is not allowed on 'creation_time' at position 14"],
    [
      "experiment_id = '1'",
      "filter: unknown attribute 'experiment_id' at position 0; experiment attributes are name, creation_time and last_update_time",
    ],
    ['metrics.acc > 1', "filter: unknown entity 'metrics' at position 0; experiments are searched by attributes and tags."],
    ['tags.t = 5', "filter: 'tags.t' needs a quoted string, got 5 at position 9"],
    ["tags.t IN ('a')", "filter: IN is not allowed on 'tags.t' at position 7"],
    ["name = 'a' OR name = 'b'", "filter: unexpected 'OR' at position 11; OR is not supported"],
  ])('refuses %s', (filter, message) => {
    expect(messageOf(() => parseExperimentFilter(filter))).toEqual(expect.stringContaining(message));
  });
});

describe('experiment order_by grammar', () => {
  it("defaults to MLflow's creation_time DESC, experiment_id ASC", () => {
    expect(parseExperimentOrderBy(undefined)).toEqual([
      { key: 'creation_time', ascending: false },
      { key: 'experiment_id', ascending: true },
    ]);
  });

  it("appends MLflow's experiment_id DESC tiebreak unless experiment_id is ordered", () => {
    expect(parseExperimentOrderBy(['name'])).toEqual([
      { key: 'name', ascending: true },
      { key: 'experiment_id', ascending: false },
    ]);
    expect(parseExperimentOrderBy(['last_update_time DESC', 'experiment_id'])).toEqual([
      { key: 'last_update_time', ascending: false },
      { key: 'experiment_id', ascending: true },
    ]);
  });

  it.each([
    [['name', 'attributes.name DESC'], "order_by[1]: 'attributes.name' is ordered twice at position 0; order_by[0] already orders by name"],
    [['tags.team'], "order_by[0]: cannot order by 'tags.team' at position 0"],
    [['lifecycle_stage'], "order_by[0]: cannot order by 'lifecycle_stage' at position 0"],
    [['name', 'experiment_id', 'creation_time', 'last_update_time', 'name'], 'order_by: at most 4 entries, got 5'],
  ])('refuses %j', (orderBy, message) => {
    expect(messageOf(() => parseExperimentOrderBy(orderBy))).toEqual(expect.stringContaining(message));
  });
});

describe('experiment search SQL', () => {
  it('binds names, keys and values, and sorts text bytewise on PostgreSQL', () => {
    const compiled = compileExperimentSearch('postgres', ['id', 'name'], {
      lifecycleStages: ['active'],
      filter: parseExperimentFilter("name = 'x'' OR ''1''=''1' AND tags.\"k'--\" LIKE 'v%'"),
      order: parseExperimentOrderBy(['name DESC']),
      limit: 11,
    });
    expect(compiled.sql).not.toContain("OR '1'='1");
    expect(compiled.sql).not.toContain("k'--");
    expect(compiled.params).toEqual(['active', "x' OR '1'='1", "k'--", 'v%', 11]);
    expect(compiled.sql).toContain('(e.name) COLLATE "C" AS sort_0, (e.public_id) COLLATE "C" AS sort_1');
    expect(compiled.sql).toContain('ORDER BY sort_0 DESC, sort_1 DESC');
  });

  it('has no WHERE condition but 1 = 1 for ALL with no filter', () => {
    const compiled = compileExperimentSearch('sqlite', ['id'], {
      lifecycleStages: ['active', 'deleted'],
      filter: [],
      order: parseExperimentOrderBy(undefined),
      limit: 2,
    });
    expect(compiled.sql).toContain('WHERE 1 = 1');
    expect(compiled.params).toEqual([2]);
  });
});
