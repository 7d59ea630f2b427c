import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { createTestStorage, TestStorage } from '../../support/database.js';
import { EntrenarProcess, REPO_ROOT, startEntrenar, storageArgs } from '../../e2e/support/entrenar-process.js';

/** Where each browser test run leaves its screenshots (git-ignored; the README's come from `npm run screenshots`). */
export const SCREENSHOT_DIR = path.join(REPO_ROOT, 'test', 'browser', 'screenshots');

// One launch for the tests, the dashboard benchmark and the README screenshots.
export { chromiumPath, launchChromium } from '../../../bench/browser.js';

/** A real `entrenar server` on fresh storage, with a JSON helper for seeding through the public API. */
export interface DashboardServer {
  url: string;
  server: EntrenarProcess;
  storage: TestStorage;
  /** Calls the API (with the key when there is one); throws on a non-2xx answer. */
  api<T = unknown>(method: string, route: string, body?: unknown): Promise<T>;
  stop(): Promise<void>;
}

export async function startDashboardServer(options: { apiKey?: string; args?: string[] } = {}): Promise<DashboardServer> {
  const storage = await createTestStorage();
  const auth = options.apiKey ? ['--auth-type', 'api_key', '--api-key', options.apiKey] : [];
  const server = await startEntrenar({ args: [...storageArgs(storage), ...auth, ...(options.args ?? [])] });
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.apiKey) {
    headers.authorization = `Bearer ${options.apiKey}`;
  }
  return {
    url: server.url,
    server,
    storage,
    api: async <T>(method: string, route: string, body?: unknown): Promise<T> => {
      const response = await fetch(`${server.url}${route}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      if (!response.ok) {
        throw new Error(`${method} ${route} answered ${response.status}: ${text}`);
      }
      return (text ? JSON.parse(text) : undefined) as T;
    },
    stop: async () => {
      await server.stop();
      await storage.dispose();
    },
  };
}

/** Saves a full-page screenshot as <SCREENSHOT_DIR>/<name>.png. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  return file;
}
