// `npm run bench:web`: how fast the web dashboard answers a person, measured in Debian's headless
// Chromium against a real `entrenar server` process (the build, SQLite in a temporary folder),
// seeded through the public API: a run with a 1,000,000-point metric, an experiment with 10,000
// runs, and a running run that logs while its page is open. Times are read inside the page, on
// its own clock, from the instrumentation the pages keep (web/ contract, WEB.md): the
// `entrenar:chart-drawn`, `entrenar:runs-rows-visible` and `entrenar:runs-filter-applied`
// performance marks and the charts' data-* attributes. Prints one table and writes
// bench/results/web-<timestamp>.json. A missed target is reported, not fatal: the exit code is 0
// unless the benchmark itself could not run (no build, no chromium).
//   BENCH_WEB_REPS=15   repetitions of each measurement     BENCH_WEB_RUNS=10000   runs in the big experiment
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from './browser.js';
import { fmt, percentile, postJson, startEntrenar, type ServerProcess } from './support.js';

const REPS = Number(process.env.BENCH_WEB_REPS ?? 15);
const RUNS = Number(process.env.BENCH_WEB_RUNS ?? 10_000);
const SERIES_POINTS = 1_000_000;
/** The server's default --max-batch-points: the largest batch it accepts out of the box. */
const BATCH_POINTS = 10_000;
const SEED_CONNECTIONS = 4;
const METRIC_KEY = 'loss';
/** Where the 1M-point metric jumps (a value 20× the curve around it), inside the zoom windows. */
const SPIKE_STEP = 654_321;
const ZOOM_WINDOW_STEPS = 1_000;
const LIVE_KEY = 'live_loss';
const LIVE_POINTS = 40;
const LIVE_INTERVAL_MS = 300;
const VIEWPORT = { width: 1366, height: 800 };
/** How long any one page state may take before the measurement is abandoned with a message. */
const WAIT_MS = 20_000;
const KIB = 1024;

// ---------------------------------------------------------------------------------------------
// In-page probe: installed before any page script runs, it records on the page's clock
// (performance.now()) what the benchmark needs besides the marks: every chart's data-* attributes
// after each draw, the fetches the page makes, mouseup/Enter/input times.

interface ChartSnapshot {
  t: number;
  key: string;
  draws: number;
  points: number;
  xMin: number;
  xMax: number;
  lastStep: number;
}

interface FetchRecord {
  url: string;
  started: number;
  responded: number;
}

interface MarkRecord {
  name: string;
  t: number;
  key?: string;
  draws?: number;
}

interface ProbeState {
  charts: ChartSnapshot[];
  fetches: FetchRecord[];
  mouseUps: number[];
  enters: number[];
  inputs: number[];
  sent: Record<string, number>;
  marks: MarkRecord[];
  now: number;
}

const PROBE_SCRIPT = `(() => {
  const probe = { charts: [], fetches: [], mouseUps: [], enters: [], inputs: [], sent: {} };
  window.__entrenarBench = probe;
  const lastDraws = new WeakMap();
  const snapshot = (el, t) => {
    const d = el.dataset;
    const draws = Number(d.draws);
    if (lastDraws.get(el) === draws) return;
    lastDraws.set(el, draws);
    probe.charts.push({ t, key: d.metricKey, draws, points: Number(d.points), xMin: Number(d.xMin), xMax: Number(d.xMax), lastStep: Number(d.lastStep) });
  };
  new MutationObserver((records) => {
    const t = performance.now();
    for (const record of records) {
      const el = record.target;
      if (el.nodeType === 1 && el.getAttribute('data-testid') === 'metric-chart') snapshot(el, t);
      for (const node of record.addedNodes || []) {
        if (node.nodeType !== 1) continue;
        const charts = node.matches('[data-testid="metric-chart"][data-draws]') ? [node] : node.querySelectorAll('[data-testid="metric-chart"][data-draws]');
        for (const chart of charts) snapshot(chart, t);
      }
    }
  }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-draws', 'data-points', 'data-x-min', 'data-x-max', 'data-last-step'] });
  const originalFetch = window.fetch;
  window.fetch = function (input, init) {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const record = { url, started: performance.now(), responded: -1 };
    probe.fetches.push(record);
    return originalFetch.call(this, input, init).then((response) => { record.responded = performance.now(); return response; });
  };
  window.addEventListener('mouseup', () => probe.mouseUps.push(performance.now()), true);
  window.addEventListener('keydown', (event) => { if (event.key === 'Enter') probe.enters.push(performance.now()); }, true);
  window.addEventListener('input', () => probe.inputs.push(performance.now()), true);
})();`;

