import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DashboardServer, launchChromium, saveScreenshot, startDashboardServer } from './support/browser.js';

/** One seeded run: what the test expects the table to show for it. */
interface SeededRun {
  id: string;
  name: string;
  lr: string;
  optimizer: string;
  loss: number;
  acc: number;
}

const OPTIMIZERS = ['adam', 'sgd', 'rmsprop'];
const LEARNING_RATES = ['0.1', '0.01', '0.001'];

async function createRun(dashboard: DashboardServer, experimentId: string, name: string, startTime: number): Promise<string> {
  const answer = await dashboard.api<{ run: { info: { run_id: string } } }>('POST', '/api/2.0/mlflow/runs/create', {
    experiment_id: experimentId,
    run_name: name,
    start_time: startTime,
  });
  return answer.run.info.run_id;
}

async function seedExperiment(
  dashboard: DashboardServer,
  name: string,
  count: number,
): Promise<{ experimentId: string; runs: SeededRun[] }> {
  const { experiment_id: experimentId } = await dashboard.api<{ experiment_id: string }>('POST', '/api/2.0/mlflow/experiments/create', {
    name,
  });
  const runs: SeededRun[] = [];
  const start = Date.now() - count * 60_000;
  for (let index = 0; index < count; index++) {
    const acc = ((index * 37) % 100) / 100;
    const run: SeededRun = {
      id: '',
      name: `run-${String(index).padStart(3, '0')}`,
      lr: LEARNING_RATES[index % 3],
      optimizer: OPTIMIZERS[Math.floor(index / 3) % 3],
      acc,
      loss: Math.round((1.5 - acc) * 1000) / 1000,
    };
    run.id = await createRun(dashboard, experimentId, run.name, start + index * 60_000);
    await dashboard.api('POST', '/api/2.0/mlflow/runs/log-batch', {
      run_id: run.id,
      params: [
        { key: 'lr', value: run.lr },
        { key: 'optimizer', value: run.optimizer },
      ],
      metrics: [
        { key: 'loss', value: run.loss, timestamp: start + index * 60_000, step: 0 },
        { key: 'acc', value: run.acc, timestamp: start + index * 60_000, step: 0 },
      ],
    });
    await dashboard.api('POST', '/api/2.0/mlflow/runs/update', {
      run_id: run.id,
      status: 'FINISHED',
      end_time: start + index * 60_000 + 5_000 + index * 1000,
    });
    runs.push(run);
  }
  return { experimentId, runs };
}

/** The little of a DOM element these tests read (the test tsconfig has no DOM lib). */
interface ElementLike {
  getAttribute(name: string): string | null;
}

/** Polls `read` until it returns `expected` (or `timeoutMs` passes), then asserts it. */
async function eventually<T>(read: () => Promise<T>, expected: T, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (value !== expected && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    value = await read();
  }
  expect(value).toBe(expected);
}

/** The ids of the columns shown, left to right. */
function shownColumns(page: Page): Promise<(string | null)[]> {
  return page
    .locator('thead [data-column-id]')
    .evaluateAll((buttons: ElementLike[]) => buttons.map((button) => button.getAttribute('data-column-id')));
}

/** The run ids of the rows in the DOM, top to bottom. */
function renderedRunIds(page: Page): Promise<string[]> {
  return page
    .locator('[data-testid="run-row"]')
    .evaluateAll((rows: ElementLike[]) => rows.map((row) => row.getAttribute('data-run-id') ?? ''));
}

/** Waits until the table has finished loading and shows `count` matching rows. */
async function waitForRows(page: Page, count: number): Promise<void> {
  await page.locator(`[data-testid="runs-table"][data-loading="false"][data-row-count="${count}"]`).waitFor();
}

