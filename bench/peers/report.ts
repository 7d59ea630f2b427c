// The table (plain text for the terminal, Markdown for the README), the ratios and the issue #6
// targets, from the results of one run.
import { fmt } from '../support.js';
import type { BareHttpCeiling } from './ceilings.js';
import { failed, Outcome, ServerResult } from './run-server.js';
import { DatabaseKind, isEntrenar, REPLICAS, SERVER_LABELS, ServerId, unsupported } from './servers.js';
import { HISTORY_PAGE, SeedFigures } from './workloads.js';

export interface Ceilings {
  rawSqliteRowsPerSecond?: number;
  rawSqliteError?: string;
  rawPostgresRowsPerSecond?: number;
  rawPostgresError?: string;
  bareHttp?: BareHttpCeiling;
  bareHttpError?: string;
}

type Better = 'higher' | 'lower';

interface Figure {
  value?: number;
  /** Why there is no value, or a remark on it ("2 errors", "1 page of 1,000,000"). */
  note?: string;
  /** The value is not comparable with the others' (e.g. a "page" that is the whole history). */
  incomparable?: boolean;
}

interface MetricRow {
  id: string;
  label: string;
  unit: string;
  better: Better;
  digits: number;
  figure(result: ServerResult): Figure;
  /** Ceiling value and its label, for throughput rows. */
  ceiling?: (ceilings: Ceilings) => { value?: number; label: string } | undefined;
  /** A row of one database's table only. */
  only?: DatabaseKind;
}

function from<T extends object>(outcome: Outcome<T> | undefined, read: (value: T) => Figure): Figure {
  if (outcome === undefined) {
    return { note: 'not run' };
  }
  if (failed(outcome)) {
    return { note: `failed: ${outcome.error}` };
  }
  return read(outcome);
}

function withErrors(value: number, errors: number, operations: number, firstError?: string): Figure {
  if (operations === 0 && errors > 0) {
    return { note: `failed: all ${fmt(errors)} requests failed: ${firstError ?? ''}` };
  }
  return errors > 0
    ? { value, note: `${fmt(errors)} errors / ${fmt(operations + errors)} requests; first: ${firstError ?? ''}` }
    : { value };
}

const MIB = 1024 * 1024;

function seedNote(seed: SeedFigures, what: string, where: string): string | undefined {
  return seed.direct > 0
    ? `rate of the first ${fmt(seed.viaApi)} ${what}, stored through the API in ${fmt(seed.seconds, 0)} s (BENCH_SEED_SECONDS); ` +
        `the other ${fmt(seed.direct)} were inserted straight into ${where}`
    : undefined;
}