const READ_PROBE = `(() => ({
  ...window.__entrenarBench,
  marks: performance.getEntriesByType('mark').filter((m) => m.name.startsWith('entrenar:'))
    .map((m) => ({ name: m.name, t: m.startTime, key: m.detail && m.detail.key, draws: m.detail && m.detail.draws })),
  now: performance.now(),
}))()`;

async function readProbe(page: Page): Promise<ProbeState> {
  return page.evaluate<ProbeState>(READ_PROBE);
}

/** A chart draw as the benchmark sees it: the time of its chart-drawn mark, with the attributes it left. */
interface DrawEvent extends ChartSnapshot {
  /** false when the draw left attributes but no matching mark (then `t` is when the attributes changed). */
  marked: boolean;
}

function drawsOf(probe: ProbeState, key: string): DrawEvent[] {
  const marks = probe.marks.filter((mark) => mark.name === 'entrenar:chart-drawn' && mark.key === key);
  return probe.charts
    .filter((chart) => chart.key === key)
    .map((chart) => {
      // The mark of this draw: same draw count, made before the observer saw its attributes.
      const mark = marks.filter((m) => m.draws === chart.draws && m.t <= chart.t + 1).at(-1);
      return { ...chart, t: mark ? mark.t : chart.t, marked: mark !== undefined };
    });
}

/** Uncaught errors of each page, quoted when a wait times out. */
const pageErrors = new WeakMap<Page, string[]>();

/** Polls the probe until `found` returns a value; the message says what never happened. */
async function waitForProbe<T>(page: Page, what: string, found: (probe: ProbeState) => T | undefined, timeoutMs = WAIT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const probe = await readProbe(page);
    const value = found(probe);
    if (value !== undefined) {
      return value;
    }
    if (Date.now() > deadline) {
      const errors = pageErrors.get(page) ?? [];
      const uncaught = errors.length > 0 ? `; the page threw: ${errors.slice(0, 3).join(' | ')}` : '';
      throw new Error(`no ${what} within ${timeoutMs / 1000} s${hintFor(probe)}${uncaught}`);
    }
    await sleep(50);
  }
}

/** A hint for a timeout: a page without the instrumentation is most likely a placeholder. */
function hintFor(probe: ProbeState): string {
  if (probe.marks.length === 0 && probe.charts.length === 0) {
    return ' (the page made no entrenar:* mark and drew no chart: is it still a placeholder without the WEB.md instrumentation?)';
  }
  return '';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function newPage(browser: Browser): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: VIEWPORT });
  await context.addInitScript({ content: PROBE_SCRIPT });
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  const errors: string[] = [];
  pageErrors.set(page, errors);
  page.on('pageerror', (error) => errors.push(error.message));
  return { context, page };
}

// ---------------------------------------------------------------------------------------------
// Seeding through the public API.

/** Runs `work(index)` for 0..count-1 over `connections` parallel workers. */
async function inParallel(count: number, connections: number, work: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (next < count) {
        const index = next++;
        await work(index);
      }
    }),
  );
}

async function postText(url: string, body: string): Promise<void> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const text = await response.text();
  if (!response.ok) {
    throw new Error(`POST ${url} → ${response.status}: ${text.slice(0, 300)}`);
  }
}

/** A loss curve with noise, a 20× spike at SPIKE_STEP; one point every 10 ms of wall time. */
function lossBatchBody(firstStep: number, count: number, startMs: number): string {
  const parts: string[] = [];
  for (let step = firstStep; step < firstStep + count; step++) {
    const curve = 2.3 * Math.exp(-step / 150_000) + 0.08;
    const value = step === SPIKE_STEP ? curve * 20 : curve * (1 + 0.05 * (Math.random() - 0.5));
    parts.push(`{"key":"${METRIC_KEY}","step":${step},"value":${value},"timestamp":${startMs + step * 10}}`);
  }
  return `{"metrics":[${parts.join(',')}]}`;
}

interface Seeded {
  longExperimentId: string;
  longRunId: string;
  bigExperimentId: string;
  liveExperimentId: string;
  liveRunId: string;
  seconds: { longMetric: number; runs: number };
}

async function createExperiment(url: string, name: string): Promise<string> {
  return ((await postJson(`${url}/api/v1/experiments`, { name })) as { id: string }).id;
}

async function createRun(url: string, experimentId: string, name: string, start: boolean): Promise<string> {
  const run = (await postJson(`${url}/api/v1/runs`, { experiment_id: experimentId, name })) as { id: string };
  if (start) {
    await postJson(`${url}/api/v1/runs/${run.id}/start`, {});
  }
  return run.id;
}

