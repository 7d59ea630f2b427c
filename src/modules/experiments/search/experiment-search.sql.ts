import { CursorValue, keysetAfter, SortComponent, sortOrderList, sortSelectList } from '../../../common/search/keyset.js';
import { searchSqlFor } from '../../../common/search/search-dialect.js';
import { joinParts, SearchSqlDialect, SQL_OPERATOR, SqlPart, stringComparison } from '../../../common/search/search-sql.js';
import type { Dialect, SqlValue } from '../../../database/sql-client.js';
import type { ExperimentFilterClause, ExperimentOrderKey, ExperimentOrderTerm } from './experiment-search-grammar.js';

/**
 * Compiles a parsed experiment search into one parameterised SELECT over `experiments e`. Keys,
 * values, patterns and cursors are always bound parameters; the SQL text comes only from the
 * constants below.
 */

export interface ExperimentSearchSpec {
  lifecycleStages: readonly ('active' | 'deleted')[];
  filter: readonly ExperimentFilterClause[];
  /** The full order, tiebreak included (see parseExperimentOrderBy). */
  order: readonly ExperimentOrderTerm[];
  after?: readonly CursorValue[];
  limit: number;
}

export interface CompiledExperimentSearch {
  sql: string;
  params: SqlValue[];
  components: SortComponent[];
}

const TIME_SQL = { creation_time: 'e.created_at', last_update_time: 'e.updated_at' } as const;

function filterSql(search: SearchSqlDialect, clause: ExperimentFilterClause, alias: string): SqlPart {
  switch (clause.kind) {
    case 'name':
      return stringComparison(search, 'e.name', clause.comparator, clause.value);
    case 'time':
      return {
        sql: `${TIME_SQL[clause.attribute]} ${SQL_OPERATOR[clause.comparator]} ${search.numberParam(clause.value)}`,
        params: [clause.value],
      };
    case 'tag': {
      const value = stringComparison(search, `${alias}.value`, clause.comparator, clause.value);
      return {
        sql: `EXISTS (SELECT 1 FROM experiment_tags ${alias} WHERE ${alias}.experiment_id = e.id AND ${alias}.key = ? AND ${value.sql})`,
        params: [clause.key, ...value.params],
      };
    }
    case 'tag_presence':
      return {
        sql: `${clause.present ? '' : 'NOT '}EXISTS (SELECT 1 FROM experiment_tags ${alias} WHERE ${alias}.experiment_id = e.id AND ${alias}.key = ?)`,
        params: [clause.key],
      };
  }
}

function component(search: SearchSqlDialect, key: ExperimentOrderKey, ascending: boolean): SortComponent {
  switch (key) {
    case 'name':
      return { expr: search.sortableText('e.name'), ascending, type: 'text' };
    case 'experiment_id':
      return { expr: search.sortableText('e.public_id'), ascending, type: 'text' };
    case 'creation_time':
    case 'last_update_time':
      return { expr: TIME_SQL[key], ascending, type: 'number' };
  }
}

/** The search as SQL; `columns` are the experiment columns to return, each row also has `sort_0 … sort_n`. */
export function compileExperimentSearch(
  dialect: Dialect,
  columns: readonly string[],
  spec: ExperimentSearchSpec,
): CompiledExperimentSearch {
  const search = searchSqlFor(dialect);
  const components = spec.order.map((term) => component(search, term.key, term.ascending));
  const conditions: SqlPart[] = [];
  if (spec.lifecycleStages.length === 1) {
    conditions.push({ sql: 'e.lifecycle_stage = ?', params: [spec.lifecycleStages[0]] });
  }
  spec.filter.forEach((clause, index) => conditions.push(filterSql(search, clause, `f${index}`)));
  if (spec.after) {
    conditions.push(keysetAfter(dialect, components, spec.after));
  }
  const where = conditions.length > 0 ? joinParts(conditions, '\n  AND ') : { sql: '1 = 1', params: [] };
  const sql = `SELECT ${columns.map((column) => `e.${column}`).join(', ')}, ${sortSelectList(components)}
FROM experiments e
WHERE ${where.sql}
ORDER BY ${sortOrderList(components)}
LIMIT ?`;
  return { sql, params: [...where.params, spec.limit], components };
}