export const METRICS: MetricRow[] = [
  {
    id: 'ingestion',
    label: '1 ingestion, log-batch 1,000 metrics × 4 clients',
    unit: 'metrics/s',
    better: 'higher',
    digits: 0,
    figure: (r) => from(r.ingestion, (v) => withErrors(v.metricsPerSecond, v.errors, v.operations, v.firstError)),
    ceiling: (c) => ({ value: c.rawSqliteRowsPerSecond, label: 'raw SQLite' }),
  },
  {
    id: 'ingestion-postgres',
    label: '1 ingestion vs raw PostgreSQL',
    unit: 'metrics/s',
    better: 'higher',
    digits: 0,
    figure: (r) => from(r.ingestion, (v) => withErrors(v.metricsPerSecond, v.errors, v.operations, v.firstError)),
    ceiling: (c) => ({ value: c.rawPostgresRowsPerSecond, label: 'raw PostgreSQL' }),
    only: 'postgres',
  },
  {
    id: 'ingestion-bare',
    label: '1 ingestion vs bare HTTP',
    unit: 'metrics/s',
    better: 'higher',
    digits: 0,
    figure: (r) => from(r.ingestion, (v) => withErrors(v.metricsPerSecond, v.errors, v.operations, v.firstError)),
    ceiling: (c) => ({ value: c.bareHttp?.ingestionMetricsPerSecond, label: 'bare HTTP' }),
  },
  {
    id: 'history-seed',
    label: '4 seeding 1M points, log-batch × 4 clients',
    unit: 'metrics/s',
    better: 'higher',
    digits: 0,
    figure: (r) => from(r.history, (v) => ({ value: v.seed.metricsPerSecond, note: seedNote(v.seed, 'points', 'its metrics table') })),
  },
  {
    id: 'chatty',
    label: '2 chatty, log-metric × 32 clients',
    unit: 'req/s',
    better: 'higher',
    digits: 0,
    figure: (r) => from(r.chatty, (v) => withErrors(v.perSecond, v.errors, v.operations, v.firstError)),
    ceiling: (c) => ({ value: c.bareHttp?.chatty.perSecond, label: 'bare HTTP' }),
  },
  {
    id: 'chatty-p99',
    label: '2 chatty p99',
    unit: 'ms',
    better: 'lower',
    digits: 1,
    figure: (r) => from(r.chatty, (v) => ({ value: v.p99Ms })),
    ceiling: (c) => ({ value: c.bareHttp?.chatty.p99Ms, label: 'bare HTTP' }),
  },
  {
    id: 'churn',
    label: '3 churn: create, 10 params (1 log-batch), FINISHED × 4',
    unit: 'runs/s',
    better: 'higher',
    digits: 0,
    figure: (r) => from(r.churn, (v) => withErrors(v.perSecond, v.errors, v.operations, v.firstError)),
  },
  {
    id: 'history-all',
    label: '4 get-history, all pages of 1M points',
    unit: 's',
    better: 'lower',
    digits: 2,
    figure: (r) =>
      from(r.history, (v) => ({
        value: v.allPagesSeconds,
        note: [v.pagesPerRead === 1 ? 'one response, no paging' : '', ...v.notes].filter((n) => n).join('; ') || undefined,
      })),
  },
  {
    id: 'history-page-p50',
    label: `4 get-history, one ${fmt(HISTORY_PAGE)}-point page p50`,
    unit: 'ms',
    better: 'lower',
    digits: 1,
    figure: (r) =>
      from(r.history, (v) =>
        v.pagePoints === HISTORY_PAGE
          ? { value: v.pageP50Ms }
          : { value: v.pageP50Ms, incomparable: true, note: `max_results ignored: the page held ${fmt(v.pagePoints)} points` },
      ),
  },
  {
    id: 'history-page-p95',
    label: '4 get-history page p95',
    unit: 'ms',
    better: 'lower',
    digits: 1,
    figure: (r) =>
      from(r.history, (v) => (v.pagePoints === HISTORY_PAGE ? { value: v.pageP95Ms } : { value: v.pageP95Ms, incomparable: true })),
  },
  {
    id: 'search-p50',
    label: '5 runs/search over 10,000 runs p50',
    unit: 'ms',
    better: 'lower',
    digits: 1,
    figure: (r) =>
      from(r.search, (v) => (v.verified ? { value: v.p50Ms } : { value: v.p50Ms, note: v.notes.join('; '), incomparable: true })),
  },
  {
    id: 'search-p95',
    label: '5 runs/search p95',
    unit: 'ms',
    better: 'lower',
    digits: 1,
    figure: (r) => from(r.search, (v) => (v.verified ? { value: v.p95Ms } : { value: v.p95Ms, incomparable: true })),
  },
  {
    id: 'search-seed',
    label: '5 seeding runs (create + log-batch) × 4 clients',
    unit: 'runs/s',
    better: 'higher',
    digits: 0,
    figure: (r) => from(r.search, (v) => ({ value: v.seed.runsPerSecond, note: seedNote(v.seed, 'runs', 'its tables') })),
  },
  {
    id: 'series-p50',
    label: '/api/v1 …/series?points=1000 on 1M points p50',
    unit: 'ms',
    better: 'lower',
    digits: 1,
    figure: (r) => (isEntrenar(r.server) ? from(r.series, (v) => ({ value: v.p50Ms, note: v.note })) : { note: 'no such endpoint' }),
  },
  {
    id: 'series-p95',
    label: '/series p95',
    unit: 'ms',
    better: 'lower',
    digits: 1,
    figure: (r) => (isEntrenar(r.server) ? from(r.series, (v) => ({ value: v.p95Ms, note: v.note })) : { note: 'no such endpoint' }),
  },
  {
    id: 'peak-rss',
    label: '6 peak RSS of the server process tree',
    unit: 'MiB',
    better: 'lower',
    digits: 0,
    figure: (r) =>
      from(r.footprint, (v) => ({ value: v.peakRssBytes / MIB, note: v.processes > 1 ? `${v.processes} processes` : undefined })),
  },
  {
    id: 'bytes-per-point',
    label: '6 database bytes per metric point',
    unit: 'B',
    better: 'lower',
    digits: 1,
    figure: (r) => from(r.footprint, (v) => (v.pointsStored > 0 ? { value: v.bytesPerPoint } : { note: 'no metric point was stored' })),
  },
];

