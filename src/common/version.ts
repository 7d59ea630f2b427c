import { readFileSync } from 'node:fs';
import path from 'node:path';

/** Our package.json's folder and version, found once walking up from here (works from src/ and dist/). */
function findPackage(): { root: string; version: string } {
  let directory = import.meta.dirname;
  for (let depth = 0; depth < 6; depth++) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(directory, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'entrenar-tracking' && pkg.version) {
        return { root: directory, version: pkg.version };
      }
    } catch {
      // keep walking up
    }
    directory = path.dirname(directory);
  }
  return { root: process.cwd(), version: '0.0.0' };
}

const PACKAGE = findPackage();
export const VERSION = PACKAGE.version;
/** Where package.json is: built files live under its dist/. */
export const PACKAGE_ROOT = PACKAGE.root;