async function seed(url: string): Promise<Seeded> {
  const stamp = Date.now();
  // (a) one run with a 1,000,000-point metric, in the largest batches the server takes.
  const longExperimentId = await createExperiment(url, `bench-web-long-${stamp}`);
  const longRunId = await createRun(url, longExperimentId, 'one-million-steps', true);
  const longStarted = performance.now();
  const startMs = stamp - SERIES_POINTS * 10;
  await inParallel(SERIES_POINTS / BATCH_POINTS, SEED_CONNECTIONS, (batch) =>
    postText(`${url}/api/v1/runs/${longRunId}/metrics/batch`, lossBatchBody(batch * BATCH_POINTS, BATCH_POINTS, startMs)),
  );
  await postJson(`${url}/api/v1/runs/${longRunId}/complete`, { status: 'success' });
  const longSeconds = (performance.now() - longStarted) / 1000;
  console.log(`seeded ${fmt(SERIES_POINTS)} points of "${METRIC_KEY}" in ${fmt(longSeconds, 1)} s`);

  // (b) an experiment with RUNS runs, 3 params and 3 metrics each, as an MLflow client logs them.
  const bigExperimentId = await createExperiment(url, `bench-web-runs-${stamp}`);
  const runsStarted = performance.now();
  const optimizers = ['adam', 'sgd', 'adamw'];
  await inParallel(RUNS, 8, async (index) => {
    const startTime = stamp - (RUNS - index) * 60_000;
    const created = (await postJson(`${url}/ajax-api/2.0/mlflow/runs/create`, {
      experiment_id: bigExperimentId,
      run_name: `run-${index}`,
      start_time: startTime,
    })) as { run: { info: { run_id: string } } };
    const runId = created.run.info.run_id;
    const loss = 0.1 + ((index * 7919) % 1000) / 1000;
    await postJson(`${url}/ajax-api/2.0/mlflow/runs/log-batch`, {
      run_id: runId,
      params: [
        { key: 'lr', value: String([0.1, 0.01, 0.001, 0.0001][index % 4]) },
        { key: 'batch_size', value: String([32, 64, 128][index % 3]) },
        { key: 'optimizer', value: optimizers[index % 3] },
      ],
      metrics: [
        { key: 'loss', value: loss, timestamp: startTime + 50_000, step: 1000 },
        { key: 'accuracy', value: 1 - loss / 2, timestamp: startTime + 50_000, step: 1000 },
        { key: 'f1', value: 0.9 - loss / 3, timestamp: startTime + 50_000, step: 1000 },
      ],
    });
    await postJson(`${url}/ajax-api/2.0/mlflow/runs/update`, { run_id: runId, status: 'FINISHED', end_time: startTime + 55_000 });
  });
  const runsSeconds = (performance.now() - runsStarted) / 1000;
  console.log(`seeded ${fmt(RUNS)} runs (3 params, 3 metrics each) in ${fmt(runsSeconds, 1)} s`);

  // (c) a running run, for the live measurement, with some history so its chart exists.
  const liveExperimentId = await createExperiment(url, `bench-web-live-${stamp}`);
  const liveRunId = await createRun(url, liveExperimentId, 'live', true);
  const history = Array.from({ length: 50 }, (_, step) => ({ key: LIVE_KEY, step, value: 1 / (step + 1), timestamp: Date.now() }));
  await postJson(`${url}/api/v1/runs/${liveRunId}/metrics/batch`, { metrics: history });
  return {
    longExperimentId,
    longRunId,
    bigExperimentId,
    liveExperimentId,
    liveRunId,
    seconds: { longMetric: longSeconds, runs: runsSeconds },
  };
}

// ---------------------------------------------------------------------------------------------
// Measurements.

interface Measurement {
  name: string;
  unit: 'ms' | 'KiB';
  samples: number[];
  /** Which statistic the target applies to. */
  stat: 'p50' | 'p95' | 'value';
  target: number;
  notes: string[];
  error?: string;
}

function measurement(name: string, stat: Measurement['stat'], target: number, unit: Measurement['unit'] = 'ms'): Measurement {
  return { name, unit, samples: [], stat, target, notes: [] };
}

function runUrl(base: string, experimentId: string, runId: string): string {
  return `${base}/#/experiments/${encodeURIComponent(experimentId)}/runs/${encodeURIComponent(runId)}`;
}

/** The first draw of `key` with data in it, at or after `since` (page clock). */
function firstDataDraw(probe: ProbeState, key: string, since: number): DrawEvent | undefined {
  return drawsOf(probe, key).find((draw) => draw.t >= since && draw.points > 0);
}

function noteUnmarked(target: Measurement, draw: DrawEvent): void {
  const note = 'a chart draw changed data-* attributes without an entrenar:chart-drawn mark (timed from the attributes)';
  if (!draw.marked && !target.notes.includes(note)) {
    target.notes.push(note);
  }
}

