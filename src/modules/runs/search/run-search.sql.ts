import { CursorValue, keysetAfter, SortComponent, sortOrderList, sortSelectList } from '../../../common/search/keyset.js';
import {
  joinParts,
  NumericComparator,
  SearchSqlDialect,
  SQL_OPERATOR,
  SqlPart,
  stringComparison,
} from '../../../common/search/search-sql.js';
import { searchSqlFor } from '../../../common/search/search-dialect.js';
import type { Dialect, SqlValue } from '../../../database/sql-client.js';
import type { RunAttribute, RunFilterClause, RunOrderTerm } from './run-search-grammar.js';

/**
 * Compiles a parsed run search into one parameterised SELECT over `runs r`. Keys, values,
 * patterns, ids and cursors are always bound parameters; the SQL text comes only from the
 * constants below.
 *
 * Plan shape, on both databases: the runs of the experiments, each probed by primary key for
 * what the filter and order need: a metric, param or tag that is ordered on is one LEFT JOIN on
 * (run_id, key), which the filters on the same key reuse; any other key in the filter is an
 * EXISTS probe on (run_id, key); then a top-N sort. In the default order (start_time DESC,
 * run_id) of one experiment there is no sort: runs_by_experiment_start delivers the rows in
 * order and the scan stops after a page. PostgreSQL may instead start from params or run_tags
 * (key, value) when its statistics say a filter is selective.
 *
 * Measured (bench/search.ts, EXPLAIN): key-leading indexes such as metric_series (key,
 * last_value) did not make this faster on SQLite, and without statistics SQLite once ran a
 * correlated EXISTS through such an index for every run (seconds instead of milliseconds).
 * Re-check the plans with EXPLAIN QUERY PLAN before adding one.
 */

export interface RunSearchSpec {
  /** Row ids (experiments.id) of the experiments searched; runs of other experiments never match. */
  experiments: readonly number[];
  lifecycleStages: readonly ('active' | 'deleted')[];
  filter: readonly RunFilterClause[];
  /** The full order, tiebreaks included (see parseRunOrderBy). */
  order: readonly RunOrderTerm[];
  /** Sort key of the last row of the previous page. */
  after?: readonly CursorValue[];
  limit: number;
}

export interface CompiledSearch {
  sql: string;
  params: SqlValue[];
  /** The sort components, in the order of the `sort_<i>` columns of each row. */
  components: SortComponent[];
}

/** Our run statuses under MLflow's names (SCHEDULED↔pending, …, KILLED↔cancelled). */
const MLFLOW_STATUS_SQL = `CASE r.status WHEN 'pending' THEN 'SCHEDULED' WHEN 'running' THEN 'RUNNING' WHEN 'success' THEN 'FINISHED' WHEN 'failed' THEN 'FAILED' WHEN 'cancelled' THEN 'KILLED' END`;

/** MLflow's artifact_uri of a run, as the MLflow API reports it: `<experiment artifact location>/<run id>/artifacts`. */
const ARTIFACT_URI_SQL = `rtrim(e.artifact_location, '/') || '/' || r.public_id || '/artifacts'`;

const ATTRIBUTE_SQL: Readonly<Record<RunAttribute, string>> = {
  run_id: 'r.public_id',
  run_name: 'r.name',
  user_id: 'r.user_id',
  status: MLFLOW_STATUS_SQL,
  artifact_uri: ARTIFACT_URI_SQL,
  start_time: 'r.started_at',
  end_time: 'r.ended_at',
};

const NULLABLE_ATTRIBUTES: ReadonlySet<RunAttribute> = new Set(['user_id', 'start_time', 'end_time']);
const TEXT_ATTRIBUTES: ReadonlySet<RunAttribute> = new Set(['run_id', 'run_name', 'user_id', 'status', 'artifact_uri']);

const ENTITY_TABLE = { param: 'params', tag: 'run_tags' } as const;

/** The LEFT JOINs of the order terms by entity and key (`metric\u0000acc` → `o0`): filters on the same key use them. */
type JoinedKeys = ReadonlyMap<string, string>;

