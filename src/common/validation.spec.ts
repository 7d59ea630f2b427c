import { KEY_SCHEMA_PATTERN, MAX_KEY_LENGTH, keyProblem } from './validation.js';

describe('keyProblem', () => {
  it.each(['loss', 'train/loss', 'eval/top-1 accuracy', 'lr:warmup', 'a.b.c', 'layer_3.weight-norm'])('accepts %j', (key) => {
    expect(keyProblem(key)).toBeUndefined();
  });

  it('accepts letters, digits, spaces and _ - . / :', () => {
    expect(keyProblem('Aa0 _-./:z')).toBeUndefined();
  });

  it('accepts a key of exactly the maximum length and refuses one longer', () => {
    expect(MAX_KEY_LENGTH).toBe(250);
    expect(keyProblem('k'.repeat(250))).toBeUndefined();
    expect(keyProblem('k'.repeat(251))).toBe('must be at most 250 characters');
  });

  it.each([undefined, null, 5, true, {}, ['loss']])('refuses %j, which is not a string', (key) => {
    expect(keyProblem(key)).toBe('must be a string');
  });

  it('refuses the empty string', () => {
    expect(keyProblem('')).toBe('must not be empty');
  });

  it.each(['loss!', 'a\\b', 'a\u0000b', 'tab\there', 'new\nline', 'emoji😀', 'ümlaut', 'semi;colon', 'q?x', 'a*b'])(
    'refuses %j, which has a character outside the allowed set',
    (key) => {
      expect(keyProblem(key)).toBe('may contain only letters, digits, spaces and _ - . / :');
    },
  );

  it.each(['/abs', 'a//b', 'trailing/', '.', '..', 'a/./b', 'a/../b', '../up', 'x/..'])(
    'refuses %j, which is not a clean relative path',
    (key) => {
      expect(keyProblem(key)).toBe('must be a clean relative path (no leading /, no empty, . or .. segment)');
    },
  );

  it('accepts dots inside a segment', () => {
    expect(keyProblem('...a')).toBeUndefined();
    expect(keyProblem('v1..2/x')).toBeUndefined();
  });
});

describe('KEY_SCHEMA_PATTERN (the OpenAPI form of the key rule)', () => {
  const pattern = new RegExp(KEY_SCHEMA_PATTERN);
  const keys = [
    ...['loss', 'train/loss', 'eval/top-1 accuracy', 'lr:warmup', 'a.b.c', 'Aa0 _-./:z', '...a', 'v1..2/x', '.a', 'a.', '...', 'x/.y/..z'],
    ...['', 'loss!', 'a\\b', 'a\u0000b', 'tab\there', 'emoji😀', 'ümlaut', 'q?x', '/abs', 'a//b', 'trailing/', '.', '..'],
    ...['a/./b', 'a/../b', '../up', 'x/..', './x', 'x/.'],
  ];

  it.each(keys)('agrees with keyProblem on %j', (key) => {
    expect(pattern.test(key)).toBe(keyProblem(key) === undefined);
  });
});
