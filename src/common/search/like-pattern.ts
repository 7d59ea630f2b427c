import type BetterSqlite3 from 'better-sqlite3';

/**
 * LIKE patterns of the search grammar: `%` matches any run of characters, `_` exactly one, and
 * a backslash makes the next character literal (`\%`, `\_`, `\\`), as PostgreSQL's LIKE does by
 * default. A trailing lone backslash is a literal backslash.
 *
 * Patterns are normalised to SQL's `LIKE … ESCAPE '\'` form and always bound as parameters.
 *
 * Case: LIKE is case-sensitive and ILIKE is case-insensitive for ASCII letters, identically on
 * both databases (SQLite's LIKE folds ASCII only; PostgreSQL's ILIKE runs under COLLATE "C",
 * which folds ASCII only whatever the cluster's locale). SQLite's LIKE cannot be made
 * case-sensitive per statement (`PRAGMA case_sensitive_like` is connection-wide), so there a
 * case-sensitive LIKE is `x LIKE ? ESCAPE '\' AND entrenar_like(x, ?)`: SQLite's own LIKE
 * narrows the rows cheaply, then `entrenar_like` (a deterministic SQL function registered on the
 * connection by `registerSqliteSearchFunctions`) confirms the match exactly, case included.
 */
export type LikeAtom = { kind: 'char'; char: string } | { kind: 'one' } | { kind: 'many' };

/** Longest LIKE pattern accepted (SQLite's own limit is 50,000 bytes; tag values stop at 8,000). */
export const MAX_LIKE_PATTERN_LENGTH = 8000;

export const SQLITE_LIKE_FUNCTION = 'entrenar_like';

export function parseLikePattern(pattern: string): LikeAtom[] {
  const atoms: LikeAtom[] = [];
  const chars = Array.from(pattern);
  for (let index = 0; index < chars.length; index++) {
    const char = chars[index];
    if (char === '\\' && index + 1 < chars.length) {
      atoms.push({ kind: 'char', char: chars[++index] });
    } else if (char === '%') {
      if (atoms[atoms.length - 1]?.kind !== 'many') {
        atoms.push({ kind: 'many' });
      }
    } else if (char === '_') {
      atoms.push({ kind: 'one' });
    } else {
      atoms.push({ kind: 'char', char });
    }
  }
  return atoms;
}

/** The pattern in canonical `ESCAPE '\'` form: literal `%`, `_` and `\` escaped. */
export function toSqlLikePattern(atoms: readonly LikeAtom[]): string {
  let sql = '';
  for (const atom of atoms) {
    if (atom.kind === 'many') {
      sql += '%';
    } else if (atom.kind === 'one') {
      sql += '_';
    } else {
      sql += atom.char === '%' || atom.char === '_' || atom.char === '\\' ? `\\${atom.char}` : atom.char;
    }
  }
  return sql;
}

/**
 * Whether `value` matches, case-sensitively, character by character (code points). The usual
 * wildcard algorithm: on a mismatch, retry from just after the last `%`, so the cost is at most
 * O(value × pattern) whatever the pattern (no backtracking blow-up as with a regular expression).
 */
export function likeMatches(value: string, atoms: readonly LikeAtom[]): boolean {
  const chars = Array.from(value);
  let v = 0;
  let p = 0;
  let starP = -1;
  let starV = 0;
  while (v < chars.length) {
    const atom = atoms[p] as LikeAtom | undefined;
    if (atom && (atom.kind === 'one' || (atom.kind === 'char' && atom.char === chars[v]))) {
      v++;
      p++;
    } else if (atom?.kind === 'many') {
      starP = p++;
      starV = v;
    } else if (starP >= 0) {
      p = starP + 1;
      v = ++starV;
    } else {
      return false;
    }
  }
  while (atoms[p]?.kind === 'many') {
    p++;
  }
  return p === atoms.length;
}

const parsedPatterns = new Map<string, LikeAtom[]>();
const registered = new WeakSet<BetterSqlite3.Database>();

/** `entrenar_like(value, pattern)`: 1 if `value` matches the canonical `pattern` case-sensitively, else 0 (NULL → 0). */
function sqliteLike(value: unknown, pattern: unknown): number {
  if (typeof value !== 'string' || typeof pattern !== 'string') {
    return 0;
  }
  let atoms = parsedPatterns.get(pattern);
  if (!atoms) {
    atoms = parseLikePattern(pattern);
    if (parsedPatterns.size >= 1000) {
      parsedPatterns.clear();
    }
    parsedPatterns.set(pattern, atoms);
  }
  return likeMatches(value, atoms) ? 1 : 0;
}

/**
 * Adds `entrenar_like` to a SQLite connection, once. It only adds a function of a new name:
 * nothing else on the connection behaves differently.
 */
export function registerSqliteSearchFunctions(db: BetterSqlite3.Database): void {
  if (registered.has(db)) {
    return;
  }
  db.function(SQLITE_LIKE_FUNCTION, { deterministic: true }, sqliteLike);
  registered.add(db);
}
