import { readFile } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { DashboardServer, launchChromium, saveScreenshot, startDashboardServer } from './support/browser.js';
import { chart, chartState, paintedPixels, solidPng, waitForChart, waitForDrawn } from './support/charts.js';

const FIRST_RUN_COLOR = '#2563eb';
const POINTS = 10_000;
const SPIKE_STEP = 4321;
const SPIKE = 1000;

function lossAt(step: number): number {
  return step === SPIKE_STEP ? SPIKE : 2 * Math.exp(-step / 3000) + 0.1;
}

describe('the run page in Chromium', () => {
  let browser: Browser;
  let dashboard: DashboardServer;
  let experimentId: string;
  let runId: string;
  let failedRunId: string;
  const model = Buffer.from(Array.from({ length: 70_000 }, (_, index) => (index * 31 + 7) % 256));

  const put = async (key: string, body: string | Buffer, type: string): Promise<void> => {
    const response = await fetch(`${dashboard.url}/api/v1/runs/${runId}/artifacts/${key}`, {
      method: 'PUT',
      headers: { 'content-type': type },
      body,
    });
    expect(response.status).toBe(201);
  };
  const logPoints = (run: string, metrics: { key: string; step: number; value: number }[]): Promise<unknown> =>
    dashboard.api('POST', `/api/v1/runs/${run}/metrics/batch`, { metrics });
  const openRun = async (page: Page, run = runId): Promise<void> => {
    // The link every MLflow client prints.
    await page.goto(`${dashboard.url}/#/experiments/${experimentId}/runs/${run}`);
  };

  beforeAll(async () => {
    [browser, dashboard] = await Promise.all([launchChromium(), startDashboardServer()]);
    experimentId = (await dashboard.api<{ id: string }>('POST', '/api/v1/experiments', { name: 'browser-run-page' })).id;
    runId = (await dashboard.api<{ id: string }>('POST', '/api/v1/runs', { experiment_id: experimentId, name: 'spiky-run' })).id;
    await dashboard.api('POST', `/api/v1/runs/${runId}/start`);
    for (let start = 0; start < POINTS; start += 5000) {
      await logPoints(
        runId,
        Array.from({ length: 5000 }, (_, index) => ({ key: 'loss/train', step: start + index, value: lossAt(start + index) })),
      );
    }
    // acc starts at 0: a log scale cannot show that point.
    await logPoints(
      runId,
      Array.from({ length: 50 }, (_, index) => ({ key: 'acc', step: index, value: index / 50 })),
    );
    await dashboard.api('POST', `/api/v1/runs/${runId}/params`, { key: 'learning_rate', value: '0.001' });
    await put('reports/summary.txt', 'epoch 1: loss 0.9\nepoch 2: loss 0.5\n', 'text/plain');
    await put('reports/config.json', JSON.stringify({ model: 'gpt2', layers: [1, 2] }), 'application/json');
    await put('reports/table.csv', 'step,loss,note\n1,0.9,"warm, up"\n2,0.5,"say ""hi"""\n', 'text/csv');
    await put('reports/curve.png', solidPng(40, 20, [220, 38, 38]), 'image/png');
    await put('model.bin', model, 'application/octet-stream');

    failedRunId = (await dashboard.api<{ id: string }>('POST', '/api/v1/runs', { experiment_id: experimentId, name: 'lost-run' })).id;
    await dashboard.api('POST', `/api/v1/runs/${failedRunId}/start`);
    await dashboard.api('POST', `/api/v1/runs/${failedRunId}/complete`, { status: 'failed', reason: 'no sign of life for 600 s' });
  });
  afterAll(async () => {
    await browser?.close();
    await dashboard?.stop();
  });

  let page: Page;
  beforeEach(async () => {
    page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
  });
  afterEach(async () => {
    await page.close();
  });

  it('opens by the MLflow link and draws every metric from its data, the spike inside a bucket included', async () => {
    await openRun(page);
    await page.getByRole('heading', { level: 1, name: 'spiky-run' }).waitFor();
    const loss = await waitForDrawn(page, 'loss/train');
    expect(loss.runIds).toEqual([runId]);
    // 10,000 points come back as at most one bucket per pixel.
    expect(loss.points).toBeGreaterThan(50);
    expect(loss.points).toBeLessThanOrEqual(1000);
    expect(loss.lastStep).toBe(POINTS - 1);
    expect(loss.lastValue).toBeCloseTo(lossAt(POINTS - 1), 10);
    // The spike is one point of 10,000 and the `last` of its bucket is not it: the band keeps it in view.
    expect(loss.yMax).toBeGreaterThanOrEqual(SPIKE);
    const [painted] = await paintedPixels(chart(page, 'loss/train'), [FIRST_RUN_COLOR]);
    expect(painted).toBeGreaterThan(100);
    const acc = await waitForDrawn(page, 'acc');
    expect(acc.lastStep).toBe(49);
    expect(acc.lastValue).toBeCloseTo(49 / 50, 10);
    const paramRow = page.getByRole('row', { name: /learning_rate/ });
    expect(await paramRow.getByRole('cell').textContent()).toBe('0.001');
    await saveScreenshot(page, 'run-page');
  });

  it('zooms by dragging: the window is fetched again in detail, and double-click goes back', async () => {
    const seriesRequests: URL[] = [];
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.pathname.endsWith('/series')) {
        seriesRequests.push(url);
      }
    });
    await openRun(page);
    const before = await waitForDrawn(page, 'loss/train');
    const overlay = chart(page, 'loss/train').locator('.u-over');
    const box = await overlay.boundingBox();
    if (!box) {
      throw new Error('no plot area');
    }
    // About 8% of the width around the spike.
    const spikeX = box.x + (box.width * (SPIKE_STEP - before.xMin)) / (before.xMax - before.xMin);
    await page.mouse.move(spikeX - box.width * 0.04, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(spikeX + box.width * 0.04, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    // The detail arrives after the instant zoom of the coarse data: wait for the window's many points.
    const zoomed = await waitForChart(
      page,
      'loss/train',
      (state) =>
        state.draws > before.draws && state.points > before.points / 2 && state.xMax - state.xMin < (before.xMax - before.xMin) / 5,
    );
    const zoomedRequest = seriesRequests.find((url) => url.searchParams.has('start_step') && url.searchParams.has('end_step'));
    expect(zoomedRequest).toBeDefined();
    expect(zoomed.draws).toBeGreaterThan(before.draws);
    expect(zoomed.xMax - zoomed.xMin).toBeLessThan((before.xMax - before.xMin) / 5);
    expect(zoomed.xMin).toBeLessThan(SPIKE_STEP);
    expect(zoomed.xMax).toBeGreaterThan(SPIKE_STEP);
    const start = Number(zoomedRequest?.searchParams.get('start_step'));
    const end = Number(zoomedRequest?.searchParams.get('end_step'));
    expect(start).toBeLessThanOrEqual(Math.ceil(zoomed.xMin));
    expect(end).toBeGreaterThanOrEqual(Math.floor(zoomed.xMax));
    // Full detail: about one point per step of the window (≤ 2 steps a bucket), the spike still on top.
    expect(zoomed.points).toBeGreaterThanOrEqual((end - start) / 2);
    expect(zoomed.yMax).toBeGreaterThanOrEqual(SPIKE);
    await saveScreenshot(page, 'run-page-zoomed');

    await overlay.dblclick();
    const reset = await waitForChart(page, 'loss/train', (state) => state.xMax >= POINTS - 1);
    expect(reset.xMax - reset.xMin).toBeGreaterThan((before.xMax - before.xMin) * 0.9);
  });

  it('switches to a log scale, and says which values it cannot show', async () => {
    await openRun(page);
    const linear = await waitForDrawn(page, 'acc');
    expect(linear.yMin).toBeLessThanOrEqual(0);
    await page.getByLabel('Log scale').check();
    await page.waitForURL(/log=1/);
    await chart(page, 'acc').getByText('1 value ≤ 0 not shown on the log scale.').waitFor();
    const log = await chartState(chart(page, 'acc'));
    expect(log.yMin).toBeGreaterThan(0);
    expect(log.lastValue).toBeCloseTo(49 / 50, 10);
    const [painted] = await paintedPixels(chart(page, 'acc'), [FIRST_RUN_COLOR]);
    expect(painted).toBeGreaterThan(50);
  });

  it('shows a failed run with its reason', async () => {
    await openRun(page, failedRunId);
    await page.getByRole('heading', { level: 1, name: 'lost-run' }).waitFor();
    expect(await page.getByTestId('run-status').textContent()).toBe('failed');
    expect(await page.getByTestId('status-reason').textContent()).toBe('failed — no sign of life for 600 s');
  });

  it('browses artifact folders, previews text, JSON, CSV and images, and downloads the exact bytes', async () => {
    await openRun(page);
    const browserSection = page.getByTestId('artifact-browser');
    await browserSection.getByRole('button', { name: 'reports/' }).click();
    await browserSection.getByRole('button', { name: 'Preview summary.txt' }).click();
    const preview = page.getByTestId('artifact-preview');
    await preview.locator('pre', { hasText: 'epoch 2: loss 0.5' }).waitFor();

    await browserSection.getByRole('button', { name: 'Preview config.json' }).click();
    await preview.locator('pre', { hasText: '"model": "gpt2"' }).waitFor();
    expect(await preview.locator('pre').textContent()).toBe(JSON.stringify({ model: 'gpt2', layers: [1, 2] }, null, 2));

    await browserSection.getByRole('button', { name: 'Preview table.csv' }).click();
    await preview.getByRole('cell', { name: 'warm, up' }).waitFor();
    expect(await preview.getByRole('columnheader').allTextContents()).toEqual(['step', 'loss', 'note']);
    expect(await preview.getByRole('cell', { name: 'say "hi"' }).count()).toBe(1);

    await browserSection.getByRole('button', { name: 'Preview curve.png' }).click();
    const image = preview.getByRole('img', { name: 'curve.png' });
    await image.waitFor();
    await page.waitForFunction('document.querySelector(".artifact-image")?.naturalWidth === 40');
    await saveScreenshot(page, 'artifacts-preview');

    await browserSection.getByRole('button', { name: 'artifacts' }).click();
    const size = browserSection.locator('[data-testid="artifact-row"][data-key="model.bin"] td.num');
    expect(await size.textContent()).toBe('68 KiB');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      browserSection.getByRole('button', { name: 'Download model.bin' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('model.bin');
    const saved = await readFile(await download.path());
    expect(saved.equals(model)).toBe(true);
  });

  it('follows a live run: points logged every 100 ms show without a reload', async () => {
    await openRun(page);
    const before = await waitForDrawn(page, 'loss/train');
    expect(before.lastStep).toBe(POINTS - 1);
    // Let the change stream connect before logging.
    await page.waitForTimeout(300);
    let step = POINTS - 1;
    for (let tick = 0; tick < 30; tick++) {
      step++;
      await logPoints(runId, [{ key: 'loss/train', step, value: 0.05 }]);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const after = await waitForChart(page, 'loss/train', (state) => state.lastStep === step, 5000);
    expect(after.lastValue).toBe(0.05);
    expect(after.xMax).toBeGreaterThanOrEqual(step);
    // A metric logged for the first time gets its chart.
    await logPoints(runId, [{ key: 'val/loss', step: 1, value: 0.7 }]);
    const fresh = await waitForDrawn(page, 'val/loss', 5000);
    expect(fresh.lastValue).toBe(0.7);
  });
});
