// `npm run bench:peers`: entrenar against MLflow's tracking server, FastTrackML and
// mlflow-go-backend, side by side, on SQLite and on PostgreSQL, with one load generator speaking
// MLflow's REST API to all of them, plus the raw SQLite and bare HTTP ceilings, in one run
// (issue #6). Prints one table, writes JSON, Markdown and a PNG chart under bench/results/,
// and profiles entrenar (node --cpu-prof) on the workloads where it misses a target. On
// PostgreSQL it also runs entrenar as two replicas on one database behind a round-robin client
// (entrenar-2x, issue #16): how ingestion and chatty logging scale with processes on this machine.
//
// Settings (environment):
//   BENCH_SERVERS        entrenar,entrenar-2x,mlflow,fasttrackml,mlflow-go   which servers
//                             (entrenar-2x runs on PostgreSQL only, and by default whenever
//                             BENCH_DATABASES includes postgres)
//   BENCH_DATABASES      sqlite,postgres                          which databases
//   BENCH_WARMUP_SECONDS 2    warm-up of each throughput workload (not counted)
//   BENCH_SECONDS        8    measured time of each throughput workload (1-3)
//   BENCH_READ_SECONDS   8    time budget of each latency workload (4, 5, /series); at least 5 calls
//   BENCH_HISTORY_POINTS 1000000  length of the long metric (workload 4)
//   BENCH_SEARCH_RUNS    10000    runs seeded for workload 5
//   BENCH_SEED_SECONDS   45   API seeding time of workloads 4 and 5 on MLflow's schema (MLflow,
//                             mlflow-go-backend), after which the rest is inserted directly
//                             (bench/peers/mlflow-store.ts); entrenar and FastTrackML always seed
//                             everything through the API
//   BENCH_PROFILE        auto     auto: profile entrenar where it misses a target; all; off
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fmt } from '../support.js';
import { bareHttpCeiling, rawPostgresRowsPerSecond, rawSqliteRowsPerSecond } from './ceilings.js';
import { analyseProfile, nowMicros, ProfileWindow, WindowProfile } from './profile.js';
import { buildTable, Ceilings, chartData, checkTargets, renderMarkdown, renderTargets, renderText, TargetCheck } from './report.js';
import { ALL_WORKLOADS, runServer, ServerResult, WorkloadName } from './run-server.js';
import { DatabaseKind, SERVER_LABELS, ServerId, unsupported } from './servers.js';
import { ensurePeerEnvironment, PeerEnvironment } from './venv.js';
import { Settings } from './workloads.js';

const ALL_SERVERS: ServerId[] = ['entrenar', 'entrenar-2x', 'mlflow', 'fasttrackml', 'mlflow-go'];
const ALL_DATABASES: DatabaseKind[] = ['sqlite', 'postgres'];

function list<T extends string>(name: string, allowed: readonly T[], fallback: readonly T[] = allowed): T[] {
  const raw = process.env[name];
  if (!raw) {
    return [...fallback];
  }
  const items = raw.split(',').map((item) => item.trim());
  const bad = items.filter((item) => !allowed.includes(item as T));
  if (bad.length > 0) {
    throw new Error(`${name}: unknown ${bad.join(', ')} (allowed: ${allowed.join(', ')})`);
  }
  return items as T[];
}

function number(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    throw new Error(`${name} must be a positive number, got ${raw}`);
  }
  return value;
}

const settings: Settings = {
  warmupSeconds: number('BENCH_WARMUP_SECONDS', 2),
  seconds: number('BENCH_SECONDS', 8),
  readSeconds: number('BENCH_READ_SECONDS', 8),
  seedSeconds: number('BENCH_SEED_SECONDS', 45),
  historyPoints: Math.round(number('BENCH_HISTORY_POINTS', 1_000_000)),
  searchRuns: Math.round(number('BENCH_SEARCH_RUNS', 10_000)),
  ingestionClients: 4,
  chattyClients: 32,
  churnClients: 4,
  seedClients: 4,
};
const databases = list('BENCH_DATABASES', ALL_DATABASES);
// The replicas need PostgreSQL: by default they run when it is among the databases.
const servers = list(
  'BENCH_SERVERS',
  ALL_SERVERS,
  ALL_SERVERS.filter((server) => databases.some((database) => !unsupported(server, database))),
);
const profileMode = list('BENCH_PROFILE', ['auto', 'all', 'off'] as const)[0];

