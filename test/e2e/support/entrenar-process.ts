import { ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';

export const REPO_ROOT = path.resolve(import.meta.dirname, '../../..');
export const ENTRENAR_BIN = path.join(REPO_ROOT, 'bin', 'entrenar.js');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** A real `entrenar server` process (the built CLI), with everything it printed. */
export interface EntrenarProcess {
  url: string;
  port: number;
  child: ChildProcess;
  output(): string;
  /** SIGTERM and wait for exit; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL: the process gets no chance to flush or close anything. */
  kill(): Promise<void>;
}

export interface RunOptions {
  args?: string[];
  env?: Record<string, string>;
  /** Listen on this port (to restart a server where its clients expect it); default: a free one. */
  port?: number;
  /** Another copy's `bin/entrenar.js` (an unpacked npm package); default: this checkout's. */
  bin?: string;
}

/** Runs `entrenar <args>` to completion (for --help and refused configurations). */
export function runEntrenar(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [ENTRENAR_BIN, ...args], { env: { ...process.env, ...env }, cwd: REPO_ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Starts `entrenar server --host 127.0.0.1 --port <free> <args>` and waits until /health answers. */
export async function startEntrenar(options: RunOptions = {}): Promise<EntrenarProcess> {
  const port = options.port ?? (await freePort());
  const bin = options.bin ?? ENTRENAR_BIN;
  const child = spawn(process.execPath, [bin, 'server', '--host', '127.0.0.1', '--port', String(port), ...(options.args ?? [])], {
    env: { ...process.env, ...options.env },
    cwd: path.dirname(path.dirname(bin)),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`entrenar exited with ${child.exitCode} before answering:\n${output}`);
    }
    try {
      const response = await fetch(`${url}/health`);
      if (response.status === 200) {
        break;
      }
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`entrenar did not answer /health within 30 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    port,
    child,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
      }
      return exited;
    },
    kill: async () => {
      if (child.exitCode === null) {
        child.kill('SIGKILL');
      }
      await exited;
    },
  };
}

/** The flags that point a server at the storage under test. */
export function storageArgs(storage: { dataDir: string; databaseUrl: string }): string[] {
  return ['--data-dir', storage.dataDir, ...(storage.databaseUrl ? ['--database-url', storage.databaseUrl] : [])];
}