/** How many times better entrenar is than `other` (> 1: entrenar wins). */
export function advantage(better: Better, ours: number | undefined, other: number | undefined): number | undefined {
  if (ours === undefined || other === undefined || !Number.isFinite(ours) || !Number.isFinite(other) || ours <= 0 || other <= 0) {
    return undefined;
  }
  return better === 'higher' ? ours / other : other / ours;
}

export interface TargetCheck {
  database: DatabaseKind;
  target: string;
  /** The measured ratio (entrenar's advantage, or its share of a ceiling, or its absolute value). */
  measured?: number;
  display: string;
  met?: boolean;
  /** The workload whose CPU profile explains a miss (none for memory and disk targets). */
  workload?: 'ingestion' | 'chatty' | 'history' | 'search' | 'series';
}

function resultOf(results: ServerResult[], database: DatabaseKind, server: ServerId): ServerResult | undefined {
  return results.find((r) => r.database === database && r.server === server);
}

function metric(id: string): MetricRow {
  const row = METRICS.find((m) => m.id === id);
  if (!row) {
    throw new Error(`no metric ${id}`);
  }
  return row;
}

/** The targets of issue #6, per database. */
export function checkTargets(results: ServerResult[], ceilings: Ceilings, databases: DatabaseKind[]): TargetCheck[] {
  const checks: TargetCheck[] = [];
  for (const database of databases) {
    const figure = (server: ServerId, id: string): Figure => {
      const result = resultOf(results, database, server);
      if (!result) {
        return { note: 'not run' };
      }
      return result.skipped ? { note: result.skipped } : metric(id).figure(result);
    };
    const versus = (id: string, peer: ServerId, factor: number, label: string, workload?: TargetCheck['workload']) => {
      const mine = figure('entrenar', id);
      const theirs = figure(peer, id);
      const ratio = mine.incomparable || theirs.incomparable ? undefined : advantage(metric(id).better, mine.value, theirs.value);
      const why = theirs.incomparable ? theirs.note : mine.incomparable ? mine.note : (theirs.note ?? mine.note);
      checks.push({
        database,
        target: `${label} ≥ ${factor}× ${SERVER_LABELS[peer]}`,
        measured: ratio,
        display: ratio === undefined ? `n/a (${(why ?? 'no figure').slice(0, 120)})` : `${fmt(ratio, 2)}×`,
        met: ratio === undefined ? undefined : ratio >= factor,
        workload,
      });
    };
    versus('ingestion', 'fasttrackml', 3, 'ingestion', 'ingestion');
    versus('ingestion', 'mlflow', 20, 'ingestion', 'ingestion');
    const ingestionValue = figure('entrenar', 'ingestion').value;
    const share =
      ingestionValue !== undefined && ceilings.rawSqliteRowsPerSecond ? ingestionValue / ceilings.rawSqliteRowsPerSecond : undefined;
    checks.push({
      database,
      target: 'ingestion ≥ 50% of the raw SQLite ceiling',
      measured: share,
      display: share === undefined ? 'n/a' : `${fmt(100 * share, 1)}%`,
      met: share === undefined ? undefined : share >= 0.5,
      workload: 'ingestion',
    });
    versus('chatty', 'fasttrackml', 1, 'chatty logging', 'chatty');
    versus('chatty', 'mlflow', 3, 'chatty logging', 'chatty');
    versus('history-all', 'mlflow', 5, 'long history (all pages)', 'history');
    versus('history-all', 'fasttrackml', 2, 'long history (all pages)', 'history');
    versus('history-page-p50', 'mlflow', 5, 'long history (one page, p50)', 'history');
    versus('history-page-p50', 'fasttrackml', 2, 'long history (one page, p50)', 'history');
    versus('search-p50', 'mlflow', 5, 'search (p50)', 'search');
    versus('search-p50', 'fasttrackml', 2, 'search (p50)', 'search');
    const series = figure('entrenar', 'series-p50');
    checks.push({
      database,
      target: '/series?points=1000 p50 < 30 ms',
      measured: series.value,
      display: series.value === undefined ? (series.note ?? 'n/a') : `${fmt(series.value, 1)} ms`,
      met: series.value === undefined ? undefined : series.value < 30,
      workload: 'series',
    });
    const mineBytes = figure('entrenar', 'bytes-per-point').value;
    const theirBytes = figure('mlflow', 'bytes-per-point').value;
    checks.push({
      database,
      target: "bytes per point ≤ MLflow's",
      measured: mineBytes !== undefined && theirBytes !== undefined ? theirBytes / mineBytes : undefined,
      display: mineBytes === undefined || theirBytes === undefined ? 'n/a' : `${fmt(mineBytes, 1)} B vs ${fmt(theirBytes, 1)} B`,
      met: mineBytes === undefined || theirBytes === undefined ? undefined : mineBytes <= theirBytes,
    });
    const rss = figure('entrenar', 'peak-rss').value;
    checks.push({
      database,
      target: 'peak RSS < 250 MiB',
      measured: rss,
      display: rss === undefined ? 'n/a' : `${fmt(rss, 0)} MiB`,
      met: rss === undefined ? undefined : rss < 250,
    });
  }
  return checks;
}

