import { isPublicRequest } from './public-paths.js';

describe('isPublicRequest', () => {
  const open = { metricsPublic: true };
  const closed = { metricsPublic: false };

  it.each(['/health', '/health/', '/health/live', '/health/ready', '/docs', '/docs/', '/docs/swagger-ui.css', '/docs-json', '/docs-yaml'])(
    'opens GET and HEAD %s',
    (path) => {
      expect(isPublicRequest('GET', path, closed)).toBe(true);
      expect(isPublicRequest('HEAD', path, closed)).toBe(true);
    },
  );

  it.each(['/', '/index.html', '/favicon.svg', '/assets/index-D873nQ4w.js', '/assets/index-D873nQ4w.css.br'])(
    'opens GET and HEAD of the dashboard file %s (the page asks for the key itself)',
    (path) => {
      expect(isPublicRequest('GET', path, closed)).toBe(true);
      expect(isPublicRequest('HEAD', path, closed)).toBe(true);
      expect(isPublicRequest('POST', path, closed)).toBe(false);
    },
  );

  it.each(['/assets/', '/assets/../api/v1/experiments', '/assets/a/b.js', '/assets/..', '/index.htm', '/assets%2Fx.js'])(
    'keeps %s closed: only single bundle file names under /assets/ are the dashboard',
    (path) => {
      expect(isPublicRequest('GET', path, closed)).toBe(false);
    },
  );

  it('keeps writes to the public paths closed', () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      expect(isPublicRequest(method, '/health', closed)).toBe(false);
      expect(isPublicRequest(method, '/docs', closed)).toBe(false);
      expect(isPublicRequest(method, '/metrics', open)).toBe(false);
    }
  });

  it('opens /metrics only with metricsPublic, ignoring a query string', () => {
    expect(isPublicRequest('GET', '/metrics', open)).toBe(true);
    expect(isPublicRequest('GET', '/metrics', closed)).toBe(false);
    expect(isPublicRequest('GET', '/metrics?name[]=up', open)).toBe(true);
    expect(isPublicRequest('GET', '/metrics?', open)).toBe(true);
  });

  it.each([
    ['another route', '/api/v1/experiments'],
    ['a path under /metrics', '/metrics/extra'],
    ['a path that starts like it', '/metricsx'],
    ['a run metrics route', '/api/v1/runs/run-1/metrics'],
    ['a path with /metrics in its query', '/api/v1/experiments?next=/metrics'],
    ['another spelling the router might also accept', '/METRICS'],
    ['a trailing slash', '/metrics/'],
    ['a path that starts like /health', '/healthz'],
    ['a path under /health/live', '/health/live/x'],
    ['a path that starts like /docs', '/docsx'],
    ['the empty path', ''],
  ])('keeps %s closed even with metricsPublic', (_what, path) => {
    expect(isPublicRequest('GET', path, open)).toBe(false);
  });

  it('opens only a PUT of a multipart-upload part (its signature admits it), nothing else under mpu/', () => {
    expect(isPublicRequest('PUT', '/api/2.0/mlflow-artifacts/mpu/parts/upload-1/3', closed)).toBe(true);
    expect(isPublicRequest('GET', '/api/2.0/mlflow-artifacts/mpu/parts/upload-1/3', closed)).toBe(false);
    expect(isPublicRequest('POST', '/api/2.0/mlflow-artifacts/mpu/create/a/b', closed)).toBe(false);
    expect(isPublicRequest('PUT', '/api/2.0/mlflow-artifacts/mpu/parts/upload-1/3/extra', closed)).toBe(false);
    expect(isPublicRequest('PUT', '/api/2.0/mlflow-artifacts/artifacts/0/run/artifacts/x', closed)).toBe(false);
  });
});
