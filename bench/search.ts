// `npm run build && node dist/bench/search.js`: speed of MLflow-style run search (the domain
// query behind runs/search: parse, compile, SQL, page token) over 10,000 runs with params,
// metrics and tags, on SQLite, or on PostgreSQL with BENCH_DATABASE_URL=postgres://… (an admin
// URL: a scratch database is created and dropped). Timed in process with the app's RunsService, so the numbers
// are the query's cost without HTTP or JSON; compare ratios, not absolutes.
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { serverConfig } from '../src/config/load-config.js';
import { SqlClient, SqlValue } from '../src/database/sql-client.js';
import { RunsService } from '../src/modules/runs/runs.service.js';
import type { RunSearchRequest } from '../src/modules/runs/search/run-search.js';
import { createApp } from '../src/server.js';
import { fmt, percentile } from './support.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 10_000);
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 200);
const WARMUP = 20;
const LEARNING_RATES = ['0.1', '0.01', '0.001', '0.0001'];
const OPTIMIZERS = ['adam', 'sgd', 'adamw'];
const METRICS = ['acc', 'loss', 'f1', 'val_acc', 'val_loss'];

/** A fixed pseudo-random sequence, so every run of the benchmark seeds the same data. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

/** Inserts rows in multi-row INSERTs of at most 500 rows (few round trips on PostgreSQL). */
async function insertRows(sql: SqlClient, table: string, columns: string[], rows: SqlValue[][]): Promise<void> {
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  for (let first = 0; first < rows.length; first += 500) {
    const chunk = rows.slice(first, first + 500);
    await sql.execute(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${chunk.map(() => tuple).join(', ')}`, chunk.flat());
  }
}

/** 10,000 runs in one experiment (plus 1,000 in another, which must never match), with 5 params, 5 metrics and 3 tags each. */
async function seed(sql: SqlClient): Promise<string> {
  const next = random(42);
  const now = Date.now();
  const experimentIds: number[] = [];
  for (const name of ['bench-search', 'bench-other']) {
    const row = await sql.queryOne<{ id: number }>(
      `INSERT INTO experiments (public_id, name, config, artifact_location, lifecycle_stage, created_at, updated_at)
       VALUES (?, ?, NULL, ?, 'active', ?, ?) RETURNING id`,
      [`exp-${name}`, name, `mlflow-artifacts:/exp-${name}`, now, now],
    );
    experimentIds.push(row?.id ?? 0);
  }
  const total = RUNS + 1000;
  const runs: SqlValue[][] = [];
  for (let index = 0; index < total; index++) {
    const started = now - (total - index) * 1000;
    // Finished runs only: a "running" run that logs nothing would be swept to failed mid-benchmark.
    const status = next() < 0.8 ? 'success' : next() < 0.75 ? 'failed' : 'cancelled';
    runs.push([
      `run-${index.toString(16).padStart(32, '0')}`,
      index < RUNS ? experimentIds[0] : experimentIds[1],
      `run-${index}`,
      status,
      next() < 0.02 ? 'deleted' : 'active',
      `user${index % 7}`,
      started,
      started,
      started + 60_000,
      started,
    ]);
  }
  await insertRows(
    sql,
    'runs',
    ['public_id', 'experiment_id', 'name', 'status', 'lifecycle_stage', 'user_id', 'created_at', 'started_at', 'ended_at', 'updated_at'],
    runs,
  );
  const ids = await sql.query<{ id: number; started_at: number }>('SELECT id, started_at FROM runs ORDER BY id');
  const params: SqlValue[][] = [];
  const metrics: SqlValue[][] = [];
  const tags: SqlValue[][] = [];
  ids.forEach(({ id, started_at: started }, index) => {
    params.push(
      [id, 'lr', LEARNING_RATES[Math.floor(next() * LEARNING_RATES.length)], 'string'],
      [id, 'optimizer', OPTIMIZERS[Math.floor(next() * OPTIMIZERS.length)], 'string'],
      [id, 'batch_size', String(2 ** (4 + Math.floor(next() * 5))), 'string'],
      [id, 'epochs', String(1 + Math.floor(next() * 50)), 'string'],
      [id, 'seed', String(index), 'string'],
    );
    for (const key of METRICS) {
      const nan = next() < 0.01;
      metrics.push([id, key, 100, 99, started + 60_000, nan ? 0 : next(), nan ? 1 : 0]);
    }
    tags.push(
      [id, 'mlflow.runName', `run-${index}`],
      [id, 'mlflow.user', `user${index % 7}`],
      [id, 'team', index % 3 === 0 ? 'vision' : 'nlp'],
    );
  });
  await insertRows(sql, 'params', ['run_id', 'key', 'value', 'value_type'], params);
  await insertRows(
    sql,
    'metric_series',
    ['run_id', 'key', 'point_count', 'last_step', 'last_timestamp', 'last_value', 'last_is_nan'],
    metrics,
  );
  await insertRows(sql, 'run_tags', ['run_id', 'key', 'value'], tags);
  if (sql.dialect === 'postgres') {
    await sql.execute('ANALYZE experiments, runs, params, metric_series, run_tags');
  }
  return 'exp-bench-search';
}

interface Timing {
  p50: number;
  p95: number;
  /** Median CPU time of this process per search: on SQLite, the query's own cost, however busy the machine is. */
  cpuP50: number;
  rows: number;
}

async function time(runs: RunsService, request: RunSearchRequest, followPages: boolean): Promise<Timing> {
  const timings: number[] = [];
  const cpu: number[] = [];
  let rows = 0;
  for (let iteration = 0; iteration < ITERATIONS + WARMUP; iteration++) {
    let token: string | undefined;
    let pageRows = 0;
    do {
      const started = performance.now();
      const cpuStarted = process.cpuUsage();
      const page = await runs.searchRuns({ ...request, pageToken: token });
      if (iteration >= WARMUP) {
        timings.push(performance.now() - started);
        const used = process.cpuUsage(cpuStarted);
        cpu.push((used.user + used.system) / 1000);
      }
      pageRows += page.runs.length;
      token = followPages ? page.nextPageToken : undefined;
    } while (token !== undefined);
    rows = pageRows;
  }
  timings.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  return { p50: percentile(timings, 50), p95: percentile(timings, 95), cpuP50: percentile(cpu, 50), rows };
}

/** A new empty PostgreSQL database next to the one BENCH_DATABASE_URL names, and how to drop it. */
async function scratchDatabase(adminUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `entrenar_bench_${randomBytes(6).toString('hex')}`;
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    await client.query(statement);
    await client.end();
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'entrenar-bench-search-'));
  const database = process.env.BENCH_DATABASE_URL ? await scratchDatabase(process.env.BENCH_DATABASE_URL) : undefined;
  // The application as the server builds it (migrations included), without listening.
  const app = await createApp(serverConfig({ host: '127.0.0.1', port: 0, dataDir, databaseUrl: database?.url ?? '', logLevel: 'warn' }));
  await app.init();
  try {
    const sql = app.get(SqlClient);
    const runs = app.get(RunsService);
    const seedStarted = performance.now();
    const experimentId = await seed(sql);
    console.log(
      `${sql.dialect}: seeded ${fmt(RUNS)} runs (+1,000 in another experiment), 5 params, 5 metrics, 3 tags each, in ${fmt((performance.now() - seedStarted) / 1000, 1)} s; ${ITERATIONS} timed searches each (after ${WARMUP} warm-up)\n`,
    );
    const base = { experimentIds: [experimentId], viewType: 'ACTIVE_ONLY' as const, maxResults: 100 };
    const cases: [string, RunSearchRequest, boolean][] = [
      [
        "metrics.acc > 0.5 and params.lr = '0.01', order by metrics.acc DESC: first page",
        { ...base, filter: "metrics.acc > 0.5 and params.lr = '0.01'", orderBy: ['metrics.acc DESC'] },
        false,
      ],
      [
        '  same, every page (per page)',
        { ...base, filter: "metrics.acc > 0.5 and params.lr = '0.01'", orderBy: ['metrics.acc DESC'] },
        true,
      ],
      ['no filter, default order (start_time DESC): first page', { ...base }, false],
      ['no filter, order by metrics.loss ASC: first page', { ...base, orderBy: ['metrics.loss ASC'] }, false],
      [
        "tags.team = 'vision' and attributes.status = 'FINISHED', order by params.epochs",
        { ...base, filter: "tags.team = 'vision' and attributes.status = 'FINISHED'", orderBy: ['params.epochs'] },
        false,
      ],
      [
        "params.optimizer LIKE 'adam%' and metrics.val_loss < 0.2",
        { ...base, filter: "params.optimizer LIKE 'adam%' and metrics.val_loss < 0.2" },
        false,
      ],
      ["attributes.run_name ILIKE 'RUN-99%'", { ...base, filter: "attributes.run_name ILIKE 'RUN-99%'" }, false],
    ];
    const cpuColumn = sql.dialect === 'sqlite';
    console.log(
      `load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} CPUs` +
        (cpuColumn ? '; "cpu" is the median CPU time this process spent per search (SQLite runs in process)' : ''),
    );
    console.log(
      `${'query'.padEnd(84)} ${'rows'.padStart(6)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)}${cpuColumn ? ' cpu ms'.padStart(8) : ''}`,
    );
    for (const [label, request, followPages] of cases) {
      const timing = await time(runs, request, followPages);
      console.log(
        `${label.padEnd(84)} ${fmt(timing.rows).padStart(6)} ${fmt(timing.p50, 2).padStart(8)} ${fmt(timing.p95, 2).padStart(8)}` +
          (cpuColumn ? fmt(timing.cpuP50, 2).padStart(8) : ''),
      );
    }
  } finally {
    await app.close();
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