function cell(figure: Figure, digits: number): string {
  if (figure.value === undefined || !Number.isFinite(figure.value)) {
    return figure.note?.startsWith('failed') ? 'failed' : figure.note === 'not run' ? '–' : 'n/a';
  }
  return `${fmt(figure.value, digits)}${figure.note || figure.incomparable ? '*' : ''}`;
}

export interface Table {
  header: string[];
  rows: string[][];
  notes: string[];
}

/** The peers entrenar is compared with ("vs X"): everyone but entrenar itself, single or replicated. */
function peersOf(servers: ServerId[]): ServerId[] {
  return servers.filter((s) => !isEntrenar(s));
}

/** The throughput rows where replicas may add capacity: the "×2 replicas vs 1" line. */
const SCALING_ROWS = ['ingestion', 'chatty', 'churn'];

/** "entrenar ×2 replicas vs 1: ingestion 1.40×, …" (> 1×: the replicas do more), if both ran. */
function scalingLine(results: ServerResult[], database: DatabaseKind): string | undefined {
  const single = resultOf(results, database, 'entrenar');
  const replicated = resultOf(results, database, 'entrenar-2x');
  if (!single || !replicated || single.skipped || replicated.skipped) {
    return undefined;
  }
  const parts = SCALING_ROWS.map((id) => {
    const row = metric(id);
    const ratio = advantage(row.better, row.figure(replicated).value, row.figure(single).value);
    return `${id} ${ratio === undefined ? 'n/a' : `${fmt(ratio, 2)}×`}`;
  });
  return `×${REPLICAS} replicas vs 1 (above 1×: ${REPLICAS} processes on one database do more than one): ${parts.join(', ')}`;
}

