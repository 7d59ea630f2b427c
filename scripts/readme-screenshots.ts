// `npm run screenshots`: the README's pictures of the dashboard. Starts a real `entrenar server`
// (the build, SQLite in a temporary folder), seeds a small realistic demo through the public API
// (two experiments, 20 runs with lr/batch_size/optimizer and loss/accuracy over 2,000 steps, one
// failed run with its reason, one still running, artifacts of every previewable kind), opens
// Debian's chromium at 1366×800 and saves docs/screenshots/{experiments,runs,run,compare,run-dark}.png
// (another folder: `node dist/scripts/readme-screenshots.js <dir>`). Each shot waits for the page's
// instrumentation (WEB.md: rows visible, every chart drawn with data); a page that never gets there
// fails the script, and then no picture is written at all (all five or none, so a half-built
// dashboard never ends up in the README).
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../bench/browser.js';
import { postJson, startEntrenar, type ServerProcess } from '../bench/support.js';

const OUT_DIR = path.resolve(process.argv[2] ?? 'docs/screenshots');
const VIEWPORT = { width: 1366, height: 800 };
const STEPS = 2000;
const WAIT_MS = 30_000;
const SHOTS = ['experiments', 'runs', 'run', 'compare', 'run-dark'];

/** A fixed pseudo-random sequence, so the demo (and its pictures) come out the same every time. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

async function send(url: string, method: string, body: string | Buffer, contentType: string): Promise<void> {
  const response = await fetch(url, { method, headers: { 'content-type': contentType }, body });
  if (!response.ok) {
    throw new Error(`${method} ${url} → ${response.status}: ${(await response.text()).slice(0, 300)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Artifacts.

/** A PNG (8-bit RGB) drawn by `pixel(x, y)`, encoded by hand: signature, IHDR, one IDAT, IEND. */
function png(width: number, height: number, pixel: (x: number, y: number) => [number, number, number]): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const typed = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(typed));
    return Buffer.concat([length, typed, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // bit depth 8, colour type RGB, deflate, no filter, no interlace
  const rows = Buffer.alloc(height * (1 + width * 3));
  for (let y = 0; y < height; y++) {
    const row = y * (1 + width * 3); // each row starts with filter type 0
    for (let x = 0; x < width; x++) {
      rows.set(pixel(x, y), row + 1 + x * 3);
    }
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A 10-class confusion matrix as a heat map: strong diagonal, a little confusion between neighbours. */
function confusionMatrixPng(): Buffer {
  const classes = 10;
  const cell = 24;
  const next = random(7);
  const share: number[][] = Array.from({ length: classes }, (_, row) =>
    Array.from({ length: classes }, (_, column) =>
      row === column ? 0.75 + 0.2 * next() : Math.abs(row - column) === 1 ? 0.15 * next() : 0.03 * next(),
    ),
  );
  return png(classes * cell, classes * cell, (x, y) => {
    const row = Math.floor(y / cell);
    const column = Math.floor(x / cell);
    if (x % cell === 0 || y % cell === 0) {
      return [255, 255, 255];
    }
    const level = Math.min(1, share[row][column]);
    return [Math.round(247 - 239 * level), Math.round(251 - 203 * level), Math.round(255 - 148 * level)];
  });
}

// ---------------------------------------------------------------------------------------------
// The demo.

interface RunPlan {
  name: string;
  lr: number;
  batchSize: number;
  optimizer: string;
  /** Steps logged: STEPS, fewer for the failed and the running run. */
  steps: number;
  outcome: 'success' | 'failed' | 'running';
  reason?: string;
}

interface Demo {
  experimentId: string;
  bestRunId: string;
  compareRunIds: string[];
}

/** loss and accuracy every step: a noisy decaying curve whose floor depends on the hyper-parameters. */
function curves(plan: RunPlan, next: () => number, startedMs: number): string {
  const quality = Math.abs(Math.log10(plan.lr) + 2) * 0.35 + (plan.optimizer === 'sgd' ? 0.25 : 0) + (plan.batchSize === 256 ? 0.1 : 0);
  const floor = 0.18 + quality * 0.6;
  const speed = 250 + 500 * quality;
  const points: string[] = [];
  for (let step = 0; step < plan.steps; step++) {
    const loss = floor + 2.2 * Math.exp(-step / speed) + 0.06 * (next() - 0.5) * (1 + Math.exp(-step / 400));
    const accuracy = Math.min(0.995, 0.1 + (0.86 - quality * 0.3) * (1 - Math.exp(-step / (speed * 0.8))) + 0.02 * (next() - 0.5));
    const timestamp = startedMs + step * 1_800;
    points.push(`{"key":"loss","step":${step},"value":${loss},"timestamp":${timestamp}}`);
    points.push(`{"key":"accuracy","step":${step},"value":${accuracy},"timestamp":${timestamp}}`);
  }
  return `{"metrics":[${points.join(',')}]}`;
}

async function logRun(url: string, experimentId: string, plan: RunPlan, next: () => number): Promise<string> {
  const run = (await postJson(`${url}/api/v1/runs`, { experiment_id: experimentId, name: plan.name })) as { id: string };
  await postJson(`${url}/api/v1/runs/${run.id}/start`, {});
  for (const [key, value] of [
    ['lr', plan.lr],
    ['batch_size', plan.batchSize],
    ['optimizer', plan.optimizer],
  ] as const) {
    await postJson(`${url}/api/v1/runs/${run.id}/params`, { key, value });
  }
  await postJson(`${url}/ajax-api/2.0/mlflow/runs/set-tag`, {
    run_id: run.id,
    key: 'git_commit',
    value: `a1b2c3${Math.floor(next() * 1e6)}`,
  });
  const startedMs = Date.now() - plan.steps * 1_800;
  // Batches of at most 10,000 points (the server's default --max-batch-points): 2,000 steps × 2 keys each.
  await send(`${url}/api/v1/runs/${run.id}/metrics/batch`, 'POST', curves(plan, next, startedMs), 'application/json');
  if (plan.outcome !== 'running') {
    await postJson(`${url}/api/v1/runs/${run.id}/complete`, { status: plan.outcome, ...(plan.reason ? { reason: plan.reason } : {}) });
  }
  return run.id;
}

async function uploadArtifacts(url: string, runId: string, plan: RunPlan): Promise<void> {
  const put = (key: string, body: string | Buffer, contentType: string) =>
    send(`${url}/api/v1/runs/${runId}/artifacts/${key}`, 'PUT', body, contentType);
  const log = Array.from({ length: 40 }, (_, index) => {
    const step = (index + 1) * 50;
    return `2026-11-27 10:${String(Math.floor(index / 2)).padStart(2, '0')}:${index % 2 ? '30' : '00'} INFO step ${step} loss ${(0.3 + 2 * Math.exp(-step / 300)).toFixed(4)} lr ${plan.lr}`;
  });
  await put(
    'logs/train.log',
    `${['2026-11-27 10:00:00 INFO starting resnet50 on 4 GPUs', ...log, '2026-11-27 10:20:00 INFO done'].join('\n')}\n`,
    'text/plain',
  );
  await put(
    'config.json',
    `${JSON.stringify(
      {
        model: 'resnet50',
        dataset: 'imagenet-1k',
        optimizer: { name: plan.optimizer, lr: plan.lr, weight_decay: 0.0001 },
        batch_size: plan.batchSize,
        steps: STEPS,
        augment: { random_crop: 224, horizontal_flip: true, mixup: 0.2 },
      },
      null,
      2,
    )}\n`,
    'application/json',
  );
  const csv = ['epoch,loss,accuracy,val_loss,val_accuracy'];
  for (let epoch = 1; epoch <= 20; epoch++) {
    const loss = 0.3 + 2 * Math.exp(-epoch / 4);
    csv.push(
      [
        epoch,
        loss.toFixed(4),
        (0.9 - 0.8 * Math.exp(-epoch / 4)).toFixed(4),
        (loss + 0.05).toFixed(4),
        (0.88 - 0.8 * Math.exp(-epoch / 4)).toFixed(4),
      ].join(','),
    );
  }
  await put('metrics/eval.csv', `${csv.join('\n')}\n`, 'text/csv');
  await put('plots/confusion_matrix.png', confusionMatrixPng(), 'image/png');
}

async function seedDemo(url: string): Promise<Demo> {
  const next = random(2026);
  const vision = (
    (await postJson(`${url}/api/v1/experiments`, { name: 'resnet50-imagenet', config: { model: 'resnet50', dataset: 'imagenet-1k' } })) as {
      id: string;
    }
  ).id;
  const text = (
    (await postJson(`${url}/api/v1/experiments`, { name: 'bert-sentiment', config: { model: 'bert-base', dataset: 'sst2' } })) as {
      id: string;
    }
  ).id;
  const plans: RunPlan[] = [];
  const rates = [0.1, 0.03, 0.01, 0.003];
  const optimizers = ['sgd', 'adam', 'adamw'];
  for (let index = 0; index < 14; index++) {
    const lr = rates[index % rates.length];
    const optimizer = optimizers[index % optimizers.length];
    const batchSize = [64, 128, 256][Math.floor(index / 4) % 3];
    plans.push({ name: `resnet50-${optimizer}-lr${lr}-bs${batchSize}`, lr, batchSize, optimizer, steps: STEPS, outcome: 'success' });
  }
  plans.push({
    name: 'resnet50-adam-lr0.1-bs512',
    lr: 0.1,
    batchSize: 512,
    optimizer: 'adam',
    steps: 1412,
    outcome: 'failed',
    reason: 'CUDA out of memory at step 1412: tried to allocate 2.00 GiB (batch_size 512)',
  });
  plans.push({ name: 'resnet50-adamw-lr0.003-bs128-long', lr: 0.003, batchSize: 128, optimizer: 'adamw', steps: 1200, outcome: 'running' });
  const visionRuns: string[] = [];
  for (const plan of plans) {
    visionRuns.push(await logRun(url, vision, plan, next));
  }
  for (let index = 0; index < 4; index++) {
    const lr = [0.00005, 0.00003, 0.00002, 0.00001][index];
    await logRun(url, text, { name: `bert-base-lr${lr}`, lr, batchSize: 32, optimizer: 'adamw', steps: STEPS, outcome: 'success' }, next);
  }
  // adamw at lr 0.01 comes out best in these curves: the run page shows it, with its artifacts.
  const bestIndex = plans.findIndex((plan) => plan.optimizer === 'adamw' && plan.lr === 0.01 && plan.outcome === 'success');
  const bestRunId = visionRuns[bestIndex >= 0 ? bestIndex : 0];
  await uploadArtifacts(url, bestRunId, plans[bestIndex >= 0 ? bestIndex : 0]);
  const compareRunIds = [
    bestRunId,
    ...visionRuns.filter((id, index) => id !== bestRunId && plans[index].outcome === 'success').slice(0, 2),
  ];
  return { experimentId: vision, bestRunId, compareRunIds };
}

// ---------------------------------------------------------------------------------------------
// Pictures.

/** Every metric chart on the page drawn with data (WEB.md: data-points after each uPlot draw). */
const CHARTS_DRAWN = `(() => {
  const charts = [...document.querySelectorAll('[data-testid="metric-chart"]')];
  return charts.length > 0 && charts.every((chart) => Number(chart.dataset.points) > 0);
})()`;

const ROWS_VISIBLE = `(() => {
  const table = document.querySelector('[data-testid="runs-table"]');
  return performance.getEntriesByName('entrenar:runs-rows-visible').length > 0 && table !== null && table.dataset.loading === 'false'
    && document.querySelectorAll('[data-testid="run-row"]').length > 0;
})()`;

/**
 * Polls `expression` in the page until it is true. (page.waitForFunction evaluates a string with
 * eval inside the page, which the dashboard's Content-Security-Policy forbids; page.evaluate does not.)
 */
async function until(page: Page, expression: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await page.evaluate<boolean>(expression))) {
    if (Date.now() > deadline) {
      throw new Error(`not true within ${WAIT_MS / 1000} s: ${expression.replace(/\s+/g, ' ')}`);
    }
    await page.waitForTimeout(100);
  }
}

async function shoot(
  browser: Browser,
  directory: string,
  theme: 'light' | 'dark',
  name: string,
  url: string,
  ready: (page: Page) => Promise<void>,
): Promise<void> {
  const context = await browser.newContext({ viewport: VIEWPORT, deviceScaleFactor: 1, colorScheme: theme });
  await context.addInitScript({ content: `localStorage.setItem('entrenar.theme', ${JSON.stringify(theme)});` });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  try {
    await page.goto(url);
    try {
      await ready(page);
    } catch (error) {
      const thrown = errors.length > 0 ? `; the page threw: ${errors.slice(0, 3).join(' | ')}` : '';
      throw new Error(`${name}: the page at ${url} never got ready (${(error as Error).message.split('\n')[0]})${thrown}`, {
        cause: error,
      });
    }
    // Let the last frame (fonts, transitions) settle.
    await page.evaluate('document.fonts.ready.then(() => true)');
    await page.waitForTimeout(400);
    await page.screenshot({ path: path.join(directory, `${name}.png`) });
  } finally {
    await context.close();
  }
}

async function main(): Promise<void> {
  let server: ServerProcess | undefined;
  let browser: Browser | undefined;
  const staging = mkdtempSync(path.join(os.tmpdir(), 'entrenar-screenshots-'));
  try {
    server = await startEntrenar();
    const url = server.url;
    const demo = await seedDemo(url);
    console.log(`seeded the demo on ${url}`);
    browser = await launchChromium();
    const chartsDrawn = (page: Page) => until(page, CHARTS_DRAWN);
    const runUrl = `${url}/#/experiments/${encodeURIComponent(demo.experimentId)}/runs/${encodeURIComponent(demo.bestRunId)}`;
    await shoot(browser, staging, 'light', 'experiments', `${url}/#/`, (page) =>
      page.getByText('resnet50-imagenet').first().waitFor({ timeout: WAIT_MS }),
    );
    await shoot(browser, staging, 'light', 'runs', `${url}/#/experiments/${encodeURIComponent(demo.experimentId)}`, (page) =>
      until(page, ROWS_VISIBLE),
    );
    await shoot(browser, staging, 'light', 'run', runUrl, chartsDrawn);
    await shoot(
      browser,
      staging,
      'light',
      'compare',
      `${url}/#/compare-runs?runs=${encodeURIComponent(JSON.stringify(demo.compareRunIds))}`,
      chartsDrawn,
    );
    await shoot(browser, staging, 'dark', 'run-dark', runUrl, chartsDrawn);
    mkdirSync(OUT_DIR, { recursive: true });
    for (const name of SHOTS) {
      const file = path.join(OUT_DIR, `${name}.png`);
      copyFileSync(path.join(staging, `${name}.png`), file);
      console.log(`wrote ${path.relative(process.cwd(), file)}`);
    }
  } finally {
    await browser?.close();
    await server?.stop();
    rmSync(staging, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
