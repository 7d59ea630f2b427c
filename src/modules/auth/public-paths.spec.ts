import { isPublicPath } from './public-paths.js';

describe('isPublicPath', () => {
  const open = { metricsPublic: true };
  const closed = { metricsPublic: false };

  it('opens /metrics only with metricsPublic', () => {
    expect(isPublicPath('/metrics', open)).toBe(true);
    expect(isPublicPath('/metrics', closed)).toBe(false);
  });

  it('ignores a query string', () => {
    expect(isPublicPath('/metrics?name[]=up', open)).toBe(true);
    expect(isPublicPath('/metrics?', open)).toBe(true);
  });

  it.each([
    ['another route', '/api/v1/experiments'],
    ['a path under /metrics', '/metrics/extra'],
    ['a path that starts like it', '/metricsx'],
    ['a run metrics route', '/api/v1/runs/run-1/metrics'],
    ['a path with /metrics in its query', '/api/v1/experiments?next=/metrics'],
    ['another spelling the router might also accept', '/METRICS'],
    ['a trailing slash', '/metrics/'],
    ['the empty path', ''],
  ])('keeps %s closed even with metricsPublic', (_what, path) => {
    expect(isPublicPath(path, open)).toBe(false);
  });
});
