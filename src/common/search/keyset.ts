import { createHash } from 'node:crypto';
import type { Dialect, SqlValue } from '../../database/sql-client.js';
import { InvalidRequestError } from '../errors.js';
import { searchSqlFor } from './search-dialect.js';
import type { SqlPart } from './search-sql.js';

/**
 * Keyset paging over an arbitrary search order. The order is a list of sort components, each a
 * SQL expression with a direction; the last component is unique (a public id), so the order is
 * total and "the rows after the last one shown" is well defined. A page token carries the sort
 * key of the last row of its page, plus a signature of the order it belongs to, so a token is
 * never applied to a different order.
 *
 * Missing values sort last whatever the direction (MLflow's rule):
 * - a nullable column is one `nullsLast` component, ordered `… NULLS LAST` (both databases
 *   have it, and an index on the column can still deliver that order);
 * - a metric needs three places (value, then NaN, then missing), so it is two components: a
 *   bucket (0 = value, 1 = NaN, 2 = missing; ascending) and the value, compared only between
 *   rows of bucket 0 (all rows of another bucket tie on it).
 */
export type SortValueType = 'bucket' | 'number' | 'text';

export interface SortComponent {
  /** SQL expression built from constants only. */
  expr: string;
  ascending: boolean;
  type: SortValueType;
  /** NULL allowed, sorted after every value in either direction. */
  nullsLast?: boolean;
  /** For a value component: index of the bucket component that says whether the value exists. */
  bucket?: number;
}

export type CursorValue = string | number | null;

/** `expr AS sort_0, …`, to read each row's sort key back. */
export function sortSelectList(components: readonly SortComponent[]): string {
  return components.map((component, index) => `${component.expr} AS sort_${index}`).join(', ');
}

/** `ORDER BY` items over the selected sort columns. */
export function sortOrderList(components: readonly SortComponent[]): string {
  return components
    .map((component, index) => `sort_${index} ${component.ascending ? 'ASC' : 'DESC'}${component.nullsLast ? ' NULLS LAST' : ''}`)
    .join(', ');
}

/** Whether `value` can be a cursor value of `component`, given the bucket value it depends on. */
function fitsComponent(component: SortComponent, value: unknown, bucketValue: unknown): boolean {
  if (component.bucket !== undefined && bucketValue !== 0) {
    return value === null;
  }
  if (value === null) {
    return component.nullsLast === true;
  }
  switch (component.type) {
    case 'bucket':
      return value === 0 || value === 1 || value === 2;
    case 'number':
      return (typeof value === 'number' && Number.isFinite(value)) || value === 'Infinity' || value === '-Infinity';
    case 'text':
      return typeof value === 'string';
  }
}

/**
 * The keyset condition "after the row whose sort key is `cursor`": for some component i, every
 * component before i is equal and component i is past the cursor's in its direction. A NULL
 * (last) has nothing past it and equals only NULL; a non-NULL value has NULLs past it. Value
 * components of a bucket other than 0 are skipped: all rows of that bucket tie on them.
 */
export function keysetAfter(dialect: Dialect, components: readonly SortComponent[], cursor: readonly CursorValue[]): SqlPart {
  checkCursor(components, cursor);
  const search = searchSqlFor(dialect);
  const live = components.map((component) => component.bucket === undefined || cursor[component.bucket] === 0);
  const alternatives: string[] = [];
  const params: SqlValue[] = [];
  const bind = (component: SortComponent, value: CursorValue): string => {
    const number = component.type === 'number' && typeof value === 'string' ? (value === 'Infinity' ? Infinity : -Infinity) : value;
    params.push(number);
    return typeof number === 'number' ? search.numberParam(number) : '?';
  };
  for (let index = 0; index < components.length; index++) {
    const component = components[index];
    if (!live[index] || cursor[index] === null) {
      continue;
    }
    const conditions: string[] = [];
    for (let before = 0; before < index; before++) {
      if (live[before]) {
        const earlier = components[before];
        conditions.push(cursor[before] === null ? `${earlier.expr} IS NULL` : `${earlier.expr} = ${bind(earlier, cursor[before])}`);
      }
    }
    const past = `${component.expr} ${component.ascending ? '>' : '<'} ${bind(component, cursor[index])}`;
    conditions.push(component.nullsLast ? `(${past} OR ${component.expr} IS NULL)` : past);
    alternatives.push(conditions.length === 1 ? conditions[0] : `(${conditions.join(' AND ')})`);
  }
  return { sql: alternatives.length > 0 ? `(${alternatives.join(' OR ')})` : '1 = 0', params };
}

/** A short, stable fingerprint of an order (the parsed order terms), carried in page tokens. */
export function orderSignature(order: unknown): string {
  return createHash('sha256').update(JSON.stringify(order)).digest('base64url').slice(0, 16);
}

interface TokenBody {
  /** Signature of the order the cursor belongs to. */
  o: string;
  /** Sort key of the last row of the previous page. */
  k: CursorValue[];
}

/** JSON has no Infinity: a ±Infinity sort value travels as a string (only number components can hold one). */
function cursorJson(value: CursorValue | undefined): CursorValue {
  if (typeof value === 'number' && !Number.isFinite(value)) {
    return Number.isNaN(value) ? null : value > 0 ? 'Infinity' : '-Infinity';
  }
  return value ?? null;
}

/** The opaque token for the page after the row whose sort key is `sortKey`. */
export function encodeSearchToken(signature: string, sortKey: readonly CursorValue[]): string {
  const body: TokenBody = { o: signature, k: sortKey.map(cursorJson) };
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}

export function invalidPageToken(): InvalidRequestError {
  return new InvalidRequestError('page_token: not a page token this server issued for this search order', 'INVALID_PARAMETER_VALUE');
}

/**
 * The cursor of a page token issued for the order with this signature: garbage, or a token of
 * another order, is INVALID_PARAMETER_VALUE. The values' types are checked against the sort
 * components when the query is compiled (`checkCursor`).
 */
export function decodeSearchToken(token: string, signature: string): CursorValue[] {
  let body: unknown;
  try {
    body = /^[A-Za-z0-9_-]+$/.test(token) ? JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) : undefined;
  } catch {
    throw invalidPageToken();
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw invalidPageToken();
  }
  const { o, k } = body as Record<string, unknown>;
  if (
    o !== signature ||
    !Array.isArray(k) ||
    !k.every((value) => value === null || typeof value === 'string' || typeof value === 'number')
  ) {
    throw invalidPageToken();
  }
  return k as CursorValue[];
}

/** Throws INVALID_PARAMETER_VALUE unless `cursor` is a possible sort key of these components. */
export function checkCursor(components: readonly SortComponent[], cursor: readonly CursorValue[]): void {
  if (cursor.length !== components.length) {
    throw invalidPageToken();
  }
  components.forEach((component, index) => {
    const bucketValue = component.bucket === undefined ? undefined : cursor[component.bucket];
    if (!fitsComponent(component, cursor[index], bucketValue)) {
      throw invalidPageToken();
    }
  });
}
