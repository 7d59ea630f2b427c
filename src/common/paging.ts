import { InvalidRequestError } from './errors.js';

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

/**
 * Page tokens are opaque to clients: base64url of a small JSON cursor. Keyset cursors (the last
 * row's sort key) keep every page as cheap as the first, however deep the client pages.
 */
export function encodePageToken(cursor: Record<string, string | number | null>): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

export function decodePageToken<T extends Record<string, unknown>>(
  token: string | undefined,
  isCursor: (value: Record<string, unknown>) => value is T,
  field = 'page_token',
): T | undefined {
  if (token === undefined || token === '') {
    return undefined;
  }
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) && isCursor(parsed as Record<string, unknown>)) {
      return parsed as T;
    }
  } catch {
    // reported below
  }
  throw new InvalidRequestError(`${field}: not a page token this server issued`);
}

/** A cursor holding one integer key `after` (the last internal id of the previous page). */
export function isAfterCursor(value: Record<string, unknown>): value is { after: number } {
  return Number.isSafeInteger(value.after);
}

export interface Page<T> {
  items: T[];
  nextPageToken?: string;
}

/** Given up to `limit + 1` rows, the page and the token of the next one (if any). */
export function pageOf<Row, T>(
  rows: Row[],
  limit: number,
  cursorOf: (last: Row) => Record<string, string | number | null>,
  map: (row: Row) => T,
): Page<T> {
  const hasMore = rows.length > limit;
  const pageRows = hasMore ? rows.slice(0, limit) : rows;
  return {
    items: pageRows.map(map),
    nextPageToken: hasMore ? encodePageToken(cursorOf(pageRows[pageRows.length - 1])) : undefined,
  };
}
