// `npm run bench`: ingestion and history-read speed of a real `entrenar server` process on
// SQLite, against the ceiling of the same inserts straight into SQLite with better-sqlite3.
// Everything is measured in one run on this machine; compare the ratios, not the absolutes.
import 'reflect-metadata';
import os from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../src/database/data-source.js';
import { fmt, percentile, postJson, startEntrenar } from './support.js';

const BATCH_POINTS = 1000;
const BATCH_CLIENTS = 4;
const SINGLE_CLIENTS = 32;
const DURATION_MS = Number(process.env.BENCH_SECONDS ?? 8) * 1000;
const HISTORY_POINTS = 10_000;
const HISTORY_READS = 200;
const KEYS = ['loss', 'accuracy', 'lr', 'grad_norm', 'val_loss', 'val_accuracy', 'tokens_per_s', 'gpu_mem', 'epoch', 'throughput'];

interface Point {
  key: string;
  step: number;
  value: number;
  timestamp: number;
}

/** One batch: 100 steps × 10 keys, continuing from `firstStep`. */
function batchPoints(firstStep: number): Point[] {
  const points: Point[] = [];
  const now = Date.now();
  for (let offset = 0; points.length < BATCH_POINTS; offset++) {
    for (const key of KEYS) {
      points.push({ key, step: firstStep + offset, value: Math.random(), timestamp: now });
    }
  }
  return points;
}

const KEY_PREFIXES = KEYS.map((key) => `{"key":${JSON.stringify(key)},"step":`);

/**
 * The same batch as JSON text, written directly: the load generator shares this 2-core machine
 * with the server, so building 1,000 objects and stringifying them per request would make the
 * client, not the server, the bottleneck.
 */
function batchBody(firstStep: number): string {
  const now = Date.now();
  const parts: string[] = [];
  for (let offset = 0; parts.length < BATCH_POINTS; offset++) {
    for (const prefix of KEY_PREFIXES) {
      parts.push(`${prefix}${firstStep + offset},"value":${Math.random()},"timestamp":${now}}`);
    }
  }
  return `{"metrics":[${parts.join(',')}]}`;
}

async function postText(url: string, body: string): Promise<void> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const text = await response.text();
  if (!response.ok) {
    throw new Error(`POST ${url} → ${response.status}: ${text.slice(0, 300)}`);
  }
}

async function newRun(url: string, experimentId: string): Promise<string> {
  const run = (await postJson(`${url}/api/v1/runs`, { experiment_id: experimentId })) as { id: string };
  await postJson(`${url}/api/v1/runs/${run.id}/start`, {});
  return run.id;
}

