// Chromium for the dashboard benchmark and the README screenshots. The same launch as the browser
// tests (test/browser/support/browser.ts), repeated here because the build (tsconfig.build.json)
// leaves test/ out, and dist/bench must not import test code.
import { execFileSync } from 'node:child_process';
import { chromium, type Browser } from 'playwright-core';

/** Debian's chromium (apt-get install chromium), never a downloaded browser; ENTRENAR_CHROMIUM overrides the path. */
export function chromiumPath(): string {
  if (process.env.ENTRENAR_CHROMIUM) {
    return process.env.ENTRENAR_CHROMIUM;
  }
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      return execFileSync('which', [name], { encoding: 'utf8' }).trim();
    } catch {
      // try the next name
    }
  }
  throw new Error('no chromium on PATH: apt-get install -y chromium (or set ENTRENAR_CHROMIUM)');
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    // Containers have no user namespaces for the sandbox; the pages are our own.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  });
}