/** Navigation start → first chart-drawn mark of the 1M-point metric, in a new browser context each time. */
async function measureRunPageFresh(browser: Browser, url: string, seeded: Seeded, result: Measurement): Promise<void> {
  const target = runUrl(url, seeded.longExperimentId, seeded.longRunId);
  for (let rep = -1; rep < REPS; rep++) {
    const { context, page } = await newPage(browser);
    try {
      await page.goto(target);
      const draw = await waitForProbe(page, `chart-drawn mark of "${METRIC_KEY}" with data`, (probe) =>
        firstDataDraw(probe, METRIC_KEY, 0),
      );
      noteUnmarked(result, draw);
      if (rep >= 0) {
        result.samples.push(draw.t);
      } else {
        result.notes.push(`${fmt(draw.points)} x values drawn`);
      }
    } finally {
      await context.close();
    }
  }
}

/** The same page shown by a hash change from the experiments list (the app already loaded). */
async function measureRunPageInApp(browser: Browser, url: string, seeded: Seeded, result: Measurement): Promise<void> {
  const { context, page } = await newPage(browser);
  try {
    await page.goto(`${url}/#/`);
    await sleep(500);
    const hash = `#/experiments/${encodeURIComponent(seeded.longExperimentId)}/runs/${encodeURIComponent(seeded.longRunId)}`;
    for (let rep = -1; rep < REPS; rep++) {
      const started = await page.evaluate<number>(
        `(() => { const t = performance.now(); location.hash = ${JSON.stringify(hash)}; return t; })()`,
      );
      const draw = await waitForProbe(page, `chart-drawn mark of "${METRIC_KEY}" after an in-app navigation`, (probe) =>
        firstDataDraw(probe, METRIC_KEY, started),
      );
      noteUnmarked(result, draw);
      if (rep >= 0) {
        result.samples.push(draw.t - started);
      }
      await page.evaluate(`location.hash = '#/'`);
      // (Polled with evaluate: waitForFunction would eval a string in the page, which its CSP forbids.)
      const deadline = Date.now() + WAIT_MS;
      while (await page.evaluate<boolean>(`document.querySelector('[data-testid="metric-chart"]') !== null`)) {
        if (Date.now() > deadline) {
          throw new Error('the run page stayed on screen after navigating back to #/');
        }
        await sleep(50);
      }
      await sleep(200);
    }
  } finally {
    await context.close();
  }
}

interface PlotBox {
  left: number;
  top: number;
  width: number;
  height: number;
}

async function plotBox(page: Page, key: string): Promise<PlotBox> {
  const box = await page.evaluate<PlotBox | null>(`(() => {
    const chart = [...document.querySelectorAll('[data-testid="metric-chart"]')].find((el) => el.dataset.metricKey === ${JSON.stringify(key)});
    const over = chart && chart.querySelector('.u-over');
    if (!over) return null;
    const r = over.getBoundingClientRect();
    return { left: r.left, top: r.top, width: r.width, height: r.height };
  })()`);
  if (!box || box.width < 50) {
    throw new Error(`the "${key}" chart has no uPlot plot area (.u-over) wide enough to drag on`);
  }
  return box;
}

interface ZoomOutcome {
  /** mouseup → first draw of re-queried data for the window. */
  requeried?: number;
  /** mouseup → first draw of any data with the window's x range (before the re-query lands). */
  firstRedraw?: number;
  span: number;
}

function spanOf(draw: ChartSnapshot): number {
  return draw.xMax - draw.xMin;
}

/** Drags over [from, to] (steps) on the chart; resolves when the data re-queried for that window is drawn. */
async function dragZoom(page: Page, key: string, from: number, to: number, current: ChartSnapshot): Promise<ZoomOutcome> {
  const box = await plotBox(page, key);
  const toX = (step: number) => box.left + ((step - current.xMin) / spanOf(current)) * box.width;
  const x0 = Math.max(box.left + 1, toX(from));
  const x1 = Math.min(box.left + box.width - 1, toX(to));
  const y = box.top + box.height / 2;
  const before = (await readProbe(page)).now;
  await page.mouse.move(x0, y);
  await page.mouse.down();
  await page.mouse.move((x0 + x1) / 2, y, { steps: 3 });
  await page.mouse.move(x1, y, { steps: 3 });
  await page.mouse.up();
  const wanted = to - from;
  const near = (draw: ChartSnapshot) => Math.abs(spanOf(draw) - wanted) <= wanted * 0.35;
  const isRequery = (fetch: FetchRecord) => fetch.url.includes(`/series`) && fetch.url.includes('start_step=');
  try {
    return await waitForProbe(page, `redraw of a ${fmt(wanted)}-step window with re-queried /series data`, (probe) => {
      const mouseUp = probe.mouseUps.filter((t) => t >= before).at(-1);
      if (mouseUp === undefined) {
        return undefined;
      }
      const draws = drawsOf(probe, key).filter((draw) => draw.t >= mouseUp && draw.points > 0 && near(draw));
      const answered = probe.fetches.filter((fetch) => fetch.started >= mouseUp && isRequery(fetch) && fetch.responded >= 0);
      const firstAnswer = answered.at(0)?.responded;
      const requeried = firstAnswer === undefined ? undefined : draws.find((draw) => draw.t >= firstAnswer);
      if (!requeried) {
        return undefined;
      }
      return { requeried: requeried.t - mouseUp, firstRedraw: (draws[0]?.t ?? requeried.t) - mouseUp, span: spanOf(requeried) };
    });
  } catch (error) {
    // Say whether the chart zoomed at all, to tell "no re-query" from "no zoom".
    const probe = await readProbe(page);
    const zoomed = drawsOf(probe, key).some((draw) => draw.t >= before && near(draw));
    const requested = probe.fetches.some((fetch) => fetch.started >= before && isRequery(fetch));
    throw new Error(
      `${(error as Error).message}; the chart ${zoomed ? 'did' : 'did not'} redraw a window of that width, ` +
        `and the page ${requested ? 'did' : 'did not'} request /series with start_step after the drag`,
      { cause: error },
    );
  }
}

