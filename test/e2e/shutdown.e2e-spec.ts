import { ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { createTestStorage, TestStorage } from '../support/database.js';
import { EntrenarProcess, freePort, REPO_ROOT, startEntrenar, storageArgs } from './support/entrenar-process.js';

const SECOND = 1000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Every process below `pid` (children, grandchildren…), from /proc. */
function descendantsOf(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    try {
      // /proc/<pid>/stat: "pid (command) state ppid …"; the command may contain spaces and parentheses.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parentOf.set(Number(entry), Number(fields[1]));
    } catch {
      // gone meanwhile
    }
  }
  const found: number[] = [];
  let frontier = [pid];
  while (frontier.length > 0) {
    const children = [...parentOf].filter(([, parent]) => frontier.includes(parent)).map(([child]) => child);
    found.push(...children);
    frontier = children;
  }
  return found;
}

function commandLineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function portAcceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await sleep(50);
  }
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

async function postJson(url: string, body: unknown): Promise<{ id: string }> {
  const response = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  expect(response.status).toBe(201);
  return (await response.json()) as { id: string };
}

async function createRun(url: string): Promise<string> {
  const experiment = await postJson(`${url}/api/v1/experiments`, { name: `shutdown-${Date.now()}` });
  const run = await postJson(`${url}/api/v1/runs`, { experiment_id: experiment.id, name: 'run' });
  return run.id;
}

/**
 * A raw artifact upload that the client holds open: its headers go out with "Expect: 100-continue",
 * so the server's 100 Continue proves it has the request; then `firstPart` of the body is sent and
 * the rest waits for finish().
 */
async function openUpload(
  url: string,
  runId: string,
  size: number,
  firstPart: number,
): Promise<{ finish(): void; response: Promise<{ status: number; body: string }>; abort(): void }> {
  const target = new URL(`${url}/api/v1/runs/${runId}/artifacts/checkpoints/model.bin?overwrite=true`);
  // Keep-alive, as clients ask by default: the server must still close the connection after
  // answering once it is stopping, or it would wait for the client to hang up.
  const request = http.request(target, {
    method: 'PUT',
    agent: new http.Agent({ keepAlive: true }),
    headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(size), Expect: '100-continue' },
  });
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    request.once('response', (incoming) => {
      let body = '';
      incoming.setEncoding('utf8');
      incoming.on('data', (chunk: string) => (body += chunk));
      incoming.once('end', () => resolve({ status: incoming.statusCode ?? 0, body }));
      incoming.once('error', reject);
    });
    request.once('error', reject);
  });
  // Rejections are asserted by the tests that expect them; keep others from going unhandled.
  response.catch(() => undefined);
  await new Promise<void>((resolve, reject) => {
    request.once('continue', () => resolve());
    request.once('error', reject);
  });
  request.write(Buffer.alloc(firstPart, 1));
  return {
    finish: () => request.end(Buffer.alloc(size - firstPart, 2)),
    response,
    abort: () => request.destroy(),
  };
}