function joinKey(entity: 'metric' | 'param' | 'tag', key: string): string {
  return `${entity}\u0000${key}`;
}

/** A metric comparison on the latest value in `alias`. NaN compares as IEEE says: unequal to everything, so it matches only !=. */
function metricCondition(alias: string, comparator: NumericComparator, value: number): SqlPart {
  if (comparator === '!=') {
    return { sql: `${alias}.last_step IS NOT NULL AND (${alias}.last_is_nan = 1 OR ${alias}.last_value <> ?)`, params: [value] };
  }
  return { sql: `${alias}.last_is_nan = 0 AND ${alias}.last_value ${SQL_OPERATOR[comparator]} ?`, params: [value] };
}

function filterSql(search: SearchSqlDialect, clause: RunFilterClause, alias: string, joined: JoinedKeys): SqlPart {
  switch (clause.kind) {
    case 'metric': {
      const join = joined.get(joinKey('metric', clause.key));
      if (join) {
        const condition = metricCondition(join, clause.comparator, clause.value);
        return { sql: `(${condition.sql})`, params: condition.params };
      }
      const condition = metricCondition(alias, clause.comparator, clause.value);
      return {
        sql: `EXISTS (SELECT 1 FROM metric_series ${alias} WHERE ${alias}.run_id = r.id AND ${alias}.key = ? AND ${condition.sql})`,
        params: [clause.key, ...condition.params],
      };
    }
    case 'param':
    case 'tag': {
      const join = joined.get(joinKey(clause.kind, clause.key));
      if (join) {
        // A run without the key has NULL here, which no comparison matches.
        return stringComparison(search, `${join}.value`, clause.comparator, clause.value);
      }
      const table = ENTITY_TABLE[clause.kind];
      const value = stringComparison(search, `${alias}.value`, clause.comparator, clause.value);
      return {
        sql: `EXISTS (SELECT 1 FROM ${table} ${alias} WHERE ${alias}.run_id = r.id AND ${alias}.key = ? AND ${value.sql})`,
        params: [clause.key, ...value.params],
      };
    }
    case 'presence': {
      const join = joined.get(joinKey(clause.entity, clause.key));
      if (join) {
        // value is NOT NULL in both tables: NULL here means the run has no such key.
        return { sql: `${join}.value IS ${clause.present ? 'NOT ' : ''}NULL`, params: [] };
      }
      const table = ENTITY_TABLE[clause.entity];
      return {
        sql: `${clause.present ? '' : 'NOT '}EXISTS (SELECT 1 FROM ${table} ${alias} WHERE ${alias}.run_id = r.id AND ${alias}.key = ?)`,
        params: [clause.key],
      };
    }
    case 'string_attribute':
      return stringComparison(search, ATTRIBUTE_SQL[clause.attribute], clause.comparator, clause.value);
    case 'run_id_list':
      return search.inTextList('r.public_id', clause.values, clause.negated);
    case 'numeric_attribute':
      return {
        sql: `${ATTRIBUTE_SQL[clause.attribute]} ${SQL_OPERATOR[clause.comparator]} ${search.numberParam(clause.value)}`,
        params: [clause.value],
      };
  }
}