/** Zooms from the full 1M steps to a 1,000-step window by dragging, in stages of drags at least 40 px wide. */
async function measureZoom(browser: Browser, url: string, seeded: Seeded, result: Measurement, instant: Measurement): Promise<void> {
  const { context, page } = await newPage(browser);
  try {
    await page.goto(runUrl(url, seeded.longExperimentId, seeded.longRunId));
    for (let rep = -1; rep < REPS; rep++) {
      if (rep > -1) {
        await page.reload();
      }
      let current = await waitForProbe(page, `chart-drawn mark of "${METRIC_KEY}" with data`, (probe) =>
        firstDataDraw(probe, METRIC_KEY, 0),
      );
      const width = (await plotBox(page, METRIC_KEY)).width;
      const center = SPIKE_STEP - 200 + (((rep + 1) * 37) % 400);
      // Intermediate windows, each at most width/40 times narrower, down to 10 steps a pixel-ish, then 1,000.
      const spans: number[] = [];
      for (let span = spanOf(current); span > 10 * ZOOM_WINDOW_STEPS;) {
        span = Math.max(10 * ZOOM_WINDOW_STEPS, Math.round((span * 40) / width));
        spans.push(span);
      }
      spans.push(ZOOM_WINDOW_STEPS);
      let outcome: ZoomOutcome | undefined;
      for (const span of spans) {
        outcome = await dragZoom(page, METRIC_KEY, center - span / 2, center + span / 2, current);
        current = drawsOf(await readProbe(page), METRIC_KEY).at(-1) ?? current;
      }
      if (rep >= 0 && outcome?.requeried !== undefined) {
        result.samples.push(outcome.requeried);
        instant.samples.push(outcome.firstRedraw ?? outcome.requeried);
      } else if (rep < 0 && outcome) {
        result.notes.push(
          `plot ${Math.round(width)} px wide; zoom stages ${spans.map((s) => fmt(s)).join(' → ')} steps; last window ${fmt(outcome.span)} steps`,
        );
      }
    }
  } finally {
    await context.close();
  }
}

/** Navigation start → first rows of the 10,000-run table; then a filter typed + Enter → its rows rendered. */
async function measureRunsTable(browser: Browser, url: string, seeded: Seeded, rows: Measurement, filter: Measurement): Promise<void> {
  let filterError: string | undefined;
  for (let rep = -1; rep < REPS; rep++) {
    const { context, page } = await newPage(browser);
    try {
      await page.goto(`${url}/#/experiments/${encodeURIComponent(seeded.bigExperimentId)}`);
      const visible = await waitForProbe(page, 'entrenar:runs-rows-visible mark', (probe) =>
        probe.marks.find((mark) => mark.name === 'entrenar:runs-rows-visible'),
      );
      if (rep >= 0) {
        rows.samples.push(visible.t);
      } else {
        const count = await page.getAttribute('[data-testid="runs-table"]', 'data-row-count');
        rows.notes.push(`data-row-count ${count ?? 'missing'} (of ${fmt(RUNS)} runs)`);
      }
      if (filterError) {
        continue;
      }
      try {
        // A different threshold each time, so each is a newly applied filter.
        const text = `params.optimizer = 'adam' AND metrics.loss < ${(0.3 + 0.02 * (rep + 1)).toFixed(2)}`;
        const box = page.getByRole('textbox', { name: 'Filter runs' }).or(page.locator('input[aria-label="Filter runs"]')).first();
        await box.fill(text);
        const typed = (await readProbe(page)).now;
        await box.press('Enter');
        const applied = await waitForProbe(page, `entrenar:runs-filter-applied mark for ${text}`, (probe) => {
          const mark = probe.marks.find((m) => m.name === 'entrenar:runs-filter-applied' && m.t >= typed - 1000);
          const enter = probe.enters.filter((t) => t >= typed).at(-1);
          const input = probe.inputs.filter((t) => t >= typed - 1000).at(0);
          if (!mark || enter === undefined) {
            return undefined;
          }
          // A page that filters as the user types applies it before Enter: then time it from the input.
          return mark.t >= enter ? { ms: mark.t - enter, from: 'Enter' } : { ms: mark.t - (input ?? mark.t), from: 'input' };
        });
        if (rep >= 0) {
          filter.samples.push(applied.ms);
        } else {
          await sleep(300);
          const count = await page.getAttribute('[data-testid="runs-table"]', 'data-row-count');
          filter.notes.push(`timed from ${applied.from}; "${text}" → data-row-count ${count ?? 'missing'}`);
        }
      } catch (error) {
        filterError = (error as Error).message;
      }
    } finally {
      await context.close();
    }
  }
  if (filterError) {
    filter.error = filterError;
  }
}