describe('stopping the server', () => {
  let storage: TestStorage;

  beforeEach(async () => {
    storage = await createTestStorage();
  });

  afterEach(async () => {
    await storage.dispose();
  });

  describe('`npm start` (npm → sh → node, as a user runs it)', () => {
    let npm: ChildProcess | undefined;
    let serverPids: number[] = [];

    afterEach(() => {
      // Whatever a failed assertion left running.
      for (const pid of [...serverPids, ...(npm?.pid ? [npm.pid] : [])]) {
        if (isAlive(pid)) {
          process.kill(pid, 'SIGKILL');
        }
      }
    });

    it.each(['SIGTERM', 'SIGINT'] as const)('stops the node server it started when npm gets %s, gracefully', async (signal) => {
      const port = await freePort();
      // --ignore-scripts skips only `prestart` (the build, done before the e2e tier runs); the
      // `start` script itself runs as under `npm start`. npm and the server run on this test's node.
      npm = spawn('npm', ['start', '--ignore-scripts'], {
        cwd: REPO_ROOT,
        env: {
          ...process.env,
          PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}`,
          ENTRENAR_HOST: '127.0.0.1',
          ENTRENAR_PORT: String(port),
          ENTRENAR_DATA_DIR: storage.dataDir,
          ENTRENAR_DATABASE_URL: storage.databaseUrl,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      npm.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      npm.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const npmExited = exitOf(npm);
      await waitFor(
        'the server to answer /health',
        async () => {
          if (npm?.exitCode !== null) {
            throw new Error(`npm start exited early:\n${output}`);
          }
          return fetch(`http://127.0.0.1:${port}/health`).then(
            (response) => response.status === 200,
            () => false,
          );
        },
        30 * SECOND,
      );
      const npmPid = npm.pid as number;
      serverPids = descendantsOf(npmPid);
      expect(serverPids.map(commandLineOf)).toContainEqual(expect.stringMatching(/node .*bin\/entrenar\.js server/));

      process.kill(npmPid, signal);

      await waitFor('every process `npm start` started to exit', () => serverPids.every((pid) => !isAlive(pid)), 10 * SECOND);
      expect(await portAcceptsConnections(port)).toBe(false);
      expect(await npmExited).toEqual({ code: 0, signal: null });
      expect(output).toContain(`${signal}: no longer accepting requests`);
      expect(output).toMatch(/"context":"Shutdown","msg":"stopped"/);
    });
  });

  describe('requests in flight', () => {
    let server: EntrenarProcess | undefined;

    afterEach(async () => {
      await server?.kill();
      server = undefined;
    });

    it('lets an upload in flight at SIGTERM finish, refuses new connections meanwhile, then exits 0', async () => {
      server = await startEntrenar({ args: [...storageArgs(storage), '--shutdown-timeout-secs', '30'] });
      const runId = await createRun(server.url);
      const upload = await openUpload(server.url, runId, 64 * 1024, 1024);

      const exited = server.stop();
      await waitFor(
        'the server to announce the shutdown',
        () => server?.output().includes('SIGTERM: no longer accepting') ?? false,
        5 * SECOND,
      );
      expect(await portAcceptsConnections(server.port)).toBe(false);
      upload.finish();

      expect(await upload.response).toMatchObject({ status: 201 });
      expect(await exited).toBe(0);
      expect(server.output()).toContain(
        `waiting up to 30 s for 1 request in flight (1 upload in progress): PUT /api/v1/runs/${runId}/artifacts/checkpoints/model.bin`,
      );
      expect(server.output()).not.toContain('shutdown deadline');
    });

    it('logs the upload still in flight at the shutdown deadline as cut, without its query string, and exits 1', async () => {
      server = await startEntrenar({ args: storageArgs(storage), env: { ENTRENAR_SHUTDOWN_TIMEOUT_SECS: '1' } });
      const runId = await createRun(server.url);
      const upload = await openUpload(server.url, runId, 64 * 1024, 1024);
      const startedAt = Date.now();

      const code = await server.stop();

      expect(code).toBe(1);
      expect(Date.now() - startedAt).toBeGreaterThanOrEqual(900);
      const cut = server
        .output()
        .split('\n')
        .find((line) => line.includes('shutdown deadline'));
      expect(cut).toBeDefined();
      const entry = JSON.parse(cut as string) as { level: number; context: string; msg: string };
      expect(entry).toMatchObject({ level: 50, context: 'Shutdown' });
      expect(entry.msg).toMatch(
        new RegExp(
          `^shutdown deadline of 1 s passed: cutting 1 request in flight \\(1 upload in progress\\): ` +
            `PUT /api/v1/runs/${runId}/artifacts/checkpoints/model\\.bin \\(upload still receiving its body, \\d+\\.\\d s, request [\\w-]+\\)$`,
        ),
      );
      expect(server.output()).not.toContain('overwrite=true');
      await expect(upload.response).rejects.toThrow();
    });
  });
});
