import { InvalidRequestError } from '../../../common/errors.js';
import type { Dialect } from '../../../database/sql-client.js';
import { parseRunFilter, parseRunOrderBy } from './run-search-grammar.js';
import { compileRunSearch, RunSearchSpec } from './run-search.sql.js';

const COLUMNS = ['id', 'public_id'];

function compile(dialect: Dialect, filter: string, orderBy: string[] = [], extra: Partial<RunSearchSpec> = {}) {
  return compileRunSearch(dialect, COLUMNS, {
    experiments: [1],
    lifecycleStages: ['active'],
    filter: parseRunFilter(filter),
    order: parseRunOrderBy(orderBy),
    limit: 101,
    ...extra,
  });
}

/** How many `?` placeholders the SQL has (none of our constants contains one). */
function placeholders(sql: string): number {
  return (sql.match(/\?/g) ?? []).length;
}

describe('run search SQL', () => {
  it.each<Dialect>(['sqlite', 'postgres'])('binds every key and value as a parameter, never as SQL text (%s)', (dialect) => {
    const hostile = "a' OR 1=1 --";
    const filter =
      `params."${hostile}" = '${hostile.replace(/'/g, "''")}' AND tags.\`x); DROP TABLE runs; --\` LIKE '%${hostile.replace(/'/g, "''")}' ` +
      `AND metrics."m'--" > 1 AND run_id IN ('${hostile.replace(/'/g, "''")}') AND attributes.run_name ILIKE '%/*x*/%'`;
    const compiled = compile(dialect, filter, [`params."${hostile}" DESC`, 'tags.`k"k` ASC']);
    expect(compiled.sql).not.toContain('OR 1=1');
    expect(compiled.sql).not.toContain('DROP TABLE');
    expect(compiled.sql).not.toContain('/*x*/');
    expect(compiled.sql).not.toContain("m'--");
    expect(compiled.sql).not.toContain('k"k');
    expect(placeholders(compiled.sql)).toBe(compiled.params.length);
    expect(compiled.params).toEqual(expect.arrayContaining([hostile, 'x); DROP TABLE runs; --', "m'--", 'k"k']));
  });

  it('is the same SQL text for the same shape of query, whatever the values', () => {
    const one = compile('sqlite', "metrics.acc > 0.5 AND params.lr = '0.01'", ['metrics.acc DESC']);
    const two = compile('sqlite', "metrics.loss > 9 AND params.opt = 'adam'", ['metrics.loss DESC']);
    expect(two.sql).toBe(one.sql);
    expect(two.params).not.toEqual(one.params);
  });

  it('filters on a metric it also sorts on through the sort join, without a second probe', () => {
    const { sql, params } = compile('sqlite', "metrics.acc > 0.5 AND params.lr = '0.01'", ['metrics.acc DESC']);
    expect(sql).toContain('LEFT JOIN metric_series o0 ON o0.run_id = r.id AND o0.key = ?');
    expect(sql).toContain('(o0.last_is_nan = 0 AND o0.last_value > ?)');
    expect(sql).not.toContain('FROM metric_series f0');
    expect(sql).toContain('EXISTS (SELECT 1 FROM params f1 WHERE f1.run_id = r.id AND f1.key = ? AND f1.value = ?)');
    expect(params).toEqual(['acc', 1, 'active', 0.5, 'lr', '0.01', 101]);
  });

  it('sorts a metric as real values, then NaN, then missing, whatever the direction', () => {
    const { sql } = compile('sqlite', '', ['metrics.acc DESC']);
    expect(sql).toContain(
      'CASE WHEN o0.last_step IS NULL THEN 2 WHEN o0.last_is_nan = 1 OR o0.last_value IS NULL THEN 1 ELSE 0 END AS sort_0',
    );
    expect(sql).toContain('CASE WHEN o0.last_is_nan = 0 THEN o0.last_value END AS sort_1');
    expect(sql).toContain('ORDER BY sort_0 ASC, sort_1 DESC, sort_2 DESC NULLS LAST, sort_3 ASC');
  });

  it('sorts nullable attributes, params and tags with NULLS LAST in both directions', () => {
    const { sql } = compile('postgres', '', ['params.lr DESC', 'tags.t', 'user_id DESC', 'end_time', 'run_name']);
    expect(sql).toContain(
      'ORDER BY sort_0 DESC NULLS LAST, sort_1 ASC NULLS LAST, sort_2 DESC NULLS LAST, sort_3 ASC NULLS LAST, sort_4 ASC, sort_5 DESC NULLS LAST, sort_6 ASC',
    );
  });

  it('keeps the default order index-friendly: one experiment by equality, start_time then run_id', () => {
    const { sql, params } = compile('postgres', '');
    expect(sql).toContain('WHERE r.experiment_id = ?');
    expect(params[0]).toBe(1);
    expect(sql).toContain('r.started_at AS sort_0, (r.public_id) COLLATE "C" AS sort_1');
    expect(sql).toContain('ORDER BY sort_0 DESC NULLS LAST, sort_1 ASC');
  });

  it('binds several experiments as values: an array on PostgreSQL, a list on SQLite', () => {
    const postgres = compile('postgres', '', [], { experiments: [4, 9] });
    expect(postgres.sql).toContain('r.experiment_id = ANY(?::bigint[])');
    expect(postgres.params[0]).toEqual([4, 9]);
    const sqlite = compile('sqlite', '', [], { experiments: [4, 9] });
    expect(sqlite.sql).toContain('r.experiment_id IN (?, ?)');
    expect(sqlite.params.slice(0, 2)).toEqual([4, 9]);
  });

  it('orders text bytewise on PostgreSQL (COLLATE "C"), as SQLite does', () => {
    const { sql } = compile('postgres', '', ['params.lr', 'attributes.run_name DESC']);
    expect(sql).toContain('(o0.value) COLLATE "C" AS sort_0');
    expect(sql).toContain('(r.name) COLLATE "C" AS sort_1');
    expect(sql).toContain('(r.public_id) COLLATE "C" AS sort_3');
  });

  it('compares MLflow status names through the status mapping', () => {
    const { sql, params } = compile('sqlite', "attributes.status = 'FINISHED'");
    expect(sql).toContain("CASE r.status WHEN 'pending' THEN 'SCHEDULED' WHEN 'running' THEN 'RUNNING' WHEN 'success' THEN 'FINISHED'");
    expect(params).toContain('FINISHED');
  });

  it('makes LIKE case-sensitive on SQLite with entrenar_like, ILIKE with SQLite LIKE; PostgreSQL LIKE and ILIKE under COLLATE "C"', () => {
    expect(compile('sqlite', "tags.t LIKE 'A%'").sql).toContain("(f0.value LIKE ? ESCAPE '\\' AND entrenar_like(f0.value, ?) = 1)");
    expect(compile('sqlite', "tags.t ILIKE 'A%'").sql).toContain("f0.value LIKE ? ESCAPE '\\'");
    expect(compile('postgres', "tags.t LIKE 'A%'").sql).toContain("f0.value LIKE ? ESCAPE '\\'");
    expect(compile('postgres', "tags.t ILIKE 'A%'").sql).toContain('(f0.value) COLLATE "C" ILIKE ? ESCAPE \'\\\'');
  });

  it('joins experiments only for artifact_uri', () => {
    expect(compile('sqlite', "run_name = 'x'").sql).not.toContain('JOIN experiments e');
    expect(compile('sqlite', "artifact_uri LIKE 'mlflow-artifacts:/%'").sql).toContain('JOIN experiments e ON e.id = r.experiment_id');
  });

  it('passes an IN list as one parameter, however long', () => {
    const ids = Array.from({ length: 40_000 }, (_, index) => `run-${index}`);
    const filter = `run_id IN (${ids.map((id) => `'${id}'`).join(', ')})`;
    const sqlite = compile('sqlite', filter);
    expect(sqlite.sql).toContain('r.public_id IN (SELECT value FROM json_each(?))');
    expect(sqlite.params).toContain(JSON.stringify(ids));
    const postgres = compile('postgres', filter);
    expect(postgres.sql).toContain('r.public_id = ANY(?::text[])');
    expect(postgres.params).toContainEqual(ids);
  });

  it('omits the lifecycle condition for ALL and adds the keyset condition for a later page', () => {
    const { sql, params, components } = compile('sqlite', '', [], {
      lifecycleStages: ['active', 'deleted'],
      after: [1700000000000, 'run-x'],
    });
    expect(sql).not.toContain('lifecycle_stage');
    expect(components).toHaveLength(2);
    expect(sql).toContain('AND ((r.started_at < ? OR r.started_at IS NULL) OR (r.started_at = ? AND r.public_id > ?))');
    expect(params.slice(-4)).toEqual([1700000000000, 1700000000000, 'run-x', 101]);
    const afterUnstarted = compile('sqlite', '', [], { after: [null, 'run-x'] });
    expect(afterUnstarted.sql).toContain('AND ((r.started_at IS NULL AND r.public_id > ?))');
  });

  it('refuses a cursor that does not fit the order', () => {
    expect(() => compile('sqlite', '', ['metrics.acc'], { after: [0, 1, 'run-x'] })).toThrow(InvalidRequestError);
  });
});
