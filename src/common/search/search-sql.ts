import type { Dialect, SqlValue } from '../../database/sql-client.js';
import { parseLikePattern, SQLITE_LIKE_FUNCTION, toSqlLikePattern } from './like-pattern.js';

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
 * A text expression as it is sorted and compared for keyset paging: bytewise on both databases
 * (SQLite's default BINARY collation; COLLATE "C" on PostgreSQL, whatever the cluster's locale),
 * so an order_by on a string gives the same order everywhere.
 */
export function sortableText(dialect: Dialect, expr: string): string {
  return dialect === 'postgres' ? `(${expr}) COLLATE "C"` : expr;
}

/**
 * A number bound for comparison with an integer column: PostgreSQL would refuse to read `1.5`
 * or `1e+21` as the column's bigint, so a value that is not a safe integer is compared as a double.
 */
export function numberParam(dialect: Dialect, value: number): string {
  return dialect === 'postgres' && !Number.isSafeInteger(value) ? 'CAST(? AS DOUBLE PRECISION)' : '?';
}

/** `expr <op> value` for a string comparator; see like-pattern.ts for what LIKE and ILIKE mean here. */
export function stringComparison(dialect: Dialect, expr: string, comparator: StringComparator, value: string): SqlPart {
  switch (comparator) {
    case '=':
      return { sql: `${expr} = ?`, params: [value] };
    case '!=':
      return { sql: `${expr} <> ?`, params: [value] };
    case 'LIKE': {
      const pattern = toSqlLikePattern(parseLikePattern(value));
      if (dialect === 'postgres') {
        return { sql: `${expr} LIKE ? ESCAPE '\\'`, params: [pattern] };
      }
      return { sql: `(${expr} LIKE ? ESCAPE '\\' AND ${SQLITE_LIKE_FUNCTION}(${expr}, ?) = 1)`, params: [pattern, pattern] };
    }
    case 'ILIKE': {
      const pattern = toSqlLikePattern(parseLikePattern(value));
      if (dialect === 'postgres') {
        return { sql: `(${expr}) COLLATE "C" ILIKE ? ESCAPE '\\'`, params: [pattern] };
      }
      return { sql: `${expr} LIKE ? ESCAPE '\\'`, params: [pattern] };
    }
  }
}

/**
 * `expr [NOT] IN (values)` with the whole list as one parameter, so its length never meets a
 * bound-parameter limit: `json_each(?)` on SQLite, `= ANY(?::text[])` on PostgreSQL.
 */
export function inTextList(dialect: Dialect, expr: string, values: readonly string[], negated = false): SqlPart {
  if (dialect === 'postgres') {
    return { sql: negated ? `NOT (${expr} = ANY(?::text[]))` : `${expr} = ANY(?::text[])`, params: [values] };
  }
  return { sql: `${expr} ${negated ? 'NOT IN' : 'IN'} (SELECT value FROM json_each(?))`, params: [JSON.stringify(values)] };
}

/** Joins parts with a separator, keeping their parameters in order. */
export function joinParts(parts: readonly SqlPart[], separator: string): SqlPart {
  return { sql: parts.map((part) => part.sql).join(separator), params: parts.flatMap((part) => part.params) };
}