/** 1-minute load average every 10 s: how busy the machine was (other engineers share it). */
class LoadWatch {
  readonly samples: number[] = [];
  private readonly timer = setInterval(() => this.samples.push(os.loadavg()[0]), 10_000);
  constructor() {
    this.samples.push(os.loadavg()[0]);
    this.timer.unref();
  }
  stop(): { min: number; mean: number; max: number; samples: number } {
    clearInterval(this.timer);
    this.samples.push(os.loadavg()[0]);
    const sum = this.samples.reduce((a, b) => a + b, 0);
    return {
      min: Math.min(...this.samples),
      mean: sum / this.samples.length,
      max: Math.max(...this.samples),
      samples: this.samples.length,
    };
  }
}

function postgresAdminUrl(): { url?: string; error?: string } {
  const result = spawnSync('bash', ['scripts/ensure-postgres.sh'], { encoding: 'utf8' });
  if (result.status !== 0) {
    return { error: `scripts/ensure-postgres.sh failed: ${(result.stderr || result.stdout).trim().slice(0, 300)}` };
  }
  return { url: result.stdout.trim() };
}

function version(): string {
  const result = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' });
  const dirty = spawnSync('git', ['status', '--porcelain', '--', 'src'], { encoding: 'utf8' }).stdout.trim().length > 0;
  return `${result.stdout.trim() || 'unknown'}${dirty ? ' + uncommitted changes in src/' : ''}`;
}

function summary(result: ServerResult): string {
  if (result.skipped) {
    return `not run: ${result.skipped}`;
  }
  return `done in ${fmt(result.wallSeconds ?? 0, 0)} s`;
}

const PROFILE_WINDOWS: Record<NonNullable<TargetCheck['workload']>, string[]> = {
  ingestion: ['ingestion'],
  chatty: ['chatty'],
  history: ['history-page', 'history-all'],
  search: ['search'],
  series: ['series'],
};