/** Sort components of one order term, and the join it needs (metrics, params, tags). */
function orderComponents(search: SearchSqlDialect, term: RunOrderTerm, alias: string, components: SortComponent[]): SqlPart | undefined {
  if (term.kind === 'attribute') {
    const text = TEXT_ATTRIBUTES.has(term.attribute);
    components.push({
      expr: text ? search.sortableText(ATTRIBUTE_SQL[term.attribute]) : ATTRIBUTE_SQL[term.attribute],
      ascending: term.ascending,
      type: text ? 'text' : 'number',
      nullsLast: NULLABLE_ATTRIBUTES.has(term.attribute),
    });
    return undefined;
  }
  if (term.kind === 'metric') {
    // Real values first, then NaN, then runs without the metric, whatever the direction.
    components.push({
      expr: `CASE WHEN ${alias}.last_step IS NULL THEN 2 WHEN ${alias}.last_is_nan = 1 OR ${alias}.last_value IS NULL THEN 1 ELSE 0 END`,
      ascending: true,
      type: 'bucket',
    });
    components.push({
      expr: `CASE WHEN ${alias}.last_is_nan = 0 THEN ${alias}.last_value END`,
      ascending: term.ascending,
      type: 'number',
      bucket: components.length - 1,
    });
    return { sql: `LEFT JOIN metric_series ${alias} ON ${alias}.run_id = r.id AND ${alias}.key = ?`, params: [term.key] };
  }
  // value is NOT NULL in params and run_tags: NULL here means the run has no such key.
  const table = ENTITY_TABLE[term.kind];
  components.push({ expr: search.sortableText(`${alias}.value`), ascending: term.ascending, type: 'text', nullsLast: true });
  return { sql: `LEFT JOIN ${table} ${alias} ON ${alias}.run_id = r.id AND ${alias}.key = ?`, params: [term.key] };
}

/**
 * The runs of the experiments, by row id bound as a value. One experiment (the usual case) is an
 * equality, so both databases can walk runs_by_experiment_start and stop after a page when the
 * order is the default one. A value, not a subquery on the public id: PostgreSQL then estimates
 * the rows of that very experiment instead of an average one, and in a database of several
 * experiments stops driving a small experiment's search from params or metrics of all of them
 * (search lab, a 100-run experiment among 210,000 runs: 217 ms with the subquery, 0.6 ms bound;
 * a 10,000-run one: 107 ms, 44 ms).
 */
function experimentScope(search: SearchSqlDialect, experiments: readonly number[]): SqlPart {
  if (experiments.length === 1) {
    return { sql: 'r.experiment_id = ?', params: [experiments[0]] };
  }
  return search.inIdList('r.experiment_id', experiments);
}

function usesArtifactUri(spec: RunSearchSpec): boolean {
  return (
    spec.filter.some((clause) => clause.kind === 'string_attribute' && clause.attribute === 'artifact_uri') ||
    spec.order.some((term) => term.kind === 'attribute' && term.attribute === 'artifact_uri')
  );
}

/**
 * The search as SQL. `columns` are the run columns to return (selected from `r`); each row also
 * has `sort_0 … sort_n`, its sort key, for the next page token. The LIMIT is `spec.limit`.
 */
export function compileRunSearch(dialect: Dialect, columns: readonly string[], spec: RunSearchSpec): CompiledSearch {
  const search = searchSqlFor(dialect);
  const components: SortComponent[] = [];
  const joins: SqlPart[] = [];
  const joined = new Map<string, string>();
  if (usesArtifactUri(spec)) {
    joins.push({ sql: 'JOIN experiments e ON e.id = r.experiment_id', params: [] });
  }
  spec.order.forEach((term, index) => {
    const join = orderComponents(search, term, `o${index}`, components);
    if (join && term.kind !== 'attribute') {
      joins.push(join);
      joined.set(joinKey(term.kind, term.key), `o${index}`);
    }
  });

  const conditions: SqlPart[] = [experimentScope(search, spec.experiments)];
  if (spec.lifecycleStages.length === 1) {
    conditions.push({ sql: 'r.lifecycle_stage = ?', params: [spec.lifecycleStages[0]] });
  }
  spec.filter.forEach((clause, index) => conditions.push(filterSql(search, clause, `f${index}`, joined)));
  if (spec.after) {
    conditions.push(keysetAfter(dialect, components, spec.after));
  }

  const where = joinParts(conditions, '\n  AND ');
  const join = joinParts(joins, '\n');
  const sql = `SELECT ${columns.map((column) => `r.${column}`).join(', ')}, ${sortSelectList(components)}
FROM runs r
${join.sql}
WHERE ${where.sql}
ORDER BY ${sortOrderList(components)}
LIMIT ?`;
  return { sql, params: [...join.params, ...where.params, spec.limit], components };
}