/** One point at a time through the API, sent from inside the page; until the chart's data-last-step reaches it. */
async function measureLive(browser: Browser, url: string, seeded: Seeded, result: Measurement): Promise<void> {
  const { context, page } = await newPage(browser);
  try {
    await page.goto(runUrl(url, seeded.liveExperimentId, seeded.liveRunId));
    await waitForProbe(page, `chart-drawn mark of "${LIVE_KEY}" with its 50 points`, (probe) =>
      drawsOf(probe, LIVE_KEY).find((draw) => draw.lastStep >= 49),
    );
    // Give the page its event stream before the first point.
    const subscribed = await waitForProbe(
      page,
      'events request',
      (probe) => probe.fetches.find((fetch) => fetch.url.includes(`/runs/${seeded.liveRunId}/events`) && fetch.responded >= 0),
      3000,
    ).catch(() => null);
    if (!subscribed) {
      result.notes.push(`the page made no answered request to /api/v1/runs/${seeded.liveRunId}/events within 3 s`);
    }
    const metricsUrl = `/api/v1/runs/${encodeURIComponent(seeded.liveRunId)}/metrics`;
    const firstStep = 50;
    for (let index = 0; index < LIVE_POINTS; index++) {
      const step = firstStep + index;
      const body = JSON.stringify({ key: LIVE_KEY, step, value: 1 / (step + 1) });
      const status = await page.evaluate<number>(`(async () => {
        window.__entrenarBench.sent[${step}] = performance.now();
        const response = await fetch(${JSON.stringify(metricsUrl)}, { method: 'POST', headers: { 'content-type': 'application/json' }, body: ${JSON.stringify(body)} });
        return response.status;
      })()`);
      if (status !== 201) {
        throw new Error(`logging step ${step} from the page answered ${status}`);
      }
      await sleep(LIVE_INTERVAL_MS);
    }
    const lastStep = firstStep + LIVE_POINTS - 1;
    const probe = await waitForProbe(
      page,
      `chart showing step ${lastStep}`,
      (state) => (drawsOf(state, LIVE_KEY).some((draw) => draw.lastStep >= lastStep) ? state : undefined),
      5000,
    ).catch(() => readProbe(page));
    const draws = drawsOf(probe, LIVE_KEY);
    let missing = 0;
    for (let step = firstStep; step <= lastStep; step++) {
      const sent = probe.sent[String(step)];
      const shown = draws.find((draw) => draw.t >= sent && draw.lastStep >= step);
      if (shown) {
        result.samples.push(shown.t - sent);
      } else {
        missing++;
        result.samples.push(Number.POSITIVE_INFINITY);
      }
    }
    if (missing > 0) {
      result.notes.push(`${missing} of ${LIVE_POINTS} points never appeared on the chart (counted as ∞)`);
    }
    await postJson(`${url}/api/v1/runs/${seeded.liveRunId}/complete`, { status: 'success' });
  } finally {
    await context.close();
  }
}

/** Response body size of `url` as sent with the given accept-encoding (the bytes on the wire, not decoded). */
function wireSize(url: string, encoding: string): Promise<{ bytes: number; encoding: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers: { 'accept-encoding': encoding } }, (response) => {
        let bytes = 0;
        response.on('data', (chunk: Buffer) => (bytes += chunk.length));
        response.on('end', () => resolve({ bytes, encoding: String(response.headers['content-encoding'] ?? 'identity') }));
        response.on('error', reject);
      })
      .on('error', reject);
  });
}