/** Runs entrenar again under --cpu-prof with just the workloads to explain; returns self times per window. */
async function profileEntrenar(
  database: DatabaseKind,
  wanted: Set<NonNullable<TargetCheck['workload']>>,
  dir: string,
  options: { peers: PeerEnvironment; postgresAdminUrl?: string },
): Promise<{ file?: string; windows: WindowProfile[]; error?: string }> {
  mkdirSync(dir, { recursive: true });
  const workloads = new Set<WorkloadName>();
  for (const name of wanted) {
    workloads.add(name);
    if (name === 'series') {
      workloads.add('history');
    }
  }
  const windows: ProfileWindow[] = [];
  const open = new Map<string, number>();
  const phase = (name: string, edge: 'start' | 'end') => {
    if (edge === 'start') {
      open.set(name, nowMicros());
    } else {
      windows.push({ name, startMicros: open.get(name) ?? 0, endMicros: nowMicros() });
    }
  };
  console.log(`\n=== profiling entrenar on ${database} (node --cpu-prof): ${[...wanted].join(', ')}`);
  const result = await runServer(
    'entrenar',
    database,
    settings,
    { ...options, nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`] },
    ALL_WORKLOADS.filter((w) => workloads.has(w)),
    phase,
  );
  if (result.skipped) {
    return { windows: [], error: result.skipped };
  }
  const names = new Set([...wanted].flatMap((w) => PROFILE_WINDOWS[w]));
  try {
    const analysis = analyseProfile(
      dir,
      windows.filter((w) => names.has(w.name)),
    );
    return { file: analysis.file, windows: analysis.windows };
  } catch (error) {
    return { windows: [], error: error instanceof Error ? error.message : String(error) };
  }
}

async function main(): Promise<void> {
  const started = new Date();
  const load = new LoadWatch();
  const stamp = started.toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const resultsDir = path.resolve('bench/results');
  mkdirSync(resultsDir, { recursive: true });
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const machine = {
    cores: os.availableParallelism(),
    cpu,
    memoryGiB: Math.round(os.totalmem() / 1024 ** 3),
    node: process.version,
    platform: `${os.type()} ${os.release()}`,
  };
  console.log(`entrenar peer benchmark (issue #6), ${started.toISOString()}`);
  console.log(
    `machine: ${machine.cores} cores × ${cpu}, ${machine.memoryGiB} GiB RAM, node ${process.version}; load average now ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log(
    `settings: warm-up ${settings.warmupSeconds} s + ${settings.seconds} s per throughput workload, ${settings.readSeconds} s per latency workload, ` +
      `${fmt(settings.historyPoints)}-point history, ${fmt(settings.searchRuns)} search runs, API seeding capped at ${settings.seedSeconds} s on MLflow's schema; servers ${servers.join(', ')}; databases ${databases.join(', ')}; profile ${profileMode}`,
  );

  const peers = ensurePeerEnvironment();
  const postgres = databases.includes('postgres') ? postgresAdminUrl() : {};
  if (postgres.error) {
    console.log(postgres.error);
  }

  console.log('\n=== ceilings');
  const ceilings: Ceilings = {};
  try {
    ceilings.rawSqliteRowsPerSecond = await rawSqliteRowsPerSecond(settings);
    console.log(`    raw better-sqlite3 inserts: ${fmt(ceilings.rawSqliteRowsPerSecond)} rows/s`);
  } catch (error) {
    ceilings.rawSqliteError = error instanceof Error ? error.message : String(error);
    console.log(`    raw SQLite ceiling FAILED: ${ceilings.rawSqliteError}`);
  }
  if (postgres.url) {
    try {
      ceilings.rawPostgresRowsPerSecond = await rawPostgresRowsPerSecond(settings, postgres.url);
      console.log(`    raw PostgreSQL inserts (unnest, 4 connections): ${fmt(ceilings.rawPostgresRowsPerSecond)} rows/s`);
    } catch (error) {
      ceilings.rawPostgresError = error instanceof Error ? error.message : String(error);
      console.log(`    raw PostgreSQL ceiling FAILED: ${ceilings.rawPostgresError}`);
    }
  }
  try {
    ceilings.bareHttp = await bareHttpCeiling(settings);
    console.log(
      `    bare Node http: ${fmt(ceilings.bareHttp.ingestionMetricsPerSecond)} metrics/s in 1,000-metric batches, ${fmt(ceilings.bareHttp.chatty.perSecond)} single requests/s`,
    );
  } catch (error) {
    ceilings.bareHttpError = error instanceof Error ? error.message : String(error);
    console.log(`    bare HTTP ceiling FAILED: ${ceilings.bareHttpError}`);
  }

  const results: ServerResult[] = [];
  for (const database of databases) {
    for (const server of servers) {
      const why = unsupported(server, database);
      if (why) {
        // No result at all: the report leaves the column out of this database's table.
        console.log(`\n=== ${SERVER_LABELS[server]} on ${database}: skipped, ${why}`);
        continue;
      }
      console.log(`\n=== ${SERVER_LABELS[server]} on ${database}`);
      if (database === 'postgres' && !postgres.url) {
        results.push({ server, database, skipped: postgres.error ?? 'no PostgreSQL' });
        continue;
      }
      const result = await runServer(server, database, settings, { peers, postgresAdminUrl: postgres.url });
      console.log(`    ${summary(result)}`);
      results.push(result);
    }
  }

  const targets = checkTargets(results, ceilings, databases);
  const profiles: Record<string, unknown> = {};
  if (profileMode !== 'off' && servers.includes('entrenar')) {
    for (const database of databases) {
      if (database === 'postgres' && !postgres.url) {
        continue;
      }
      const wanted = new Set(
        profileMode === 'all'
          ? (['ingestion', 'chatty', 'history', 'search', 'series'] as const)
          : targets.filter((t) => t.database === database && t.met === false && t.workload).map((t) => t.workload ?? 'ingestion'),
      );
      if (wanted.size === 0) {
        continue;
      }
      const dir = path.join(resultsDir, `peers-${stamp}-profiles`, database);
      const profile = await profileEntrenar(database, wanted, dir, { peers, postgresAdminUrl: postgres.url });
      profiles[database] = profile;
      if (profile.error) {
        console.log(`    profile FAILED: ${profile.error}`);
      }
      for (const window of profile.windows) {
        console.log(
          `\n--- entrenar on ${database}, ${window.window}: ${fmt(window.sampledMs)} ms sampled, ${fmt(window.idlePercent, 1)}% idle; top self time:`,
        );
        for (const fn of window.topFunctions) {
          console.log(`    ${fmt(fn.percent, 1).padStart(5)}%  ${fmt(fn.selfMs).padStart(7)} ms  ${fn.name}`);
        }
        console.log(`    by module: ${window.topModules.map((m) => `${m.name} ${fmt(m.percent, 1)}%`).join(', ')}`);
      }
      if (profile.file) {
        console.log(`    profile: ${path.relative(process.cwd(), profile.file)} (open in Chrome DevTools → Performance)`);
      }
    }
  }

  const loadSummary = load.stop();
  const finished = new Date();
  const report = {
    benchmark: 'npm run bench:peers',
    started: started.toISOString(),
    finished: finished.toISOString(),
    wallSeconds: (finished.getTime() - started.getTime()) / 1000,
    entrenarVersion: version(),
    machine,
    loadAverage1m: loadSummary,
    settings,
    servers,
    databases,
    ceilings,
    results,
    targets,
    profiles,
    chart: chartData(results, databases, servers, `entrenar vs peers, ${finished.toISOString().slice(0, 10)}, ${machine.cores} × ${cpu}`),
  };
  const jsonFile = path.join(resultsDir, `peers-${stamp}.json`);
  writeFileSync(jsonFile, `${JSON.stringify(report, null, 2)}\n`);
  copyFileSync(jsonFile, path.join(resultsDir, 'peers-latest.json'));

  const markdown: string[] = [];
  for (const database of databases) {
    const table = buildTable(results, ceilings, database, servers);
    console.log(
      `\n=== ${database === 'sqlite' ? 'SQLite' : 'PostgreSQL'}: absolute figures; "vs X" = how many times better entrenar is (× > 1: entrenar wins)`,
    );
    console.log(renderText(table));
    for (const note of table.notes) {
      console.log(`  * ${note}`);
    }
    markdown.push(`**${database === 'sqlite' ? 'SQLite' : 'PostgreSQL 15'}**\n`, renderMarkdown(table), '');
    if (table.notes.length > 0) {
      markdown.push(...table.notes.map((note) => `- ${note}`), '');
    }
  }
  console.log('\n=== issue #6 targets');
  const targetLines = renderTargets(targets);
  console.log(targetLines.join('\n'));
  markdown.push('**Targets of issue #6**\n', '```', ...targetLines, '```', '');
  const markdownFile = path.join(resultsDir, `peers-${stamp}.md`);
  writeFileSync(markdownFile, `${markdown.join('\n')}\n`);
  copyFileSync(markdownFile, path.join(resultsDir, 'peers-latest.md'));

  const pngFile = path.join(resultsDir, `peers-${stamp}.png`);
  const chart = spawnSync(peers.python, ['bench/peers/chart.py', jsonFile, pngFile], { encoding: 'utf8' });
  if (chart.status === 0) {
    copyFileSync(pngFile, path.join(resultsDir, 'peers-latest.png'));
  } else {
    console.log(`chart FAILED: ${(chart.stderr || chart.stdout).trim().slice(-500)}`);
  }
  console.log(
    `\nload average (1 min) during the run: min ${loadSummary.min.toFixed(2)}, mean ${loadSummary.mean.toFixed(2)}, max ${loadSummary.max.toFixed(2)} on ${machine.cores} cores`,
  );
  console.log(
    `wrote ${path.relative(process.cwd(), jsonFile)}, ${path.relative(process.cwd(), markdownFile)}${chart.status === 0 ? `, ${path.relative(process.cwd(), pngFile)}` : ''} (and peers-latest.*)`,
  );
  console.log(`total ${fmt(report.wallSeconds / 60, 1)} min`);
}

await main();
