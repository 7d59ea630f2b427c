import { jsonTextProblem, MAX_JSON_DEPTH, requestTargetProblem, textProblem } from './text.js';

function nested(depth: number, leaf: unknown = 1): unknown {
  let value = leaf;
  for (let level = 0; level < depth; level++) {
    value = level % 2 === 0 ? [value] : { a: value };
  }
  return value;
}

describe('textProblem', () => {
  it.each(['', 'plain', 'émoji 🚀 and 中文', 'tab\tand newline\n', '\u{10FFFF}'])('accepts storable text %j', (text) => {
    expect(textProblem(text)).toBeUndefined();
  });

  it.each([
    ['a NUL alone', '\u0000', 'must not contain the NUL character (U+0000)'],
    ['a NUL inside', 'loss\u0000', 'must not contain the NUL character (U+0000)'],
    ['a lone high surrogate', 'x\ud800', 'must not contain a lone UTF-16 surrogate (not valid Unicode)'],
    ['a lone low surrogate', '\udc00x', 'must not contain a lone UTF-16 surrogate (not valid Unicode)'],
    ['two high surrogates', '\ud800\ud800\udc00', 'must not contain a lone UTF-16 surrogate (not valid Unicode)'],
  ])('refuses %s', (_what, text, problem) => {
    expect(textProblem(text)).toBe(problem);
  });
});

describe('jsonTextProblem', () => {
  it('accepts an ordinary document, numbers, booleans and null', () => {
    expect(jsonTextProblem({ metrics: [{ key: 'loss', step: 1, value: 0.5, ok: true, none: null }] })).toBeUndefined();
    expect(jsonTextProblem(3)).toBeUndefined();
    expect(jsonTextProblem(undefined)).toBeUndefined();
  });

  it(`accepts exactly ${MAX_JSON_DEPTH} levels and refuses ${MAX_JSON_DEPTH + 1}, for the whole body`, () => {
    expect(jsonTextProblem(nested(MAX_JSON_DEPTH))).toBeUndefined();
    expect(jsonTextProblem(nested(MAX_JSON_DEPTH + 1))).toEqual({ path: '', problem: `JSON nested deeper than ${MAX_JSON_DEPTH} levels` });
  });

  it('refuses 100,000 levels without overflowing the stack', () => {
    const deep = JSON.parse('['.repeat(100_000) + ']'.repeat(100_000)) as unknown;
    expect(jsonTextProblem(deep)?.problem).toBe(`JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
  });

  it('names where a NUL or a lone surrogate is, in field and index notation', () => {
    expect(jsonTextProblem({ config: { layers: [{ name: 'ok' }, { name: 'bad\u0000' }] } })).toEqual({
      path: 'config.layers[1].name',
      problem: 'must not contain the NUL character (U+0000)',
    });
    expect(jsonTextProblem({ tags: { 'odd key': '\ud83d' } })).toEqual({
      path: 'tags["odd key"]',
      problem: 'must not contain a lone UTF-16 surrogate (not valid Unicode)',
    });
    expect(jsonTextProblem(['\u0000'])).toEqual({ path: '[0]', problem: 'must not contain the NUL character (U+0000)' });
  });

  it('checks only the depth when the JSON text had no \\u escape (no string can then hold NUL or a surrogate)', () => {
    expect(jsonTextProblem(nested(MAX_JSON_DEPTH + 1), MAX_JSON_DEPTH, false)?.problem).toBe(
      `JSON nested deeper than ${MAX_JSON_DEPTH} levels`,
    );
    expect(jsonTextProblem({ metrics: [{ key: 'loss', step: 1 }] }, MAX_JSON_DEPTH, false)).toBeUndefined();
  });

  it('refuses a field name holding a NUL, without echoing the name', () => {
    const found = jsonTextProblem({ params: { 'lr\u0000': 1 } });
    expect(found).toEqual({ path: 'params', problem: 'field names must not contain the NUL character (U+0000)' });
  });
});

describe('requestTargetProblem', () => {
  it.each([
    '/api/v1/runs/run-1/metrics',
    '/api/v1/experiments?name=a%20b&max_results=5',
    '/api/v1/runs/run-1/artifacts/caf%C3%A9/%F0%9F%9A%80.txt',
    '/search?q=50%25',
  ])('accepts %s', (target) => {
    expect(requestTargetProblem(target)).toBeUndefined();
  });

  it.each([
    ['a % without hex digits', '/api/v1/runs/%zz/metrics', /malformed percent-encoding/],
    ['a truncated escape', '/api/v1/experiments?name=%4', /malformed percent-encoding/],
    ['an encoded NUL in the path', '/api/v1/runs/run%00/metrics', /NUL character/],
    ['an encoded NUL in the query', '/api/v1/experiments?name=a%00b', /NUL character/],
    ['bytes that are not UTF-8', '/api/v1/experiments?name=%FF%FE', /UTF-8/],
    ['an encoded lone surrogate (CESU-8)', '/api/v1/experiments?name=%ED%A0%80', /UTF-8/],
    ['a raw byte that is not UTF-8', '/api/v1/experiments?name=\u00ff', /UTF-8/],
  ])('refuses %s', (_what, target, problem) => {
    expect(requestTargetProblem(target)).toMatch(problem);
  });
});
