// Starting and stopping the servers under test, each on a fresh database of its own: entrenar
// (through bench/support.ts, as `npm run bench` does), MLflow's tracking server, FastTrackML
// and mlflow-go-backend, with their documented defaults, on 127.0.0.1 only.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { freePort, ServerProcess, startEntrenar } from '../support.js';
import { HttpClient } from './http-client.js';
import type { DirectDatabase } from './mlflow-store.js';
import { ProcessTree } from './proc.js';
import type { PeerEnvironment } from './venv.js';

export type DatabaseKind = 'sqlite' | 'postgres';
export type ServerId = 'entrenar' | 'entrenar-2x' | 'mlflow' | 'fasttrackml' | 'mlflow-go';

export const SERVER_LABELS: Record<ServerId, string> = {
  entrenar: 'entrenar',
  'entrenar-2x': 'entrenar ×2 replicas',
  mlflow: 'MLflow',
  fasttrackml: 'FastTrackML',
  'mlflow-go': 'mlflow-go-backend',
};

/** How many entrenar processes share one database in `entrenar-2x`. */
export const REPLICAS = 2;

/** entrenar itself, one process or several replicas of it. */
export function isEntrenar(id: ServerId): boolean {
  return id === 'entrenar' || id === 'entrenar-2x';
}

/**
 * Why `id` cannot run on `database`, if it cannot: replicas share a database server, and a
 * SQLite file is one process's to write (a second one would only queue behind its lock).
 */
export function unsupported(id: ServerId, database: DatabaseKind): string | undefined {
  return id === 'entrenar-2x' && database === 'sqlite' ? 'replicas run on PostgreSQL only (a SQLite file has one writer)' : undefined;
}

export interface StartOptions {
  database: DatabaseKind;
  /** Admin URL of the PostgreSQL server (a role that may CREATE DATABASE), for `postgres`. */
  postgresAdminUrl?: string;
  peers: PeerEnvironment;
  /** Extra environment for the server process. */
  env?: NodeJS.ProcessEnv;
  /** Extra node flags for entrenar (the profiling pass passes --cpu-prof). */
  nodeArgs?: string[];
}

export interface StartedServer {
  id: ServerId;
  /** One URL per process answering the API (several for replicas: the client spreads requests over them). */
  urls: string[];
  /** Every process of the server (all replicas), for memory and stopping. */
  tree: ProcessTree;
  /** Bytes the database holds now: SQLite files after a WAL checkpoint, or the PostgreSQL database size. */
  databaseBytes(): Promise<number>;
  /** What the database held once the server was up with its schema and nothing logged. */
  baselineBytes: number;
  describe: string;
  /** The database itself, for servers on MLflow's schema whose seed data may be topped up (mlflow-store.ts). */
  direct?: DirectDatabase;
  stop(): Promise<void>;
}

/** The MLflow REST API root every server under test serves. */
export const MLFLOW_API = '/api/2.0/mlflow';