/** The JS the browser loads to show `/`, summed as the server sends it gzipped (and brotli, for the record). */
async function measureJs(browser: Browser, url: string, result: Measurement): Promise<void> {
  const { context, page } = await newPage(browser);
  const scripts = new Set<string>();
  page.on('response', (response) => {
    const request = response.request();
    if (request.resourceType() === 'script' || new URL(response.url()).pathname.endsWith('.js')) {
      scripts.add(response.url());
    }
  });
  try {
    await page.goto(`${url}/`);
    // Lazy chunks of the first page load after it: wait until no new script for a second.
    let seen = -1;
    for (let waited = 0; waited < 10_000 && seen !== scripts.size; waited += 1000) {
      seen = scripts.size;
      await sleep(1000);
    }
  } finally {
    await context.close();
  }
  if (scripts.size === 0) {
    throw new Error('the page loaded no JavaScript');
  }
  let gzip = 0;
  let brotli = 0;
  let raw = 0;
  for (const script of scripts) {
    const gz = await wireSize(script, 'gzip');
    if (gz.encoding !== 'gzip') {
      result.notes.push(`${new URL(script).pathname} was not sent gzipped (${gz.encoding})`);
    }
    gzip += gz.bytes;
    brotli += (await wireSize(script, 'br')).bytes;
    raw += (await wireSize(script, 'identity')).bytes;
  }
  result.samples.push(gzip / KIB);
  result.notes.push(
    `${scripts.size} file(s): ${[...scripts].map((s) => new URL(s).pathname).join(', ')}; ` +
      `brotli ${fmt(brotli / KIB, 1)} KiB, uncompressed ${fmt(raw / KIB, 1)} KiB`,
  );
}

