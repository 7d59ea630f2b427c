import { MAX_ARTIFACT_KEY_LENGTH, artifactKeyProblem, mlflowArtifactKey, namesFolder } from './artifact-key.js';

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

describe('mlflowArtifactKey', () => {
  it.each([
    ['.', ''],
    ['./', ''],
    ['', ''],
    ['./a', 'a'],
    ['a/./b.txt', 'a/b.txt'],
    ['a//b.txt', 'a/b.txt'],
    ['a/', 'a'],
    ['a/.', 'a'],
    ['1/run-1/artifacts/.', '1/run-1/artifacts'],
    ['plots/loss #3.png', 'plots/loss #3.png'],
    ['p%2e%2e', 'p%2e%2e'],
    ['a/C:b', 'a/C:b'],
  ])('accepts %j as the key %j, as MLflow joins it onto a folder', (path, key) => {
    expect(mlflowArtifactKey(path)).toBe(key);
  });

  it.each([
    ['a parent segment', '..'],
    ['a parent segment after a dot', './../x'],
    ['a parent segment that stays inside', 'a/../b'],
    ['an absolute path', '/etc/passwd'],
    ['a drive prefix', 'C:/Windows'],
    ['a drive prefix after a dot', './C:x'],
    ['a backslash', 'a\\..\\b'],
    ['NUL', 'a\u0000b'],
    ['a control character', 'a\u0001b'],
    ['a key over the length limit', `./${'a'.repeat(MAX_ARTIFACT_KEY_LENGTH + 1)}`],
  ])('refuses %s (%j)', (_what, path) => {
    expect(mlflowArtifactKey(path)).toBeUndefined();
  });
});

describe('namesFolder', () => {
  it.each([
    ['', true],
    ['.', true],
    ['a/', true],
    ['a/.', true],
    ['a', false],
    ['a/b.txt', false],
    ['./b.txt', false],
  ])('%j: %j', (path, folder) => {
    expect(namesFolder(path)).toBe(folder);
  });
});