/** Waits until the MLflow API answers (experiment 0 exists on all of them once migrations ran). */
async function waitForMlflowApi(url: string, isRunning: () => boolean, logFile: string, timeoutMs = 180_000): Promise<void> {
  const client = new HttpClient(url, 1);
  const deadline = Date.now() + timeoutMs;
  try {
    while (Date.now() < deadline) {
      if (!isRunning()) {
        throw new Error(`exited during start-up: ${tail(logFile)}`);
      }
      try {
        const response = await client.send('GET', `${MLFLOW_API}/experiments/get?experiment_id=0`);
        if (response.status === 200) {
          return;
        }
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`did not answer within ${timeoutMs / 1000} s: ${tail(logFile)}`);
  } finally {
    client.close();
  }
}

/** The last line of a server's log (for a failed start: usually the exception), and the tail printed for diagnosis. */
function tail(file: string): string {
  let lines: string[];
  try {
    lines = readFileSync(file, 'utf8').trim().split('\n');
  } catch {
    return '(no log)';
  }
  console.log(
    `    last lines of its log:\n${lines
      .slice(-15)
      .map((line) => `      ${line}`)
      .join('\n')}`,
  );
  return (lines[lines.length - 1] ?? '').trim().slice(0, 300);
}

function sqliteFilesBytes(file: string): number {
  // Fold the WAL into the main file first (the peers keep it open; a passive-then-truncate
  // checkpoint from another connection is safe while they are idle), then count both files.
  const db = new Database(file);
  try {
    db.pragma('busy_timeout = 10000');
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
  return [file, `${file}-wal`].filter((f) => existsSync(f)).reduce((sum, f) => sum + statSync(f).size, 0);
}

/** A fresh PostgreSQL database for one server, dropped when it stops. */
export class ScratchDatabase {
  private constructor(
    private readonly adminUrl: string,
    readonly name: string,
  ) {}

  static async create(adminUrl: string, server: ServerId | 'ceiling'): Promise<ScratchDatabase> {
    const name = `bench_peers_${server.replace(/-/g, '_')}_${process.pid}_${Date.now()}`;
    await ScratchDatabase.admin(adminUrl, (client) => client.query(`CREATE DATABASE ${name}`));
    return new ScratchDatabase(adminUrl, name);
  }

  private static async admin<T>(adminUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  }

  /** The URL of this database with the admin's credentials, and `scheme` (postgres or postgresql). */
  url(scheme: 'postgres' | 'postgresql'): string {
    const url = new URL(this.adminUrl);
    url.pathname = `/${this.name}`;
    return `${scheme}:${url.href.slice(url.protocol.length)}`;
  }

  bytes(): Promise<number> {
    return ScratchDatabase.admin(this.adminUrl, async (client) => {
      const result = await client.query<{ size: string }>('SELECT pg_database_size($1)::text AS size', [this.name]);
      return Number(result.rows[0]?.size ?? 0);
    });
  }

  /**
   * Drops the database; never throws, so a result already measured is not lost. FORCE ends our
   * own sessions, but not an autovacuum worker busy there after heavy writes (that needs
   * pg_signal_backend), so a refusal is retried for a while, then only reported.
   */
  async drop(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await ScratchDatabase.admin(this.adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${this.name} WITH (FORCE)`));
        return;
      } catch (error) {
        if (attempt >= 30) {
          console.log(
            `    could not drop database ${this.name} (drop it by hand): ${error instanceof Error ? error.message : String(error)}`,
          );
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 2000));
      }
    }
  }
}

/**
 * entrenar on a fresh database: one process, or `replicas` processes on one PostgreSQL database.
 * Replicas start one after the other so that only the first runs the migrations (the others
 * find them applied), as a rolling deployment would.
 */
async function startEntrenarServer(id: ServerId, options: StartOptions, replicas: number): Promise<StartedServer> {
  if (replicas > 1 && options.database !== 'postgres') {
    throw new Error(unsupported(id, options.database) ?? 'replicas need PostgreSQL');
  }
  const scratch = options.database === 'postgres' ? await ScratchDatabase.create(requireAdmin(options), id) : undefined;
  const args = scratch ? ['--database-url', scratch.url('postgres')] : [];
  const processes: ServerProcess[] = [];
  const stopProcesses = async () => {
    for (const server of processes) {
      await server.stop();
    }
  };
  try {
    for (let index = 0; index < replicas; index++) {
      processes.push(await startEntrenar(args, { env: options.env, nodeArgs: options.nodeArgs }));
    }
    const tree = new ProcessTree(processes.map((server) => server.child.pid ?? 0));
    const sqliteFile = path.join(processes[0].dataDir, 'entrenar.db');
    const databaseBytes = () => (scratch ? scratch.bytes() : Promise.resolve(sqliteFilesBytes(sqliteFile)));
    const command = `entrenar server --data-dir <tmp>${scratch ? ' --database-url postgres://…' : ''}`;
    return {
      id,
      urls: processes.map((server) => server.url),
      tree,
      databaseBytes,
      baselineBytes: await databaseBytes(),
      describe: replicas > 1 ? `${replicas} × ${command} (one database; round robin per request)` : command,
      stop: async () => {
        await stopProcesses();
        await tree.stop(1000);
        await scratch?.drop();
      },
    };
  } catch (error) {
    await stopProcesses();
    await scratch?.drop();
    throw error;
  }
}

function requireAdmin(options: StartOptions): string {
  if (!options.postgresAdminUrl) {
    throw new Error('no PostgreSQL server (scripts/ensure-postgres.sh failed)');
  }
  return options.postgresAdminUrl;
}

interface PeerCommand {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  describe: string;
}

/** Starts a peer as the leader of its own session, logging to a file, and waits for its API. */
async function startPeer(
  id: ServerId,
  options: StartOptions,
  build: (port: number, dir: string, databaseUri: string) => PeerCommand,
): Promise<StartedServer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `bench-peers-${id}-`));
  const scratch = options.database === 'postgres' ? await ScratchDatabase.create(requireAdmin(options), id) : undefined;
  const sqliteFile = path.join(dir, `${id}.db`);
  const databaseUri = scratch
    ? scratch.url(id === 'fasttrackml' ? 'postgres' : 'postgresql')
    : id === 'fasttrackml'
      ? `sqlite://${sqliteFile}`
      : `sqlite:///${sqliteFile}`;
  const port = await freePort();
  const { command, args, env, describe } = build(port, dir, databaseUri);
  const logFile = path.join(dir, 'server.log');
  const log = openSync(logFile, 'a');
  const child = spawn(command, args, {
    cwd: dir,
    detached: true,
    stdio: ['ignore', log, log],
    env: { ...process.env, ...env, ...options.env },
  });
  closeSync(log);
  let exited = false;
  child.once('exit', () => (exited = true));
  const tree = new ProcessTree(child.pid ?? 0);
  const cleanUp = async () => {
    await tree.stop();
    await scratch?.drop();
    rmSync(dir, { recursive: true, force: true });
  };
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForMlflowApi(url, () => !exited, logFile);
    tree.scan();
    const databaseBytes = () => (scratch ? scratch.bytes() : Promise.resolve(sqliteFilesBytes(sqliteFile)));
    return {
      id,
      urls: [url],
      tree,
      databaseBytes,
      baselineBytes: await databaseBytes(),
      direct:
        id === 'mlflow' || id === 'mlflow-go'
          ? scratch
            ? { kind: 'postgres', url: scratch.url('postgres') }
            : { kind: 'sqlite', file: sqliteFile }
          : undefined,
      describe: describe.replace(databaseUri, scratch ? `${databaseUri.split(':')[0]}://…` : databaseUri).replaceAll(dir, '<tmp>'),
      stop: cleanUp,
    };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}

/** Starts one server on a fresh database of the given kind. */
export function startServer(id: ServerId, options: StartOptions): Promise<StartedServer> {
  const { peers } = options;
  const pathEnv = { PATH: `${peers.bin}${path.delimiter}${process.env.PATH ?? ''}` };
  switch (id) {
    case 'entrenar':
      return startEntrenarServer(id, options, 1);
    case 'entrenar-2x':
      return startEntrenarServer(id, options, REPLICAS);
    case 'mlflow':
      // `mlflow server` as its docs show it: SQL backend store, artifacts proxied to a local
      // folder, the default 4 uvicorn workers. Like every server here it logs no line per
      // request (entrenar and FastTrackML run at --log-level warn): uvicorn's access log is off.
      return startPeer(id, options, (port, dir, databaseUri) => {
        const args = [
          'server',
          '--backend-store-uri',
          databaseUri,
          '--artifacts-destination',
          path.join(dir, 'artifacts'),
          '--host',
          '127.0.0.1',
          '--port',
          String(port),
          '--uvicorn-opts=--no-access-log',
        ];
        return { command: path.join(peers.bin, 'mlflow'), args, env: pathEnv, describe: `mlflow ${args.join(' ')}` };
      });
    case 'fasttrackml':
      return startPeer(id, options, (port, dir, databaseUri) => {
        const args = [
          'server',
          '--database-uri',
          databaseUri,
          '--listen-address',
          `127.0.0.1:${port}`,
          '--default-artifact-root',
          path.join(dir, 'artifacts'),
          '--log-level',
          'warn',
        ];
        return { command: peers.fml, args, env: {}, describe: `fml ${args.join(' ')}` };
      });
    case 'mlflow-go':
      return startPeer(id, options, (port, dir, databaseUri) => {
        const args = [
          '-m',
          'mlflow_go_backend.cli',
          'server',
          '--backend-store-uri',
          databaseUri,
          '--artifacts-destination',
          path.join(dir, 'artifacts'),
          '--host',
          '127.0.0.1',
          '--port',
          String(port),
          '--uvicorn-opts=--no-access-log',
          '--go-opts=log_level=warn',
        ];
        return {
          command: peers.python,
          args,
          env: { ...pathEnv, PYTHONPATH: peers.mlflowGoPath, MLFLOW_GO_LIBRARY_PATH: peers.mlflowGoLibrary },
          describe: `mlflow-go ${args.slice(3).join(' ')}`,
        };
      });
  }
}

/** The bare Node `http` ceiling, as its own process. */
export async function startBareServer(): Promise<{ url: string; tree: ProcessTree; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [path.resolve('dist/bench/peers/bare-server.js')], {
    detached: true,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const line = buffered.split('\n')[0];
      if (buffered.includes('\n')) {
        resolve((JSON.parse(line) as { port: number }).port);
      }
    });
    child.once('exit', (code) => reject(new Error(`bare server exited with ${code}`)));
  });
  const tree = new ProcessTree(child.pid ?? 0);
  return { url: `http://127.0.0.1:${port}`, tree, stop: () => tree.stop() };
}
