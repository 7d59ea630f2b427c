import type { IncomingMessage } from 'node:http';
import { markRoutePattern } from '../../common/http/route-pattern.js';
import type { DatabaseLoad, SqlClient } from '../../database/sql-client.js';
import { TelemetryService } from './telemetry.service.js';

/** A database client that only reports its load and holds after-commit callbacks until `commit()`. */
function fakeSql(load: DatabaseLoad) {
  const pending: (() => void)[] = [];
  const sql = {
    dialect: load.dialect,
    load: () => load,
    afterCommit: (callback: () => void) => pending.push(callback),
  };
  return { sql: sql as unknown as SqlClient, commit: () => pending.splice(0).forEach((callback) => callback()), load };
}

const sqliteLoad = (): DatabaseLoad => ({ dialect: 'sqlite', lockWaiting: 0, lockWaitSeconds: 0 });

async function valueOf(service: TelemetryService, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const metric = service.registry.getSingleMetric(name);
  if (!metric) {
    return undefined;
  }
  const { values } = await metric.get();
  const keys = Object.keys(labels);
  return values.find((value) => {
    const actual = value.labels as Record<string, string | number>;
    return Object.keys(actual).length === keys.length && keys.every((key) => String(actual[key]) === labels[key]);
  })?.value;
}

function request(method: string, route?: string): IncomingMessage {
  return { method, headers: {}, ...(route === undefined ? {} : { route: { path: route } }) } as unknown as IncomingMessage;
}

describe('TelemetryService', () => {
  it('counts metric points by API only once the write is committed', async () => {
    const { sql, commit } = fakeSql(sqliteLoad());
    const service = new TelemetryService(sql);
    expect(await valueOf(service, 'entrenar_metric_points_ingested_total', { api: 'v1' })).toBe(0);
    service.countMetricPoints('v1', 3);
    service.countMetricPoints('mlflow', 2);
    expect(await valueOf(service, 'entrenar_metric_points_ingested_total', { api: 'v1' })).toBe(0);
    commit();
    expect(await valueOf(service, 'entrenar_metric_points_ingested_total', { api: 'v1' })).toBe(3);
    expect(await valueOf(service, 'entrenar_metric_points_ingested_total', { api: 'mlflow' })).toBe(2);
  });

  it('counts artifact bytes received once committed, and bytes sent at once', async () => {
    const { sql, commit } = fakeSql(sqliteLoad());
    const service = new TelemetryService(sql);
    service.countArtifactBytesReceived(1000);
    service.countArtifactBytesSent(250);
    expect(await valueOf(service, 'entrenar_artifact_received_bytes_total')).toBe(0);
    expect(await valueOf(service, 'entrenar_artifact_sent_bytes_total')).toBe(250);
    commit();
    expect(await valueOf(service, 'entrenar_artifact_received_bytes_total')).toBe(1000);
  });

  it("labels requests with Express' route pattern, the pattern the hot lane marked, or unmatched", async () => {
    const service = new TelemetryService(fakeSql(sqliteLoad()).sql);
    const viaExpress = request('GET', '/api/v1/runs/:runId');
    service.observeRequest(viaExpress, 200, 0.002);
    service.observeRequest(viaExpress, 200, 0.004);
    const viaLane = request('POST');
    markRoutePattern(viaLane, '/api/v1/runs/:runId/metrics/batch');
    service.observeRequest(viaLane, 201, 0.0004);
    service.observeRequest(request('GET'), 404, 0.001);

    const count = (labels: Record<string, string>) => valueOf(service, 'entrenar_http_requests_total', labels);
    expect(await count({ method: 'GET', route: '/api/v1/runs/:runId', status: '200' })).toBe(2);
    expect(await count({ method: 'POST', route: '/api/v1/runs/:runId/metrics/batch', status: '201' })).toBe(1);
    expect(await count({ method: 'GET', route: 'unmatched', status: '404' })).toBe(1);

    const durations = service.registry.getSingleMetric('entrenar_http_request_duration_seconds');
    // A histogram's values carry the name of their series (_bucket, _sum, _count).
    const values = ((await durations?.get())?.values ?? []) as { value: number; labels: Record<string, unknown>; metricName?: string }[];
    const ofGet = values.filter((value) => value.labels.route === '/api/v1/runs/:runId');
    expect(ofGet.find((value) => value.metricName?.endsWith('_count'))?.value).toBe(2);
    expect(ofGet.find((value) => value.metricName?.endsWith('_sum'))?.value).toBeCloseTo(0.006, 9);
    // 2 ms and 4 ms: neither is within 1 ms, both within 5 ms.
    expect(ofGet.find((value) => value.labels.le === 0.001)?.value).toBe(0);
    expect(ofGet.find((value) => value.labels.le === 0.005)?.value).toBe(2);
  });

  it('reads the PostgreSQL pool when scraped', async () => {
    const load: DatabaseLoad = { dialect: 'postgres', connections: 4, idleConnections: 1, waitingRequests: 7, maxConnections: 10 };
    const { sql } = fakeSql(load);
    const service = new TelemetryService(sql);
    expect(await valueOf(service, 'entrenar_pg_pool_connections')).toBe(4);
    expect(await valueOf(service, 'entrenar_pg_pool_idle_connections')).toBe(1);
    expect(await valueOf(service, 'entrenar_pg_pool_waiting_requests')).toBe(7);
    expect(await valueOf(service, 'entrenar_pg_pool_max_connections')).toBe(10);
    load.waitingRequests = 0;
    expect(await valueOf(service, 'entrenar_pg_pool_waiting_requests')).toBe(0);
    expect(service.registry.getSingleMetric('entrenar_sqlite_lock_waiting')).toBeUndefined();
  });

  it("reads SQLite's lock queue when scraped, the wait as a counter of seconds", async () => {
    const load = { dialect: 'sqlite' as const, lockWaiting: 3, lockWaitSeconds: 0.25 };
    const service = new TelemetryService(fakeSql(load).sql);
    expect(await valueOf(service, 'entrenar_sqlite_lock_waiting')).toBe(3);
    expect(await valueOf(service, 'entrenar_sqlite_lock_wait_seconds_total')).toBe(0.25);
    load.lockWaitSeconds = 0.5;
    expect(await valueOf(service, 'entrenar_sqlite_lock_wait_seconds_total')).toBe(0.5);
    expect(service.registry.getSingleMetric('entrenar_pg_pool_connections')).toBeUndefined();
  });

  it("keeps each app's counts apart, while both show the process's metrics", async () => {
    const first = new TelemetryService(fakeSql(sqliteLoad()).sql);
    const second = new TelemetryService(fakeSql(sqliteLoad()).sql);
    first.countArtifactBytesSent(10);
    expect(await valueOf(first, 'entrenar_artifact_sent_bytes_total')).toBe(10);
    expect(await valueOf(second, 'entrenar_artifact_sent_bytes_total')).toBe(0);
    expect(first.registry.getSingleMetric('nodejs_eventloop_lag_seconds')).toBeDefined();
    expect(second.registry.getSingleMetric('nodejs_eventloop_lag_seconds')).toBe(
      first.registry.getSingleMetric('nodejs_eventloop_lag_seconds'),
    );
    expect(first.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
  });
});
