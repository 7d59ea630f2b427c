import { proxiedLocationPath, queryText } from './mlflow-artifacts.service.js';

describe('proxiedLocationPath', () => {
  it.each([
    ['mlflow-artifacts:/0', '0'],
    ['mlflow-artifacts:/exp-1f2e', 'exp-1f2e'],
    ['mlflow-artifacts:/team/project/', 'team/project'],
    ['mlflow-artifacts://tracking.example:5000/team/x', 'team/x'],
    ['mlflow-artifacts://host', ''],
    ['http://tracking:5000/api/2.0/mlflow-artifacts/artifacts/7', '7'],
    ['https://tracking/api/2.0/mlflow-artifacts/artifacts', ''],
  ])('maps %s to the proxy path %j', (location, expected) => {
    expect(proxiedLocationPath(location)).toBe(expected);
  });

  it.each(['s3://bucket/mlflow/1', 'file:///mnt/artifacts/1', 'gs://b/x', 'https://example.com/some/where', '/local/path'])(
    'does not proxy %s (the client writes there itself)',
    (location) => {
      expect(proxiedLocationPath(location)).toBeUndefined();
    },
  );
});

describe('queryText', () => {
  it('reads a string, the first of repeated keys, and nothing else', () => {
    expect(queryText({ path: 'a/b' }, 'path')).toBe('a/b');
    expect(queryText({ path: ['first', 'second'] }, 'path')).toBe('first');
    expect(queryText({ path: { nested: 'x' } }, 'path')).toBeUndefined();
    expect(queryText({}, 'path')).toBeUndefined();
  });
});