async function measureBatchIngestion(url: string, experimentId: string): Promise<{ pointsPerSec: number; requests: number }> {
  const runs = await Promise.all(Array.from({ length: BATCH_CLIENTS }, () => newRun(url, experimentId)));
  // Warm-up: the JIT and SQLite's page cache.
  await Promise.all(
    runs.map((run, index) => postJson(`${url}/api/v1/runs/${run}/metrics/batch`, { metrics: batchPoints(index * 1_000_000) })),
  );
  let points = 0;
  let requests = 0;
  const started = performance.now();
  const deadline = started + DURATION_MS;
  await Promise.all(
    runs.map(async (run, client) => {
      let step = 1000;
      while (performance.now() < deadline) {
        const body = batchBody(step);
        step += BATCH_POINTS / KEYS.length;
        await postText(`${url}/api/v1/runs/${run}/metrics/batch`, body);
        points += BATCH_POINTS;
        requests += 1;
      }
      return client;
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { pointsPerSec: points / seconds, requests };
}

async function measureSingleMetric(url: string, experimentId: string): Promise<{ requestsPerSec: number; p50: number; p99: number }> {
  const run = await newRun(url, experimentId);
  const latencies: number[] = [];
  const started = performance.now();
  const deadline = started + DURATION_MS;
  let warm = false;
  await Promise.all([
    ...Array.from({ length: SINGLE_CLIENTS }, async (_, client) => {
      let step = 0;
      while (performance.now() < deadline) {
        const sent = performance.now();
        await postJson(`${url}/api/v1/runs/${run}/metrics`, { key: `client_${client}`, step: step++, value: Math.random() });
        if (warm) {
          latencies.push(performance.now() - sent);
        }
      }
    }),
    // The first second is warm-up and is not counted.
    new Promise<void>((resolve) => setTimeout(() => ((warm = true), resolve()), 1000)),
  ]);
  const seconds = (performance.now() - started - 1000) / 1000;
  latencies.sort((a, b) => a - b);
  return { requestsPerSec: latencies.length / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

async function measureHistoryRead(url: string, experimentId: string): Promise<{ p50: number; p95: number }> {
  const run = await newRun(url, experimentId);
  for (let step = 0; step < HISTORY_POINTS; step += 1000) {
    const metrics = Array.from({ length: 1000 }, (_, index) => ({ key: 'loss', step: step + index, value: Math.random() }));
    await postJson(`${url}/api/v1/runs/${run}/metrics/batch`, { metrics });
  }
  const timings: number[] = [];
  for (let read = 0; read < HISTORY_READS + 20; read++) {
    const sent = performance.now();
    const response = await fetch(`${url}/api/v1/runs/${run}/metrics?key=loss&max_results=${HISTORY_POINTS}`);
    // Timed to the last byte received; parsing is the client's own cost and is checked after.
    const text = await response.text();
    if (read >= 20) {
      timings.push(performance.now() - sent);
    }
    const body = JSON.parse(text) as { metrics: unknown[] };
    if (response.status !== 200 || body.metrics.length !== HISTORY_POINTS) {
      throw new Error(`history read returned ${response.status} with ${body.metrics?.length} points`);
    }
  }
  timings.sort((a, b) => a - b);
  return { p50: percentile(timings, 50), p95: percentile(timings, 95) };
}

/**
 * The ceiling: the same rows (series, step, timestamp, value) into the same schema, created by
 * our migrations, with the same pragmas, one prepared statement and one transaction per
 * 1,000 rows, straight through better-sqlite3 with no HTTP, JSON or validation.
 */
async function measureRawSqlite(): Promise<number> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'entrenar-ceiling-'));
  const dataSource = await new DataSource(dataSourceOptions({ kind: 'sqlite', path: path.join(dir, 'ceiling.db') })).initialize();
  await dataSource.runMigrations();
  const db = (dataSource.driver as unknown as { databaseConnection: import('better-sqlite3').Database }).databaseConnection;
  db.prepare('INSERT INTO runs (public_id, experiment_id, name, status, created_at, updated_at) VALUES (?, 1, ?, ?, ?, ?)').run(
    'run-ceiling',
    'c',
    'running',
    0,
    0,
  );
  const seriesIds = KEYS.map((key) =>
    Number(db.prepare('INSERT INTO metric_series (run_id, key) VALUES (1, ?) RETURNING id').pluck().get(key)),
  );
  const insert = db.prepare('INSERT OR IGNORE INTO metric_points (series_id, step, timestamp, value, is_nan) VALUES (?, ?, ?, ?, ?)');
  const writeBatch = db.transaction((points: Point[]) => {
    for (const point of points) {
      insert.run(seriesIds[KEYS.indexOf(point.key)], point.step, point.timestamp, point.value, 0);
    }
  });
  writeBatch.immediate(batchPoints(0));
  let rows = 0;
  let step = 1000;
  const started = performance.now();
  const deadline = started + DURATION_MS;
  while (performance.now() < deadline) {
    const points = batchPoints(step);
    step += BATCH_POINTS / KEYS.length;
    writeBatch.immediate(points);
    rows += points.length;
  }
  const perSec = rows / ((performance.now() - started) / 1000);
  await dataSource.destroy();
  rmSync(dir, { recursive: true, force: true });
  return perSec;
}

async function main(): Promise<void> {
  const ceiling = await measureRawSqlite();
  const server = await startEntrenar();
  try {
    const experiment = (await postJson(`${server.url}/api/v1/experiments`, { name: `bench-${Date.now()}` })) as { id: string };
    const batch = await measureBatchIngestion(server.url, experiment.id);
    const single = await measureSingleMetric(server.url, experiment.id);
    const history = await measureHistoryRead(server.url, experiment.id);
    const rows: [string, string, string][] = [
      ['raw better-sqlite3 inserts (ceiling)', `${fmt(ceiling)} rows/s`, '100%'],
      [
        `batch ingestion (${BATCH_POINTS}-point batches, ${BATCH_CLIENTS} clients)`,
        `${fmt(batch.pointsPerSec)} points/s`,
        `${fmt((100 * batch.pointsPerSec) / ceiling, 1)}%`,
      ],
      [
        `single-metric requests (${SINGLE_CLIENTS} clients)`,
        `${fmt(single.requestsPerSec)} req/s (p50 ${fmt(single.p50, 2)} ms, p99 ${fmt(single.p99, 2)} ms)`,
        `${fmt((100 * single.requestsPerSec) / ceiling, 2)}%`,
      ],
      [`history read, ${fmt(HISTORY_POINTS)} points`, `p50 ${fmt(history.p50, 2)} ms, p95 ${fmt(history.p95, 2)} ms`, ''],
      ['server peak RSS', `${fmt(server.peakRssBytes() / 1024 / 1024, 1)} MiB`, ''],
    ];
    const width = Math.max(...rows.map((row) => row[0].length));
    console.log(
      `\nentrenar-tracking ingestion benchmark — ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, node ${process.version}, SQLite, ${DURATION_MS / 1000}s per workload`,
    );
    console.log(`${'workload'.padEnd(width)}  ${'result'.padEnd(52)}  of ceiling`);
    for (const [name, result, ratio] of rows) {
      console.log(`${name.padEnd(width)}  ${result.padEnd(52)}  ${ratio}`);
    }
  } finally {
    await server.stop();
  }
}

await main();
