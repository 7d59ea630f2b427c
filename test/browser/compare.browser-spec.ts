import type { Browser } from 'playwright-core';
import { DashboardServer, launchChromium, saveScreenshot, startDashboardServer } from './support/browser.js';
import { chart, paintedPixels, waitForDrawn } from './support/charts.js';

const RUN_COLORS = ['#2563eb', '#dc2626'];

describe('the compare page in Chromium', () => {
  let browser: Browser;
  let dashboard: DashboardServer;
  let experimentId: string;
  const runIds: string[] = [];

  beforeAll(async () => {
    [browser, dashboard] = await Promise.all([launchChromium(), startDashboardServer()]);
    experimentId = (await dashboard.api<{ id: string }>('POST', '/api/v1/experiments', { name: 'browser-compare' })).id;
    for (const [name, lr, scale] of [
      ['fast-lr', '0.01', 1],
      ['slow-lr', '0.001', 3],
    ] as const) {
      const run = await dashboard.api<{ id: string }>('POST', '/api/v1/runs', { experiment_id: experimentId, name });
      runIds.push(run.id);
      await dashboard.api('POST', `/api/v1/runs/${run.id}/metrics/batch`, {
        metrics: Array.from({ length: 2000 }, (_, step) => ({ key: 'loss', step, value: scale * Math.exp(-step / 400) + 0.1 })),
      });
      await dashboard.api('POST', `/api/v1/runs/${run.id}/params`, { key: 'lr', value: lr });
      await dashboard.api('POST', `/api/v1/runs/${run.id}/params`, { key: 'batch_size', value: '32' });
    }
  });
  afterAll(async () => {
    await browser?.close();
    await dashboard?.stop();
  });

  it('overlays both runs in one chart, one colour each, and highlights the param that differs', async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    // MLflow's own link format.
    const query = new URLSearchParams({ runs: JSON.stringify(runIds), experiments: JSON.stringify([experimentId]) });
    await page.goto(`${dashboard.url}/#/compare-runs?${query.toString()}`);
    await page.getByRole('heading', { level: 1, name: 'Compare 2 runs' }).waitFor();

    const loss = await waitForDrawn(page, 'loss');
    expect(await page.locator('[data-testid="metric-chart"]').count()).toBe(1);
    expect(loss.runIds).toEqual(runIds);
    expect(loss.lastStep).toBe(1999);
    expect(loss.lastValue).toBeCloseTo(Math.exp(-1999 / 400) + 0.1, 10);
    // The second run starts three times higher: the y range covers it, and both colours are painted.
    expect(loss.yMax).toBeGreaterThanOrEqual(3.1);
    const [first, second] = await paintedPixels(chart(page, 'loss'), RUN_COLORS);
    expect(first).toBeGreaterThan(100);
    expect(second).toBeGreaterThan(100);
    expect(await page.getByTestId('run-legend').getByRole('link').allTextContents()).toEqual(['fast-lr', 'slow-lr']);

    const diff = page.getByTestId('params-diff');
    expect(await diff.locator('[data-key="lr"]').getAttribute('data-differs')).toBe('true');
    expect(await diff.locator('[data-key="lr"]').getAttribute('class')).toBe('differs');
    expect(await diff.locator('[data-key="batch_size"]').getAttribute('data-differs')).toBe('false');
    expect(await diff.locator('[data-key="lr"] td').allTextContents()).toEqual(['0.01', '0.001']);
    // The scatter of the differing param against the metric has one point per run.
    expect(await page.getByTestId('scatter-chart').getAttribute('data-points')).toBe('2');
    await saveScreenshot(page, 'compare');

    await page.getByLabel(/Only differences/).check();
    await diff.locator('[data-key="batch_size"]').waitFor({ state: 'detached' });
    expect(await diff.getByTestId('param-row').count()).toBe(1);
    await page.close();
  });
});
