import type { Browser } from 'playwright-core';
import { DashboardServer, launchChromium, saveScreenshot, startDashboardServer } from './support/browser.js';

const KEY = 'browser-shell-key-0123456789';

describe('the dashboard shell in Chromium, with --auth-type api_key', () => {
  let browser: Browser;
  let dashboard: DashboardServer;

  beforeAll(async () => {
    [browser, dashboard] = await Promise.all([launchChromium(), startDashboardServer({ apiKey: KEY })]);
  });
  afterAll(async () => {
    await browser?.close();
    await dashboard?.stop();
  });

  it('asks for the key once, keeps it for the session, and sends it as a Bearer header (never in a URL)', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const requests: { url: string; authorization?: string }[] = [];
    page.on('request', (request) => requests.push({ url: request.url(), authorization: request.headers().authorization }));
    await page.goto(`${dashboard.url}/`);
    const prompt = page.getByRole('dialog', { name: 'API key' });
    await prompt.waitFor();
    await saveScreenshot(page, 'api-key-prompt');
    await prompt.getByLabel('API key').fill(KEY);
    const sentBeforeTheKey = requests.length;
    await prompt.getByRole('button', { name: 'Use key' }).click();
    await prompt.waitFor({ state: 'detached' });
    // Another page of the same tab's session does not ask again.
    await page.goto(`${dashboard.url}/#/experiments/0`);
    await page.reload();
    // The experiment page holds a live event stream open, so the network never goes idle: wait for its runs instead.
    await page.locator('[data-testid="runs-table"][data-loading="false"]').waitFor();
    expect(await page.getByRole('dialog', { name: 'API key' }).count()).toBe(0);
    const apiCalls = requests.filter((request) => new URL(request.url).pathname.startsWith('/api/'));
    expect(apiCalls.length).toBeGreaterThan(0);
    expect(apiCalls.filter((request) => request.authorization === `Bearer ${KEY}`).length).toBeGreaterThan(0);
    // Every API call from the moment the key was given carries it, the reloaded page's included.
    const withTheKey = requests.slice(sentBeforeTheKey).filter((request) => new URL(request.url).pathname.startsWith('/api/'));
    expect(withTheKey.length).toBeGreaterThan(0);
    expect(withTheKey.filter((request) => request.authorization !== `Bearer ${KEY}`).map((request) => request.url)).toEqual([]);
    expect(requests.some((request) => request.url.includes(KEY))).toBe(false);
    await context.close();
  });

  it('loads nothing from another origin', async () => {
    const context = await browser.newContext({ extraHTTPHeaders: { authorization: `Bearer ${KEY}` } });
    const page = await context.newPage();
    const origins = new Set<string>();
    page.on('request', (request) => origins.add(new URL(request.url()).origin));
    await page.goto(`${dashboard.url}/`);
    await page.waitForLoadState('networkidle');
    expect([...origins]).toEqual([dashboard.url]);
    await context.close();
  });
});
