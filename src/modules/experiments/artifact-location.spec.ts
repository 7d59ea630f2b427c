import { resolveArtifactLocation } from './artifact-location.js';

describe('resolveArtifactLocation', () => {
  // Each pair as `mlflow server` 3.17.2, started in /srv/mlflow, stored it.
  it.each([
    ['rel/dir', '/srv/mlflow/rel/dir'],
    ['./rel', '/srv/mlflow/rel'],
    ['../up/x', '/srv/mlflow/../up/x'],
    ['~/home', '/srv/mlflow/~/home'],
    ['a//b/', '/srv/mlflow/a/b'],
    ['file:rel', 'file:///srv/mlflow/rel'],
    ['file:rel?x=1', 'file:///srv/mlflow/rel?x=1'],
  ])('resolves the relative local location %j against the working directory: %j', (given, stored) => {
    expect(resolveArtifactLocation(given, '/srv/mlflow')).toBe(stored);
  });

  it.each(['/abs/path', 'file:///abs/x', 'file:/abs/y', 's3://bucket/prefix', 'mlflow-artifacts:/7', 'gs://b/k', 'C:foo', 'http://host/a'])(
    'keeps %j as given',
    (given) => {
      expect(resolveArtifactLocation(given, '/srv/mlflow')).toBe(given);
    },
  );

  it('resolves against the root directory without doubling the slash', () => {
    expect(resolveArtifactLocation('x', '/')).toBe('/x');
  });
});
