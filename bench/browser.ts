// Chromium for the dashboard benchmark, the README screenshots and the browser tests (which import
// it from here: the build (tsconfig.build.json) leaves test/ out, so the shared copy lives in bench/).
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
