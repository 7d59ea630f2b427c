/**
 * Where a search-filter error points. The server words every syntax error as
 * `filter: unexpected 'OR' at position 17; only AND can join clauses` (0-based offset into the filter).
 */

/** The 0-based offset a server message points at, or null when it names none. */
export function errorPosition(message: string): number | null {
  const match = /\bat position (\d+)\b/.exec(message);
  return match ? Number(match[1]) : null;
}

export interface TokenSpan {
  start: number;
  /** Exclusive; equal to `start` at the end of the text (the caret points past the last character). */
  end: number;
}

const WORD = /[\p{L}\p{N}_.]+/uy;
const NUMBER = /-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?/y;
const OPERATOR = /!=|<=|>=|<>|==|=|<|>/y;

/** The extent of the token starting at `position` in `filter`, so the error can underline it. */
export function tokenSpanAt(filter: string, position: number): TokenSpan {
  const start = Math.max(0, Math.min(position, filter.length));
  if (start >= filter.length) {
    return { start: filter.length, end: filter.length };
  }
  const char = filter[start];
  if (char === "'" || char === '"' || char === '`') {
    // A quoted token runs to its closing quote (a doubled quote is one character of it) or the end.
    let index = start + 1;
    while (index < filter.length) {
      if (filter[index] === char) {
        if (filter[index + 1] === char) {
          index += 2;
          continue;
        }
        return { start, end: index + 1 };
      }
      index += 1;
    }
    return { start, end: filter.length };
  }
  for (const pattern of [NUMBER, WORD, OPERATOR]) {
    pattern.lastIndex = start;
    const match = pattern.exec(filter);
    if (match && match[0].length > 0) {
      return { start, end: start + match[0].length };
    }
  }
  return { start, end: start + 1 };
}

/** The filter cut in three around the offending token, for rendering with a highlight; null if the message names no position. */
export function locateFilterError(
  filter: string,
  message: string,
): { before: string; token: string; after: string; position: number } | null {
  const position = errorPosition(message);
  if (position === null) {
    return null;
  }
  const span = tokenSpanAt(filter, position);
  return {
    before: filter.slice(0, span.start),
    token: filter.slice(span.start, span.end),
    after: filter.slice(span.end),
    position: span.start,
  };
}
