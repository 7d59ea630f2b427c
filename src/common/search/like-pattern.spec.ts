import BetterSqlite3 from 'better-sqlite3';
import { likeMatches, parseLikePattern, registerSqliteSearchFunctions, toSqlLikePattern } from './like-pattern.js';

const matches = (value: string, pattern: string) => likeMatches(value, parseLikePattern(pattern));

describe('LIKE patterns', () => {
  it.each([
    ['bert-base', 'bert%', true],
    ['Bert-base', 'bert%', false],
    ['bert-base', '%base', true],
    ['bert-base', '%-%', true],
    ['bert', 'b_rt', true],
    ['brt', 'b_rt', false],
    ['', '%', true],
    ['', '', true],
    ['x', '', false],
    ['abc', 'abc', true],
    ['abcd', 'abc', false],
    ['aXbXc', 'a%b%c', true],
    ['aXbXd', 'a%b%c', false],
    ['mississippi', '%iss%ppi', true],
    ['mississippi', 'm%iss%iss%', true],
    ['ünïcödé', '_n_c_d_', true],
    ['日本語', '__語', true],
    ['😀x', '_x', true],
  ])('%j LIKE %j is %s', (value, pattern, expected) => {
    expect(matches(value, pattern)).toBe(expected);
  });

  it('escapes wildcards with a backslash', () => {
    expect(matches('100%', '100\\%')).toBe(true);
    expect(matches('1000', '100\\%')).toBe(false);
    expect(matches('a_b', 'a\\_b')).toBe(true);
    expect(matches('axb', 'a\\_b')).toBe(false);
    expect(matches('a\\b', 'a\\\\b')).toBe(true);
    expect(matches('a\\', 'a\\')).toBe(true);
  });

  it('normalises patterns to the ESCAPE form both databases read the same way', () => {
    expect(toSqlLikePattern(parseLikePattern('50\\% of a_b%'))).toBe('50\\% of a_b%');
    expect(toSqlLikePattern(parseLikePattern('%%x'))).toBe('%x');
    expect(toSqlLikePattern(parseLikePattern('trailing\\'))).toBe('trailing\\\\');
  });

  it('stays fast on patterns that make backtracking matchers explode', () => {
    const value = 'a'.repeat(5000);
    const started = performance.now();
    expect(matches(value, `${'%a'.repeat(30)}%b`)).toBe(false);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  describe('entrenar_like on SQLite', () => {
    const db = new BetterSqlite3(':memory:');
    registerSqliteSearchFunctions(db);
    registerSqliteSearchFunctions(db);
    afterAll(() => db.close());

    it('is case-sensitive where SQLite LIKE is not, and leaves LIKE itself alone', () => {
      const row = db
        .prepare(
          "SELECT entrenar_like('Bert', 'bert') AS cs, entrenar_like('bert', 'b%') AS hit, 'Bert' LIKE 'bert' AS plain, entrenar_like(NULL, 'x') AS nul",
        )
        .get() as Record<string, number>;
      expect(row).toEqual({ cs: 0, hit: 1, plain: 1, nul: 0 });
    });
  });
});