describe('the experiments list and runs table in Chromium', () => {
  let browser: Browser;
  let dashboard: DashboardServer;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    [browser, dashboard] = await Promise.all([launchChromium(), startDashboardServer()]);
    context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
    page = await context.newPage();
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await dashboard?.stop();
  });

  it('shows, on a server with nothing logged, the three lines that log a first run to this very server', async () => {
    await page.goto(`${dashboard.url}/`);
    const code = page.getByLabel('Python code that logs a first run', { exact: true });
    await code.waitFor();
    expect((await code.innerText()).split('\n')).toEqual([
      'import mlflow',
      `mlflow.set_tracking_uri("${dashboard.url}")`,
      'with mlflow.start_run(): mlflow.log_metric("loss", 0.5)',
    ]);
    await saveScreenshot(page, 'experiments-empty');
  });

  describe('with an experiment of 30 runs', () => {
    let experimentId: string;
    let runs: SeededRun[];

    beforeAll(async () => {
      // Created first, so the sweep's runs make the sweep the more recently active.
      await dashboard.api('POST', '/api/2.0/mlflow/experiments/create', { name: 'an-idle-experiment' });
      ({ experimentId, runs } = await seedExperiment(dashboard, 'browser-sweep', 30));
    });

    it('lists the experiment with its run count, most recently active first, and searches by name', async () => {
      await page.goto(`${dashboard.url}/`);
      const row = page.locator(`[data-testid="experiment-row"][data-experiment-id="${experimentId}"]`);
      await row.waitFor();
      expect(await row.getByTestId('run-count').innerText()).toBe('30');
      const names = await page.locator('[data-testid="experiment-row"] td:first-child').allInnerTexts();
      expect(names.indexOf('browser-sweep')).toBeLessThan(names.indexOf('an-idle-experiment'));
      expect(await page.getByText('Log your first run').count()).toBe(0);
      await saveScreenshot(page, 'experiments');
      await page.getByLabel('Search experiments').fill('SWEEP');
      await eventually(() => page.locator('[data-testid="experiment-row"]').count(), 1);
      await row.getByRole('link', { name: 'browser-sweep' }).click();
      await page.waitForURL(`**/#/experiments/${experimentId}`);
      await page.getByRole('heading', { level: 1, name: 'browser-sweep' }).waitFor();
      await waitForRows(page, 30);
    });

    it('filters with the MLflow grammar on the server: the rows shown are exactly the matching runs', async () => {
      await page.goto(`${dashboard.url}/#/experiments/${experimentId}`);
      await waitForRows(page, 30);
      await saveScreenshot(page, 'runs-table');
      const filter = "metrics.acc > 0.5 and params.optimizer = 'adam'";
      const expected = runs.filter((run) => run.acc > 0.5 && run.optimizer === 'adam').map((run) => run.id);
      expect(expected.length).toBeGreaterThan(1);
      await page.getByLabel('Filter runs').fill(filter);
      await page.getByLabel('Filter runs').press('Enter');
      await waitForRows(page, expected.length);
      expect((await renderedRunIds(page)).sort()).toEqual(expected.slice().sort());
      expect(new URLSearchParams(new URL(page.url()).hash.split('?')[1]).get('filter')).toBe(filter);
    });

    it('shows a bad filter’s error under the box, pointing at the offending token', async () => {
      await page.goto(`${dashboard.url}/#/experiments/${experimentId}`);
      await waitForRows(page, 30);
      const bad = "metrics.acc > 0.5 or params.optimizer = 'adam'";
      await page.getByLabel('Filter runs').fill(bad);
      await page.getByLabel('Filter runs').press('Enter');
      const error = page.getByTestId('filter-error');
      await error.waitFor();
      const token = error.getByTestId('filter-error-token');
      expect(await token.innerText()).toBe('or');
      expect(await token.getAttribute('data-position')).toBe(String(bad.indexOf(' or ') + 1));
      expect(await error.innerText()).toMatch(/at position 18/);
      expect(await page.getByLabel('Filter runs').getAttribute('aria-invalid')).toBe('true');
      // The highlight sits under the token in the echoed filter: the caret's column is the token's.
      const caret = await error.locator('.filter-caret').innerText();
      expect(caret.indexOf('^')).toBe(18);
      await saveScreenshot(page, 'runs-filter-error');
    });

    it('sorts by a metric column on a header click (aria-sort), and keeps a chosen column after a reload', async () => {
      await page.goto(`${dashboard.url}/#/experiments/${experimentId}`);
      await waitForRows(page, 30);
      const lossHeader = page.locator('th', { has: page.locator('[data-column-id="metrics.loss"]') });
      await lossHeader.getByRole('button').click();
      expect(await lossHeader.getAttribute('aria-sort')).toBe('ascending');
      const ascending = runs.slice().sort((a, b) => a.loss - b.loss);
      const shown = await renderedRunIds(page);
      expect(shown.length).toBeGreaterThan(5);
      expect(shown).toEqual(ascending.slice(0, shown.length).map((run) => run.id));
      await lossHeader.getByRole('button').click();
      expect(await lossHeader.getAttribute('aria-sort')).toBe('descending');
      const firstLoss = await page.locator('[data-testid="run-row"]').first().locator('[data-column-id="metrics.loss"]').innerText();
      expect(Number(firstLoss)).toBe(Math.max(...runs.map((run) => run.loss)));
      expect(new URL(page.url()).hash).toContain('sort=metrics.loss%3Adesc');

      // Choose the columns: only params.lr and metrics.acc.
      await page.getByRole('button', { name: /^Columns/ }).click();
      const panel = page.getByRole('group', { name: 'Choose columns' });
      await panel.getByLabel('Search columns').fill('o');
      expect(await panel.getByRole('checkbox').count()).toBe(2); // metrics.loss, params.optimizer
      await panel.getByLabel('Search columns').fill('');
      for (const id of ['metrics.loss', 'params.optimizer']) {
        await panel.getByRole('checkbox', { name: id }).uncheck();
      }
      await panel.getByRole('button', { name: 'Done' }).click();
      const columnsNow = await shownColumns(page);
      expect(columnsNow).toEqual(['name', 'status', 'start_time', 'duration', 'metrics.acc', 'params.lr']);
      await page.reload();
      await waitForRows(page, 30);
      const columnsAfterReload = await shownColumns(page);
      expect(columnsAfterReload).toEqual(columnsNow);
    });

    it('selects runs with the checkbox and Space, and Compare opens the compare route with them', async () => {
      await page.goto(`${dashboard.url}/#/experiments/${experimentId}`);
      await waitForRows(page, 30);
      const compare = page.getByRole('button', { name: /^Compare/ });
      expect(await compare.isDisabled()).toBe(true);
      const [first, second] = await renderedRunIds(page);
      await page.locator(`[data-run-id="${first}"]`).getByRole('checkbox').check();
      const secondRow = page.locator(`[data-run-id="${second}"]`);
      await secondRow.focus();
      await page.keyboard.press('Space');
      expect(await secondRow.getAttribute('aria-selected')).toBe('true');
      expect(await compare.innerText()).toBe('Compare (2)');
      await compare.click();
      await page.waitForURL(/#\/compare-runs\?/);
      const query = new URLSearchParams(new URL(page.url()).hash.split('?')[1]);
      expect((JSON.parse(query.get('runs') ?? '[]') as string[]).sort()).toEqual([first, second].sort());
      expect(JSON.parse(query.get('experiments') ?? '[]')).toEqual([experimentId]);
    });

    it('live: a run created and logged while the page is open appears and its metric cell updates, without a reload', async () => {
      await page.goto(`${dashboard.url}/#/experiments/${experimentId}`);
      await waitForRows(page, 30);
      // Select a row and scroll four rows down: a live update may lose neither.
      const selectedId = (await renderedRunIds(page))[2];
      await page.locator(`[data-run-id="${selectedId}"]`).getByRole('checkbox').check();
      const scroller = page.locator('.runs-scroll');
      const topRowId = (await renderedRunIds(page))[4];
      await scroller.evaluate((element: { scrollTop: number }) => (element.scrollTop = 4 * 34));
      /** The run whose row is at the top of the scrolled view. */
      const rowAtTop = (): Promise<string | null> =>
        scroller.evaluate(
          (element: { scrollTop: number; querySelector(selector: string): ElementLike | null }) =>
            element.querySelector(`tr[data-index="${Math.round(element.scrollTop / 34)}"]`)?.getAttribute('data-run-id') ?? null,
        );
      expect(await rowAtTop()).toBe(topRowId);
      const navigations: string[] = [];
      page.on('framenavigated', (frame) => navigations.push(frame.url()));

      const runId = await createRun(dashboard, experimentId, 'live-run', Date.now());
      await dashboard.api('POST', '/api/2.0/mlflow/runs/log-metric', {
        run_id: runId,
        key: 'loss',
        value: 0.75,
        timestamp: Date.now(),
        step: 1,
      });
      const liveRow = page.locator(`[data-testid="run-row"][data-run-id="${runId}"]`);
      await liveRow.waitFor({ timeout: 10_000 });
      await eventually(() => liveRow.locator('[data-column-id="metrics.loss"]').innerText(), '0.75');
      expect(await liveRow.getByText('running', { exact: true }).count()).toBe(1);

      await dashboard.api('POST', '/api/2.0/mlflow/runs/log-metric', {
        run_id: runId,
        key: 'loss',
        value: 0.5,
        timestamp: Date.now(),
        step: 2,
      });
      await eventually(() => liveRow.locator('[data-column-id="metrics.loss"]').innerText(), '0.5');
      await waitForRows(page, 31);
      expect(await page.locator(`[data-run-id="${selectedId}"]`).getAttribute('aria-selected')).toBe('true');
      // The new run went in above the view; the rows being read did not move.
      expect(await rowAtTop()).toBe(topRowId);
      expect(navigations).toEqual([]);
    });
  });

  it('keeps only a window of rows in the DOM for 500 runs, and scrolls to the last', async () => {
    const { experiment_id: experimentId } = await dashboard.api<{ experiment_id: string }>('POST', '/api/2.0/mlflow/experiments/create', {
      name: 'five-hundred',
    });
    const start = Date.now() - 500_000;
    const ids: string[] = [];
    for (let index = 0; index < 500; index++) {
      ids.push(await createRun(dashboard, experimentId, `r${index}`, start + index * 1000));
    }
    await page.goto(`${dashboard.url}/#/experiments/${experimentId}`);
    await waitForRows(page, 500);
    const rendered = await page.locator('[data-testid="run-row"]').count();
    expect(rendered).toBeGreaterThan(10);
    expect(rendered).toBeLessThan(80);
    // Newest first: the oldest run is the last row, rendered once scrolled to the bottom.
    await page
      .locator('.runs-scroll')
      .evaluate((element: { scrollHeight: number; scrollTo(x: number, y: number): void }) => element.scrollTo(0, element.scrollHeight));
    await page.locator(`[data-run-id="${ids[0]}"]`).waitFor();
    expect(await page.locator('[data-testid="run-row"]').count()).toBeLessThan(80);
  });
});