/** One database's table: a row per figure, a column per server, the ratios, the ceilings. */
export function buildTable(results: ServerResult[], ceilings: Ceilings, database: DatabaseKind, allServers: ServerId[]): Table {
  // A server that cannot run on this database (the replicas on SQLite) gets no column here.
  const servers = allServers.filter((s) => !unsupported(s, database));
  const peers = peersOf(servers);
  const header = [
    'figure',
    'unit',
    ...servers.map((s) => SERVER_LABELS[s]),
    ...peers.map((p) => `vs ${SERVER_LABELS[p]}`),
    'ceiling',
    'vs ceiling',
  ];
  const notes: string[] = [];
  const scaling = scalingLine(results, database);
  if (scaling) {
    notes.push(scaling);
  }
  for (const server of allServers.filter((s) => unsupported(s, database))) {
    notes.push(`${SERVER_LABELS[server]}: not run on ${database}: ${unsupported(server, database) ?? ''}.`);
  }
  const rows: string[][] = [];
  for (const server of servers) {
    const result = resultOf(results, database, server);
    if (!result) {
      notes.push(`${SERVER_LABELS[server]}: not run on ${database}.`);
    } else if (result.skipped) {
      notes.push(`${SERVER_LABELS[server]}: ${result.skipped}`);
    }
  }
  for (const row of METRICS) {
    if (row.only && row.only !== database) {
      continue;
    }
    const figures = servers.map((server): Figure => {
      const result = resultOf(results, database, server);
      return !result ? { note: 'not run' } : result.skipped ? { note: 'not run' } : row.figure(result);
    });
    for (const [index, figure] of figures.entries()) {
      if (figure.note && figure.note !== 'not run' && figure.note !== 'no such endpoint') {
        notes.push(`${row.label} — ${SERVER_LABELS[servers[index]]}: ${figure.note}`);
      }
    }
    const ours = figures[servers.indexOf('entrenar')];
    const ratios = peers.map((peer) => {
      const theirs = figures[servers.indexOf(peer)];
      if (!ours || ours.incomparable || theirs.incomparable) {
        return ours?.value !== undefined && theirs.value !== undefined ? 'n/c' : '';
      }
      const ratio = advantage(row.better, ours.value, theirs.value);
      return ratio === undefined ? '' : `${fmt(ratio, ratio < 10 ? 2 : 1)}×`;
    });
    const ceiling = row.ceiling?.(ceilings);
    let ceilingCell = '';
    let share = '';
    if (ceiling?.value !== undefined) {
      ceilingCell = `${fmt(ceiling.value, row.digits)} (${ceiling.label})`;
      if (ours?.value !== undefined) {
        share =
          row.better === 'higher' ? `${fmt((100 * ours.value) / ceiling.value, 1)}%` : `${fmt(ours.value / ceiling.value, 1)}× slower`;
      }
    }
    rows.push([row.label, row.unit, ...figures.map((figure) => cell(figure, row.digits)), ...ratios, ceilingCell, share]);
  }
  return { header, rows, notes };
}

export function renderText(table: Table): string {
  const widths = table.header.map((_, column) => Math.max(...[table.header, ...table.rows].map((row) => (row[column] ?? '').length)));
  const line = (row: string[]) =>
    row
      .map((text, column) => (column <= 1 ? text.padEnd(widths[column]) : text.padStart(widths[column])))
      .join('  ')
      .trimEnd();
  return [line(table.header), widths.map((w) => '-'.repeat(w)).join('  '), ...table.rows.map(line)].join('\n');
}

export function renderMarkdown(table: Table): string {
  const escape = (text: string) => text.replace(/\|/g, '\\|');
  return [
    `| ${table.header.map(escape).join(' | ')} |`,
    `| ${table.header.map((_, column) => (column <= 1 ? '---' : '---:')).join(' | ')} |`,
    ...table.rows.map((row) => `| ${row.map(escape).join(' | ')} |`),
  ].join('\n');
}

export function renderTargets(checks: TargetCheck[]): string[] {
  return checks.map((check) => {
    const state = check.met === undefined ? 'n/a   ' : check.met ? 'met   ' : 'MISSED';
    return `${state}  ${check.database.padEnd(8)}  ${check.target.padEnd(48)}  ${check.display}`;
  });
}

export interface ChartData {
  title: string;
  workloads: string[];
  databases: { database: DatabaseKind; series: { label: string; ratios: (number | null)[] }[] }[];
}

const CHART_ROWS: [string, string][] = [
  ['ingestion', 'ingestion\n(metrics/s)'],
  ['chatty', 'chatty logging\n(req/s)'],
  ['churn', 'run churn\n(runs/s)'],
  ['history-all', 'history, all\npages (s)'],
  ['history-page-p50', 'history, one\npage (p50)'],
  ['search-p50', 'search\n(p50)'],
];

/** The main ratios, for bench/peers/chart.py: entrenar's advantage over each peer per workload. */
export function chartData(results: ServerResult[], databases: DatabaseKind[], servers: ServerId[], title: string): ChartData {
  const peers = peersOf(servers);
  return {
    title,
    workloads: CHART_ROWS.map(([, label]) => label),
    databases: databases.map((database) => ({
      database,
      series: peers.map((peer) => ({
        label: `vs ${SERVER_LABELS[peer]}`,
        ratios: CHART_ROWS.map(([id]) => {
          const row = metric(id);
          const ours = resultOf(results, database, 'entrenar');
          const theirs = resultOf(results, database, peer);
          if (!ours || !theirs || ours.skipped || theirs.skipped) {
            return null;
          }
          const a = row.figure(ours);
          const b = row.figure(theirs);
          return a.incomparable || b.incomparable ? null : (advantage(row.better, a.value, b.value) ?? null);
        }),
      })),
    })),
  };
}
