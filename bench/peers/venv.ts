// The peers' Python environment: bench/.venv-peers (git-ignored), installed from PyPI with the
// pinned versions in bench/peers/requirements*.txt, and reinstalled only when one of those
// files changed (their SHA-256 is kept inside the venv), so a second run starts at once.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const VENV_DIR = path.resolve('bench/.venv-peers');
const REQUIREMENTS = 'bench/peers/requirements.txt';
/** Each installed with --no-deps into its own folder: see the comments in the files. */
const SIDE_PACKAGES = {
  fasttrackml: 'bench/peers/requirements-fasttrackml.txt',
  'mlflow-go': 'bench/peers/requirements-mlflow-go.txt',
} as const;
const STAMP = path.join(VENV_DIR, '.requirements.sha256');

export interface PeerEnvironment {
  /** bin/ of the venv (mlflow, python). */
  bin: string;
  python: string;
  /** FastTrackML's Go binary. */
  fml: string;
  /** Folder holding mlflow_go_backend, to put on PYTHONPATH of the mlflow-go peer only. */
  mlflowGoPath: string;
  /** Folder holding libmlflow-go-backend.so, for MLFLOW_GO_LIBRARY_PATH. */
  mlflowGoLibrary: string;
}

function requirementsHash(): string {
  const hash = createHash('sha256');
  for (const file of [REQUIREMENTS, ...Object.values(SIDE_PACKAGES)]) {
    hash.update(file).update(readFileSync(file));
  }
  return hash.digest('hex');
}

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (${result.error?.message ?? `exit ${result.status}`})`);
  }
}

function findPython(): string {
  for (const candidate of [process.env.PYTHON, 'python3.11', 'python3.12', 'python3.13', 'python3.10', 'python3']) {
    if (!candidate) {
      continue;
    }
    const probe = spawnSync(candidate, ['-c', 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)']);
    if (probe.status === 0) {
      return candidate;
    }
  }
  throw new Error('the peer benchmark needs Python 3.10 or newer for MLflow (set PYTHON=/path/to/python3)');
}

function environment(): PeerEnvironment {
  const bin = path.join(VENV_DIR, 'bin');
  return {
    bin,
    python: path.join(bin, 'python'),
    fml: path.join(VENV_DIR, 'side', 'fasttrackml', 'bin', 'fml'),
    mlflowGoPath: path.join(VENV_DIR, 'side', 'mlflow-go'),
    mlflowGoLibrary: path.join(VENV_DIR, 'side', 'mlflow-go-lib'),
  };
}

/** Creates or refreshes the venv when the requirements changed; returns where things are. */
export function ensurePeerEnvironment(): PeerEnvironment {
  const wanted = requirementsHash();
  const env = environment();
  const healthy = existsSync(env.python) && spawnSync(env.python, ['-c', 'import sys']).status === 0;
  if (healthy && existsSync(STAMP) && readFileSync(STAMP, 'utf8').trim() === wanted) {
    return env;
  }
  const started = performance.now();
  const python = findPython();
  console.log(`=== installing the peers into ${path.relative(process.cwd(), VENV_DIR)} (a few minutes, once)`);
  // A fresh venv each time the pins change, so it holds exactly what the files say.
  run(python, ['-m', 'venv', '--clear', VENV_DIR]);
  const pip = [env.python, '-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-input'];
  run(pip[0], [...pip.slice(1), '-r', REQUIREMENTS]);
  for (const [name, file] of Object.entries(SIDE_PACKAGES)) {
    const target = path.join(VENV_DIR, 'side', name);
    rmSync(target, { recursive: true, force: true });
    run(pip[0], [...pip.slice(1), '--no-deps', '--target', target, '-r', file]);
  }
  // mlflow-go-backend 0.2.2's Linux wheel ships its Go library under the macOS name
  // (libmlflow-go-backend.dylib) while its loader looks for the .so on Linux (and otherwise
  // tries to compile it with a Go toolchain). The file is a Linux ELF shared object: give it
  // the name the loader wants, in a folder named by MLFLOW_GO_LIBRARY_PATH.
  const shipped = path.join(env.mlflowGoPath, 'mlflow_go_backend');
  rmSync(env.mlflowGoLibrary, { recursive: true, force: true });
  mkdirSync(env.mlflowGoLibrary, { recursive: true });
  copyFileSync(path.join(shipped, 'libmlflow-go-backend.dylib'), path.join(env.mlflowGoLibrary, 'libmlflow-go-backend.so'));
  copyFileSync(path.join(shipped, 'libmlflow-go-backend.h'), path.join(env.mlflowGoLibrary, 'libmlflow-go-backend.h'));
  writeFileSync(STAMP, `${wanted}\n`);
  console.log(`=== peers installed in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return env;
}
