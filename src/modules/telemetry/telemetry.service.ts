import { Injectable } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { routePatternOf } from '../../common/http/route-pattern.js';
import { DatabaseLoad, SqlClient } from '../../database/sql-client.js';
import { processMetrics } from './process-metrics.js';

/** Which API a write came through. */
export type IngestApi = 'v1' | 'mlflow';

type RequestLabel = 'method' | 'route' | 'status';
type PostgresLoad = Extract<DatabaseLoad, { dialect: 'postgres' }>;

/**
 * Seconds. Most requests here are small writes answered in well under a millisecond, so the
 * buckets start low; uploads and long histories reach the top ones.
 */
const REQUEST_DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** The two series of one (method, route, status), kept so a request does not look them up by label each time. */
interface RequestSeries {
  count: Counter.Internal;
  duration: Histogram.Internal<RequestLabel>;
}

/**
 * The server's Prometheus metrics, in a registry of this app's own (tests run several apps in
 * one process): HTTP requests by route pattern and status, metric points and artifact bytes as
 * the services report them, and the database's load, read when scraped. The process's own
 * metrics (CPU, memory, event-loop lag) are shared by every app of the process.
 */
@Injectable()
export class TelemetryService {
  /** This app's metrics and the process's. */
  readonly registry: Registry;
  private readonly requests: Counter<RequestLabel>;
  private readonly requestDurations: Histogram<RequestLabel>;
  private readonly requestSeries = new Map<string, RequestSeries>();
  private readonly pointsByApi: Record<IngestApi, Counter.Internal>;
  private readonly artifactBytesReceived: Counter;
  private readonly artifactBytesSent: Counter;
  private readonly hotLaneRequests: Counter<'route'>;
  /** The lane's counter for each route pattern, looked up once (as `requestSeries` for requests). */
  private readonly hotLaneSeries = new Map<string, Counter.Internal>();

  constructor(private readonly sql: SqlClient) {
    const own = new Registry();
    const registers = [own];
    this.requests = new Counter({
      name: 'entrenar_http_requests_total',
      help: 'HTTP requests answered, by method, route pattern ("unmatched": answered without a route, e.g. unknown paths) and status (499: the client went away first).',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.requestDurations = new Histogram({
      name: 'entrenar_http_request_duration_seconds',
      help: 'Time from receiving an HTTP request to finishing its answer, by method, route pattern and status.',
      labelNames: ['method', 'route', 'status'],
      buckets: REQUEST_DURATION_BUCKETS,
      registers,
    });
    const points = new Counter({
      name: 'entrenar_metric_points_ingested_total',
      help: 'Metric points accepted by committed writes, by API (v1: /api/v1, mlflow: the MLflow REST API).',
      labelNames: ['api'],
      registers,
    });
    this.pointsByApi = { v1: points.labels('v1'), mlflow: points.labels('mlflow') };
    // Present from the start at 0, so a rate over the first writes is not lost.
    this.pointsByApi.v1.inc(0);
    this.pointsByApi.mlflow.inc(0);
    this.artifactBytesReceived = new Counter({
      name: 'entrenar_artifact_received_bytes_total',
      help: 'Bytes of artifact uploads stored (both APIs), counted once the artifact is recorded.',
      registers,
    });
    this.artifactBytesSent = new Counter({
      name: 'entrenar_artifact_sent_bytes_total',
      help: 'Bytes of artifact content sent in downloads (both APIs, ranges included).',
      registers,
    });
    this.hotLaneRequests = new Counter({
      name: 'entrenar_hot_write_lane_requests_total',
      help: 'Requests the hot write lane handed straight to their route, past the scan of the route table, by route pattern (the rest of the answer is the normal path).',
      labelNames: ['route'],
      registers,
    });
    this.registerDatabaseLoad(registers);
    this.registry = Registry.merge([processMetrics(), own]);
  }

  /** The content type of `metrics()`: Prometheus' text exposition format. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** Everything, in Prometheus' text exposition format. */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  /**
   * Counts one finished HTTP request (the request logger calls this for both the normal path
   * and the hot write lane). Keeps to a map lookup and two increments: it runs for every request.
   */
  readonly observeRequest = (request: IncomingMessage, status: number, seconds: number): void => {
    const method = request.method ?? '';
    const route = routePatternOf(request);
    const key = `${method} ${status} ${route}`;
    let series = this.requestSeries.get(key);
    if (!series) {
      const labels = { method, route, status: String(status) };
      series = { count: this.requests.labels(labels), duration: this.requestDurations.labels(labels) };
      this.requestSeries.set(key, series);
    }
    series.count.inc();
    series.duration.observe(seconds);
  };

  /** The hot write lane took a request for the route with this pattern. */
  countHotLaneRequest(route: string): void {
    let series = this.hotLaneSeries.get(route);
    if (!series) {
      series = this.hotLaneRequests.labels(route);
      this.hotLaneSeries.set(route, series);
    }
    series.inc();
  }

  /** `count` metric points were written; counted once the write is committed (never, if it rolls back). */
  countMetricPoints(api: IngestApi, count: number): void {
    const counter = this.pointsByApi[api];
    this.sql.afterCommit(() => counter.inc(count));
  }

  /** An upload of `bytes` was recorded as an artifact; counted once committed. */
  countArtifactBytesReceived(bytes: number): void {
    this.sql.afterCommit(() => this.artifactBytesReceived.inc(bytes));
  }

  /** `bytes` of artifact content went out in a download. */
  countArtifactBytesSent(bytes: number): void {
    this.artifactBytesSent.inc(bytes);
  }

  /** Gauges read from the database client when scraped: PostgreSQL's pool, or the queue for SQLite's one connection. */
  private registerDatabaseLoad(registers: Registry[]): void {
    const sql = this.sql;
    if (sql.dialect === 'postgres') {
      const pool = (name: string, help: string, read: (load: PostgresLoad) => number) =>
        new Gauge({
          name,
          help,
          registers,
          collect() {
            const load = sql.load();
            if (load.dialect === 'postgres') {
              this.set(read(load));
            }
          },
        });
      pool('entrenar_pg_pool_connections', 'Connections the PostgreSQL pool has open, idle or in use.', (load) => load.connections);
      pool('entrenar_pg_pool_idle_connections', 'Open PostgreSQL connections not in use.', (load) => load.idleConnections);
      pool(
        'entrenar_pg_pool_waiting_requests',
        'Queries and transactions waiting for a PostgreSQL connection because all are in use.',
        (load) => load.waitingRequests,
      );
      pool('entrenar_pg_pool_max_connections', 'The most connections the PostgreSQL pool opens.', (load) => load.maxConnections);
      return;
    }
    new Gauge({
      name: 'entrenar_sqlite_lock_waiting',
      help: "Transactions and statements queued now for SQLite's single connection, behind a transaction that holds it.",
      registers,
      collect() {
        const load = sql.load();
        if (load.dialect === 'sqlite') {
          this.set(load.lockWaiting);
        }
      },
    });
    new Counter({
      name: 'entrenar_sqlite_lock_wait_seconds_total',
      help: "Total time transactions and statements spent queued for SQLite's single connection.",
      registers,
      collect() {
        const load = sql.load();
        if (load.dialect === 'sqlite') {
          this.reset();
          this.inc(load.lockWaitSeconds);
        }
      },
    });
  }
}