/** The API calls behind the pages, timed from Node (no browser): tells the server's share from the page's. */
async function measureApi(url: string, seeded: Seeded, search: Measurement, series: Measurement): Promise<void> {
  const timedFetch = async (input: string, init?: RequestInit): Promise<number> => {
    const started = performance.now();
    const response = await fetch(input, init);
    await response.arrayBuffer();
    if (!response.ok) {
      throw new Error(`${input} answered ${response.status}`);
    }
    return performance.now() - started;
  };
  const searchBody = JSON.stringify({ experiment_ids: [seeded.bigExperimentId], max_results: 50_000 });
  const seriesUrl = `${url}/api/v1/runs/${seeded.longRunId}/metrics/${METRIC_KEY}/series?points=1000`;
  for (let rep = -1; rep < Math.min(REPS, 5); rep++) {
    const searchMs = await timedFetch(`${url}/ajax-api/2.0/mlflow/runs/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: searchBody,
    });
    const seriesMs = await timedFetch(seriesUrl);
    if (rep >= 0) {
      search.samples.push(searchMs);
      series.samples.push(seriesMs);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Report.

interface Summary {
  name: string;
  n: number;
  p50: number;
  p95: number;
  max: number;
  unit: string;
  target: string;
  pass: boolean | null;
  notes: string[];
  error?: string;
  samples: number[];
}

function summarize(result: Measurement): Summary {
  const sorted = [...result.samples].sort((a, b) => a - b);
  const p50 = percentile(sorted, 50);
  const p95 = percentile(sorted, 95);
  const max = sorted.at(-1) ?? NaN;
  const judged = result.stat === 'p95' ? p95 : p50;
  const complete = !result.error && sorted.length > 0;
  return {
    name: result.name,
    n: sorted.length,
    p50,
    p95,
    max,
    unit: result.unit,
    target:
      result.target <= 0
        ? '—'
        : result.stat === 'value'
          ? `< ${result.target} ${result.unit}`
          : `${result.stat} < ${fmt(result.target)} ${result.unit}`,
    pass: result.target > 0 ? (complete ? judged < result.target : false) : null,
    notes: result.notes,
    error: result.error,
    samples: result.samples.map((sample) => (Number.isFinite(sample) ? Math.round(sample * 10) / 10 : sample)),
  };
}

function cell(value: number, unit: string): string {
  if (Number.isNaN(value)) {
    return '—';
  }
  if (!Number.isFinite(value)) {
    return '∞';
  }
  return `${fmt(value, unit === 'KiB' ? 1 : 0)} ${unit}`;
}

function printTable(summaries: Summary[]): void {
  const rows = [
    ['measurement', 'n', 'p50', 'p95', 'max', 'target', 'result'],
    ...summaries.map((s) => [
      s.name,
      String(s.n),
      cell(s.p50, s.unit),
      cell(s.p95, s.unit),
      cell(s.max, s.unit),
      s.target,
      s.error ? 'ERROR' : s.pass === null ? 'info' : s.pass ? 'pass' : 'MISSED',
    ]),
  ];
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  for (const [index, row] of rows.entries()) {
    console.log(
      row.map((text, column) => (column === 0 || column === 5 ? text.padEnd(widths[column]) : text.padStart(widths[column]))).join('  '),
    );
    if (index === 0) {
      console.log(widths.map((width) => '-'.repeat(width)).join('  '));
    }
  }
  for (const s of summaries) {
    for (const note of s.notes) {
      console.log(`  ${s.name}: ${note}`);
    }
    if (s.error) {
      console.log(`  ${s.name}: ERROR ${s.error}`);
    }
  }
}

async function main(): Promise<void> {
  const started = new Date();
  if (!existsSync(path.resolve('dist/web/index.html'))) {
    throw new Error('dist/web/index.html is missing: `npm run build` builds the dashboard (npm run bench:web does)');
  }
  let server: ServerProcess | undefined;
  let browser: Browser | undefined;
  const cleanUp = async () => {
    await browser?.close().catch(() => undefined);
    browser = undefined;
    await server?.stop().catch(() => undefined);
    server = undefined;
  };
  const onSignal = () => {
    console.log('\ninterrupted: stopping the browser and the server');
    void cleanUp().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const runFresh = measurement('run page, 1M-point chart drawn (new tab)', 'p50', 300);
  const runInApp = measurement('run page, 1M-point chart drawn (in-app nav)', 'p50', 300);
  const zoom = measurement('zoom to 1,000 steps, re-queried data drawn', 'p50', 100);
  const zoomInstant = measurement('zoom to 1,000 steps, first redraw', 'p50', 0);
  const rows = measurement(`${fmt(RUNS)}-run table, first rows visible`, 'p50', 500);
  const filter = measurement(`${fmt(RUNS)}-run table, filter applied`, 'p50', 200);
  const live = measurement('live point logged → on the chart', 'p95', 1000);
  const js = measurement('JS for the first page, gzipped', 'value', 250, 'KiB');
  const apiSearch = measurement(`API alone: runs/search of all ${fmt(RUNS)} runs`, 'p50', 0);
  const apiSeries = measurement('API alone: /series?points=1000 of the 1M metric', 'p50', 0);
  let seeded: Seeded | undefined;
  try {
    server = await startEntrenar();
    const url = server.url;
    console.log(`entrenar server at ${url} (SQLite in ${server.dataDir}); ${REPS} repetitions each`);
    const data = await seed(url);
    seeded = data;
    const chromium = await launchChromium();
    browser = chromium;
    const steps: [Measurement[], () => Promise<void>][] = [
      [[apiSearch, apiSeries], () => measureApi(url, data, apiSearch, apiSeries)],
      [[js], () => measureJs(chromium, url, js)],
      [[runFresh], () => measureRunPageFresh(chromium, url, data, runFresh)],
      [[runInApp], () => measureRunPageInApp(chromium, url, data, runInApp)],
      [[zoom, zoomInstant], () => measureZoom(chromium, url, data, zoom, zoomInstant)],
      [[rows, filter], () => measureRunsTable(chromium, url, data, rows, filter)],
      [[live], () => measureLive(chromium, url, data, live)],
    ];
    for (const [results, work] of steps) {
      console.log(`measuring: ${results.map((r) => r.name).join('; ')} …`);
      try {
        await work();
      } catch (error) {
        for (const result of results) {
          result.error ??= (error as Error).message;
        }
      }
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await cleanUp();
  }

  const summaries = [runFresh, runInApp, zoom, zoomInstant, rows, filter, live, js, apiSearch, apiSeries].map(summarize);
  console.log('');
  printTable(summaries);
  const missed = summaries.filter((s) => s.pass === false);
  console.log(
    missed.length === 0
      ? '\nevery target met'
      : `\n${missed.length} target(s) missed: ${missed.map((s) => `${s.name}${s.error ? ' (error)' : ''}`).join('; ')}`,
  );

  const finished = new Date();
  const resultsDir = path.resolve('bench/results');
  mkdirSync(resultsDir, { recursive: true });
  const stamp = started.toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const file = path.join(resultsDir, `web-${stamp}.json`);
  const report = {
    benchmark: 'npm run bench:web',
    started: started.toISOString(),
    finished: finished.toISOString(),
    machine: { cores: os.availableParallelism(), cpu: os.cpus()[0]?.model ?? 'unknown CPU', node: process.version },
    settings: {
      repetitions: REPS,
      seriesPoints: SERIES_POINTS,
      runs: RUNS,
      batchPoints: BATCH_POINTS,
      livePoints: LIVE_POINTS,
      viewport: VIEWPORT,
    },
    seedSeconds: seeded?.seconds,
    measurements: summaries,
  };
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`results: ${path.relative(process.cwd(), file)}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
