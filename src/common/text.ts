import { isUtf8 } from 'node:buffer';

/**
 * What text we store: Unicode without NUL. PostgreSQL refuses NUL in text and jsonb (a 500 if it
 * reached the database) and SQLite would keep it, so both databases get the same 400 instead.
 * Lone UTF-16 surrogates (`"\ud800"` in JSON) are not Unicode: they would be stored as U+FFFD
 * by one driver and refused by the other.
 */

/** The maximum nesting of JSON arrays and objects in a request: deeper documents are refused, never recursed into. */
export const MAX_JSON_DEPTH = 64;

/** A fast filter: only strings holding NUL or a surrogate need the precise checks below. */
const SUSPICIOUS = /[\0\ud800-\udfff]/;
/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why `text` cannot be stored, or undefined if it can. */
export function textProblem(text: string): string | undefined {
  if (!SUSPICIOUS.test(text)) {
    return undefined;
  }
  if (text.includes('\0')) {
    return 'must not contain the NUL character (U+0000)';
  }
  if (LONE_SURROGATE.test(text)) {
    return 'must not contain a lone UTF-16 surrogate (not valid Unicode)';
  }
  return undefined;
}

/** A problem found in a parsed JSON document, with where it is (`config.layers[2].name`; '' for the whole body). */
export interface JsonTextProblem {
  path: string;
  problem: string;
}

function render(segments: readonly (string | number)[]): string {
  let path = '';
  for (const segment of segments) {
    if (typeof segment === 'number') {
      path += `[${segment}]`;
    } else if (/^[A-Za-z_$][\w$]*$/.test(segment)) {
      path += path === '' ? segment : `.${segment}`;
    } else {
      path += `[${JSON.stringify(segment)}]`;
    }
  }
  return path;
}

interface Found {
  problem: string;
  /** Filled in innermost first while the search unwinds, so nothing is built on the success path. */
  reversedPath: (string | number)[];
}

function find(value: unknown, depth: number, maxDepth: number, checkText: boolean): Found | undefined {
  if (typeof value === 'string') {
    const problem = checkText ? textProblem(value) : undefined;
    return problem === undefined ? undefined : { problem, reversedPath: [] };
  }
  if (value === null || typeof value !== 'object') {
    return undefined;
  }
  if (depth > maxDepth) {
    // Reported for the whole body: a path 64 levels long would say nothing useful.
    return { problem: `JSON nested deeper than ${maxDepth} levels`, reversedPath: [] };
  }
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      const found = find(value[index], depth + 1, maxDepth, checkText);
      if (found) {
        found.reversedPath.push(index);
        return found;
      }
    }
    return undefined;
  }
  // for…in rather than Object.keys: no array per object (parsed JSON has no inherited keys).
  for (const key in value) {
    const keyProblem = checkText ? textProblem(key) : undefined;
    if (keyProblem !== undefined) {
      return { problem: `field names ${keyProblem}`, reversedPath: [] };
    }
    const found = find((value as Record<string, unknown>)[key], depth + 1, maxDepth, checkText);
    if (found) {
      found.reversedPath.push(key);
      return found;
    }
  }
  return undefined;
}

/**
 * The first reason a parsed JSON body cannot be accepted: nesting deeper than `maxDepth`
 * (checked before anything recurses into it, so a 10,000-level document cannot overflow a stack
 * later), or a string or field name that is not storable text. Recursion here is bounded by
 * `maxDepth`. `mayHoldEscapes: false` says the JSON text had no `\u` escape, the only way a
 * parsed string can hold NUL or a lone surrogate (raw control characters are not JSON, raw
 * surrogates not UTF-8), so only the depth needs checking: a third of the walk's cost on a
 * metric batch.
 */
export function jsonTextProblem(value: unknown, maxDepth = MAX_JSON_DEPTH, mayHoldEscapes = true): JsonTextProblem | undefined {
  const found = find(value, 1, maxDepth, mayHoldEscapes);
  if (!found) {
    return undefined;
  }
  const nested = found.problem.startsWith('JSON nested');
  return { path: nested ? '' : render(found.reversedPath.reverse()), problem: found.problem };
}

const HEX = /^[0-9A-Fa-f]{2}$/;

/**
 * Why a request target (path and query, as received) cannot be read, or undefined: a `%` not
 * followed by two hex digits, percent-encoded bytes that are not UTF-8, or an encoded NUL. Each
 * route decodes its own parameters later; checking here once means no route can meet them.
 */
export function requestTargetProblem(target: string): string | undefined {
  // Fast path: plain ASCII without escapes is always fine.
  if (!/[%\u0080-\uffff]/.test(target)) {
    return undefined;
  }
  const bytes: number[] = [];
  for (let index = 0; index < target.length; index++) {
    const code = target.charCodeAt(index);
    if (code === 0x25) {
      const hex = target.slice(index + 1, index + 3);
      if (!HEX.test(hex)) {
        return 'malformed percent-encoding in the URL: "%" must be followed by two hexadecimal digits';
      }
      bytes.push(parseInt(hex, 16));
      index += 2;
    } else {
      // Node hands over raw bytes beyond ASCII as Latin-1 characters.
      bytes.push(code & 0xff);
    }
  }
  if (bytes.includes(0)) {
    return 'the URL must not contain the NUL character (%00)';
  }
  if (!isUtf8(Uint8Array.from(bytes))) {
    return 'the URL must be UTF-8 once percent-decoded';
  }
  return undefined;
}
