// The ceilings measured in the same run: the same metric rows straight into SQLite, and a bare
// Node `http` server answering the same requests.
import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Database } from 'better-sqlite3';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source.js';
import { HttpClient } from './http-client.js';
import { ScratchDatabase, startBareServer } from './servers.js';
import { BATCH_METRICS, chatty, ingestion, MlflowApi, Settings, Throughput } from './workloads.js';

const KEYS = 10;

/**
 * Rows of the ingestion workload (10 series, 100 steps per 1,000-row batch) into entrenar's
 * schema, created by its migrations, with its pragmas: one prepared single-row INSERT, one
 * transaction per 1,000 rows, no HTTP, JSON or validation (the idea of bench/ingest.ts).
 */
export async function rawSqliteRowsPerSecond(settings: Settings): Promise<number> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-peers-ceiling-'));
  const dataSource = await new DataSource(dataSourceOptions({ kind: 'sqlite', path: path.join(dir, 'ceiling.db') })).initialize();
  try {
    await dataSource.runMigrations();
    const db = (dataSource.driver as unknown as { databaseConnection: Database }).databaseConnection;
    db.prepare('INSERT INTO runs (public_id, experiment_id, name, status, created_at, updated_at) VALUES (?, 1, ?, ?, ?, ?)').run(
      'run-ceiling',
      'ceiling',
      'running',
      0,
      0,
    );
    const seriesIds = Array.from({ length: KEYS }, (_, key) =>
      Number(db.prepare('INSERT INTO metric_series (run_id, key) VALUES (1, ?) RETURNING id').pluck().get(`key_${key}`)),
    );
    const insert = db.prepare('INSERT OR IGNORE INTO metric_points (series_id, step, timestamp, value, is_nan) VALUES (?, ?, ?, ?, ?)');
    const writeBatch = db.transaction((firstStep: number) => {
      const now = Date.now();
      for (let offset = 0; offset < BATCH_METRICS / KEYS; offset++) {
        for (const seriesId of seriesIds) {
          insert.run(seriesId, firstStep + offset, now, Math.random(), 0);
        }
      }
    });
    let step = 0;
    const warmupEnd = performance.now() + settings.warmupSeconds * 1000;
    while (performance.now() < warmupEnd) {
      writeBatch.immediate(step);
      step += BATCH_METRICS / KEYS;
    }
    let rows = 0;
    const started = performance.now();
    const deadline = started + settings.seconds * 1000;
    while (performance.now() < deadline) {
      writeBatch.immediate(step);
      step += BATCH_METRICS / KEYS;
      rows += BATCH_METRICS;
    }
    return rows / ((performance.now() - started) / 1000);
  } finally {
    await dataSource.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The PostgreSQL counterpart (not a target of issue #6, which names the SQLite ceiling for both
 * databases, but the fair yardstick there): the same rows into entrenar's schema in a fresh
 * database, one multi-row INSERT … SELECT FROM unnest per 1,000 rows (the fastest plain insert
 * from a client), 4 connections at once like the 4 ingestion clients. No HTTP, JSON, series
 * totals or rollups.
 */
export async function rawPostgresRowsPerSecond(settings: Settings, adminUrl: string): Promise<number> {
  const scratch = await ScratchDatabase.create(adminUrl, 'ceiling');
  const dataSource = await new DataSource(dataSourceOptions({ kind: 'postgres', url: scratch.url('postgres'), poolSize: 4 })).initialize();
  try {
    await dataSource.runMigrations();
    const clients = settings.ingestionClients;
    const seriesIds: number[][] = [];
    for (let client = 0; client < clients; client++) {
      const [run] = await dataSource.query<{ id: number }[]>(
        `INSERT INTO runs (public_id, experiment_id, name, status, created_at, updated_at) VALUES ($1, 1, $1, 'running', 0, 0) RETURNING id`,
        [`run-ceiling-${client}`],
      );
      const ids = await dataSource.query<{ id: number }[]>(
        'INSERT INTO metric_series (run_id, key) SELECT $1, unnest($2::text[]) RETURNING id',
        [run.id, Array.from({ length: KEYS }, (_, key) => `key_${key}`)],
      );
      seriesIds.push(ids.map((row) => Number(row.id)));
    }
    const writeBatch = async (client: number, firstStep: number) => {
      const series: number[] = [];
      const steps: number[] = [];
      const timestamps: number[] = [];
      const values: number[] = [];
      const now = Date.now();
      for (let offset = 0; offset < BATCH_METRICS / KEYS; offset++) {
        for (const seriesId of seriesIds[client]) {
          series.push(seriesId);
          steps.push(firstStep + offset);
          timestamps.push(now);
          values.push(Math.random());
        }
      }
      await dataSource.query(
        'INSERT INTO metric_points (series_id, step, timestamp, value, is_nan) SELECT *, 0 FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::float8[]) ON CONFLICT DO NOTHING',
        [series, steps, timestamps, values],
      );
    };
    const loop = async (client: number, until: number, counter: { rows: number; step: number }) => {
      while (performance.now() < until) {
        await writeBatch(client, counter.step);
        counter.step += BATCH_METRICS / KEYS;
        counter.rows += BATCH_METRICS;
      }
    };
    const counters = Array.from({ length: clients }, () => ({ rows: 0, step: 0 }));
    const warmupEnd = performance.now() + settings.warmupSeconds * 1000;
    await Promise.all(counters.map((counter, client) => loop(client, warmupEnd, counter)));
    for (const counter of counters) {
      counter.rows = 0;
    }
    const started = performance.now();
    await Promise.all(counters.map((counter, client) => loop(client, started + settings.seconds * 1000, counter)));
    const rows = counters.reduce((sum, counter) => sum + counter.rows, 0);
    return rows / ((performance.now() - started) / 1000);
  } finally {
    await dataSource.destroy();
    await scratch.drop();
  }
}

export interface BareHttpCeiling {
  ingestionMetricsPerSecond: number;
  ingestion: Throughput;
  chatty: Throughput;
  peakRssBytes: number;
}

/** Workloads 1 and 2 against the bare server, with the same load generator. */
export async function bareHttpCeiling(settings: Settings): Promise<BareHttpCeiling> {
  const server = await startBareServer();
  const http = new HttpClient(server.url, Math.max(settings.chattyClients, settings.ingestionClients) + 4);
  try {
    const api = new MlflowApi(http);
    const runIds = Array.from({ length: settings.ingestionClients }, (_, index) => `bare${index}`);
    const batch = await ingestion(api, settings, runIds);
    const single = await chatty(api, settings, 'bare');
    return {
      ingestionMetricsPerSecond: batch.metricsPerSecond,
      ingestion: batch,
      chatty: single,
      peakRssBytes: server.tree.peakRssBytes(),
    };
  } finally {
    http.close();
    await server.stop();
  }
}
