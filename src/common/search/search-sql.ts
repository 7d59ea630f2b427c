import type { SqlClient, SqlValue } from '../../database/sql-client.js';
import { parseLikePattern, toSqlLikePattern } from './like-pattern.js';

/**
 * SQL building blocks shared by the run and experiment search compilers. Every value that comes
 * from a request (keys, values, patterns, cursors) is a bound parameter; the SQL text is built
 * only from the constant fragments in this folder and in the compilers.
 */

/** A fragment of SQL and the values of its `?` placeholders, in order. */
export interface SqlPart {
  sql: string;
  params: SqlValue[];
}

export type NumericComparator = '=' | '!=' | '<' | '<=' | '>' | '>=';
export type StringComparator = '=' | '!=' | 'LIKE' | 'ILIKE';

/** Comparison operators as SQL writes them (`!=` is standard `<>`). */
export const SQL_OPERATOR: Readonly<Record<NumericComparator, string>> = {
  '=': '=',
  '!=': '<>',
  '<': '<',
  '<=': '<=',
  '>': '>',
  '>=': '>=',
};

/**
 * What search SQL writes differently per database, one implementation each
 * (search-sql.sqlite.ts, search-sql.postgres.ts; searchSqlFor in search-dialect.ts picks one).
 */
export interface SearchSqlDialect {
  /**
   * A text expression as it is sorted and compared for keyset paging: bytewise on both databases,
   * so an order_by on a string gives the same order everywhere.
   */
  sortableText(expr: string): string;
  /** The placeholder of a number bound for comparison with an integer column. */
  numberParam(value: number): string;
  /** `expr` matches a LIKE pattern (toSqlLikePattern's form), case-sensitively. */
  like(expr: string, pattern: string): SqlPart;
  /** `expr` matches a LIKE pattern (toSqlLikePattern's form), ignoring case. */
  ilike(expr: string, pattern: string): SqlPart;
  /** `expr [NOT] IN (values)` with the whole list as one parameter, so its length never meets a bound-parameter limit. */
  inTextList(expr: string, values: readonly string[], negated?: boolean): SqlPart;
  /** `expr IN (ids)` for a list of row ids. */
  inIdList(expr: string, ids: readonly number[]): SqlPart;
  /** Readies the connection for search SQL (functions the SQL calls); runs before each search. */
  prepare(sql: SqlClient): void;
}

/** `expr <op> value` for a string comparator; see like-pattern.ts for what LIKE and ILIKE mean here. */
export function stringComparison(search: SearchSqlDialect, expr: string, comparator: StringComparator, value: string): SqlPart {
  switch (comparator) {
    case '=':
      return { sql: `${expr} = ?`, params: [value] };
    case '!=':
      return { sql: `${expr} <> ?`, params: [value] };
    case 'LIKE':
      return search.like(expr, toSqlLikePattern(parseLikePattern(value)));
    case 'ILIKE':
      return search.ilike(expr, toSqlLikePattern(parseLikePattern(value)));
  }
}

/** Joins parts with a separator, keeping their parameters in order. */
export function joinParts(parts: readonly SqlPart[], separator: string): SqlPart {
  return { sql: parts.map((part) => part.sql).join(separator), params: parts.flatMap((part) => part.params) };
}
