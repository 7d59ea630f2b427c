import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The package version, read once from the nearest package.json (works from src/ and dist/). */
function readVersion(): string {
  let directory = import.meta.dirname;
  for (let depth = 0; depth < 6; depth++) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(directory, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'entrenar-tracking' && pkg.version) {
        return pkg.version;
      }
    } catch {
      // keep walking up
    }
    directory = path.dirname(directory);
  }
  return '0.0.0';
}

export const VERSION = readVersion();
