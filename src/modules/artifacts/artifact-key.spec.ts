import { MAX_ARTIFACT_KEY_LENGTH, artifactKeyProblem } from './artifact-key.js';

describe('artifactKeyProblem', () => {
  it.each([
    'model.pt',
    'checkpoints/epoch-3/model.pt',
    'plots/loss curve.png',
    'résumé.txt',
    '.hidden',
    'a..b',
    'x/.config',
    'v1.0/weights.bin',
  ])('accepts the relative key %j', (key) => {
    expect(artifactKeyProblem(key)).toBeUndefined();
  });

  it('refuses the empty key', () => {
    expect(artifactKeyProblem('')).toBe('must not be empty');
  });

  it('accepts a key of exactly the maximum length and refuses one longer', () => {
    expect(MAX_ARTIFACT_KEY_LENGTH).toBe(1024);
    expect(artifactKeyProblem('a'.repeat(1024))).toBeUndefined();
    expect(artifactKeyProblem('a'.repeat(1025))).toBe('must be at most 1024 characters');
  });

  it.each(['..', '../secret', 'a/../../etc/passwd', 'a/..', 'a/./b', '.', './a'])('refuses the traversal %j', (key) => {
    expect(artifactKeyProblem(key)).toBe('must not contain empty, "." or ".." segments');
  });

  it.each(['a//b', 'dir/', 'a///'])('refuses the empty segment in %j', (key) => {
    expect(artifactKeyProblem(key)).toBe('must not contain empty, "." or ".." segments');
  });

  it.each(['/etc/passwd', '/', '//server/share', 'C:/Windows/win.ini', 'c:relative', 'Z:'])('refuses the absolute path %j', (key) => {
    expect(artifactKeyProblem(key)).toBe('must be a relative path');
  });

  it.each(['a\\b', '..\\..\\secret', '\\\\server\\share', 'C:\\Windows'])('refuses the backslash in %j', (key) => {
    expect(artifactKeyProblem(key)).toBe('must not contain backslashes; use / between folders');
  });

  it.each([
    ['NUL', 'model.pt\u0000.txt'],
    ['a NUL before a traversal', '\u0000../x'],
    ['a newline', 'a\nb'],
    ['a carriage return', 'a\rb'],
    ['a tab', 'a\tb'],
    ['an escape', 'a\u001bb'],
    ['unit separator', 'a\u001fb'],
    ['DEL', 'a\u007fb'],
  ])('refuses %s', (_what, key) => {
    expect(artifactKeyProblem(key)).toBe('must not contain NUL or control characters');
  });

  it('allows a space (the first printable character)', () => {
    expect(artifactKeyProblem('a b')).toBeUndefined();
  });
});
