/**
 * The SQL client's locking and transactions, on a real database of the kind ENTRENAR_TEST_DB names.
 * Not over HTTP: this lives in the HTTP tier because that is the tier `npm test` runs on both
 * SQLite and PostgreSQL, and every rule here has to hold on both.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import { DataSource, DataSourceOptions } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source.js';
import { SqlClient, SqlExecutor } from '../../src/database/sql-client.js';
import { createTestStorage, testDatabaseKind, TestStorage } from '../support/database.js';

const kind = testDatabaseKind();
const onSqlite = kind === 'sqlite' ? describe : describe.skip;
const onPostgres = kind === 'postgres' ? describe : describe.skip;

let storage: TestStorage;
let sqlitePath: string;
const openSources: DataSource[] = [];

/** A SqlClient on its own connection (pool), like one server process. */
async function openClient(overrides: Partial<{ timeout: number }> = {}): Promise<SqlClient> {
  const base =
    storage.kind === 'sqlite'
      ? dataSourceOptions({ kind: 'sqlite', path: sqlitePath })
      : dataSourceOptions({ kind: 'postgres', url: storage.databaseUrl, poolSize: 4 });
  const options = { ...base, ...(storage.kind === 'sqlite' ? overrides : {}) } as DataSourceOptions;
  const dataSource = await new DataSource(options).initialize();
  openSources.push(dataSource);
  return new SqlClient(dataSource);
}

let sql: SqlClient;

beforeAll(async () => {
  storage = await createTestStorage();
  sqlitePath = path.join(storage.dataDir, 'sql-client.db');
  sql = await openClient();
  await sql.execute('CREATE TABLE probe (label TEXT PRIMARY KEY, amount INTEGER NOT NULL DEFAULT 0)');
});

afterAll(async () => {
  for (const dataSource of openSources) {
    await dataSource.destroy();
  }
  await storage.dispose();
});

beforeEach(async () => {
  await sql.execute('DELETE FROM probe');
});

async function labels(executor: SqlExecutor = sql): Promise<string[]> {
  const rows = await executor.query<{ label: string }>('SELECT label FROM probe ORDER BY label');
  return rows.map((row) => row.label);
}

const insert = (executor: SqlExecutor, label: string, amount = 0) =>
  executor.execute('INSERT INTO probe (label, amount) VALUES (?, ?)', [label, amount]);

async function amountOf(label: string): Promise<number | undefined> {
  return (await sql.queryOne<{ amount: number }>('SELECT amount FROM probe WHERE label = ?', [label]))?.amount;
}

class Boom extends Error {}

/** Resolves when `open` is called: lets a test hold a transaction open at a chosen point. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

describe('transaction', () => {
  it('commits every write when the work resolves, and returns its result', async () => {
    const result = await sql.transaction(async (tx) => {
      await insert(tx, 'a');
      await insert(tx, 'b');
      return 'done';
    });
    expect(result).toBe('done');
    expect(await labels()).toEqual(['a', 'b']);
  });

  it('rolls back every write when the work throws, surfaces that same error, and leaves the client usable', async () => {
    await insert(sql, 'before');
    const failure = new Boom('mid-transaction');
    const outcome = sql.transaction(async (tx) => {
      await insert(tx, 'a');
      await tx.execute('UPDATE probe SET amount = 99 WHERE label = ?', ['before']);
      throw failure;
    });
    await expect(outcome).rejects.toBe(failure);
    expect(await labels()).toEqual(['before']);
    expect(await amountOf('before')).toBe(0);

    await sql.transaction((tx) => insert(tx, 'after'));
    expect(await labels()).toEqual(['after', 'before']);
  });

  it("rolls back when a statement fails mid-transaction and surfaces the database's own error", async () => {
    await insert(sql, 'taken');
    const outcome = sql.transaction(async (tx) => {
      await insert(tx, 'a');
      await insert(tx, 'taken');
    });
    // SQLite: SQLITE_CONSTRAINT_PRIMARYKEY; PostgreSQL: 23505 unique_violation.
    await expect(outcome).rejects.toMatchObject({ code: kind === 'sqlite' ? 'SQLITE_CONSTRAINT_PRIMARYKEY' : '23505' });
    expect(await labels()).toEqual(['taken']);

    await sql.transaction((tx) => insert(tx, 'after'));
    expect(await labels()).toEqual(['after', 'taken']);
  });

  it("keeps a transaction's writes from every other caller until it commits", async () => {
    const held = gate();
    const written = gate();
    const writer = sql.transaction(async (tx) => {
      await insert(tx, 'uncommitted');
      written.open();
      await held.opened;
    });
    await written.opened;
    // SQLite: the read waits for the lock, so it runs after COMMIT; PostgreSQL: it runs now, on
    // another connection, and must not see the row.
    const reader = labels();
    const readerBeforeCommit = kind === 'postgres' ? await reader : undefined;
    held.open();
    await writer;
    if (kind === 'postgres') {
      expect(readerBeforeCommit).toEqual([]);
    } else {
      expect(await reader).toEqual(['uncommitted']);
    }
    expect(await labels()).toEqual(['uncommitted']);
  });

  it('runs concurrent transactions one after the other on SQLite, side by side on PostgreSQL, and commits both', async () => {
    const events: string[] = [];
    const firstHeld = gate();
    const firstStarted = gate();
    const first = sql.transaction(async (tx) => {
      events.push('first begins');
      await insert(tx, 'first');
      firstStarted.open();
      await firstHeld.opened;
      events.push('first ends');
    });
    await firstStarted.opened;
    const second = sql.transaction(async (tx) => {
      events.push('second begins');
      await insert(tx, 'second');
      events.push('second ends');
    });
    if (kind === 'postgres') {
      // Its own connection: it runs to COMMIT while the first is held open.
      await second;
    } else {
      // Give it every chance to start while the first is held open.
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    firstHeld.open();
    await Promise.all([first, second]);
    expect(events).toEqual(
      kind === 'sqlite'
        ? ['first begins', 'first ends', 'second begins', 'second ends']
        : ['first begins', 'second begins', 'second ends', 'first ends'],
    );
    expect(await labels()).toEqual(['first', 'second']);
  });
});

describe('nested transactions', () => {
  it('inside a request transaction, a failing inner transaction rolls back its own writes and nothing else', async () => {
    const inner = new Boom('inner');
    await sql.runInTransaction(async () => {
      await insert(sql, 'outer-before');
      await expect(
        sql.transaction(async (tx) => {
          await insert(tx, 'inner-lost');
          await tx.execute('UPDATE probe SET amount = 5 WHERE label = ?', ['outer-before']);
          throw inner;
        }),
      ).rejects.toBe(inner);
      // The request's transaction is still open and still sees its own earlier write.
      expect(await labels()).toEqual(['outer-before']);
      await sql.transaction((tx) => insert(tx, 'inner-kept'));
      await insert(sql, 'outer-after');
    });
    expect(await labels()).toEqual(['inner-kept', 'outer-after', 'outer-before']);
    expect(await amountOf('outer-before')).toBe(0);
  });

  it('nests savepoints: a failure two levels down undoes only the innermost writes', async () => {
    await sql.runInTransaction(async () => {
      await sql.transaction(async (middle) => {
        await insert(middle, 'middle');
        await expect(
          sql.transaction(async (innermost) => {
            await insert(innermost, 'innermost');
            throw new Boom('innermost');
          }),
        ).rejects.toBeInstanceOf(Boom);
        await insert(middle, 'middle-after');
      });
    });
    expect(await labels()).toEqual(['middle', 'middle-after']);
  });

  it('rolls back inner transactions that succeeded when the request transaction fails', async () => {
    const failure = new Boom('outer');
    await expect(
      sql.runInTransaction(async () => {
        await sql.transaction((tx) => insert(tx, 'inner-succeeded'));
        await insert(sql, 'outer');
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(await labels()).toEqual([]);
    await sql.transaction((tx) => insert(tx, 'after'));
    expect(await labels()).toEqual(['after']);
  });

  it('inside a plain transaction, an inner transaction joins it: its failure undoes only its writes', async () => {
    await sql.transaction(async (outer) => {
      await insert(outer, 'outer');
      await expect(
        sql.transaction(async (tx) => {
          await insert(tx, 'inner-lost');
          throw new Boom('inner');
        }),
      ).rejects.toBeInstanceOf(Boom);
      await sql.transaction((tx) => insert(tx, 'inner-kept'));
      // A repository call that is not handed `outer` still runs inside it and sees its writes.
      expect(await labels()).toEqual(['inner-kept', 'outer']);
    });
    expect(await labels()).toEqual(['inner-kept', 'outer']);
  });

  it('inside a plain transaction, an inner transaction that succeeded is rolled back with the outer one', async () => {
    const failure = new Boom('outer');
    await expect(
      sql.transaction(async (outer) => {
        await sql.transaction((tx) => insert(tx, 'inner'));
        await insert(outer, 'outer');
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(await labels()).toEqual([]);
  });
});

describe('afterCommit', () => {
  it('runs at once outside a transaction', () => {
    let ran = false;
    sql.afterCommit(() => (ran = true));
    expect(ran).toBe(true);
  });

  it('inside a plain transaction, waits for its COMMIT, and never runs when it rolls back', async () => {
    const seen: string[] = [];
    await sql.transaction(async (tx) => {
      await insert(tx, 'committed');
      sql.afterCommit(() => seen.push('committed'));
      expect(seen).toEqual([]);
    });
    expect(seen).toEqual(['committed']);
    await expect(
      sql.transaction(async (tx) => {
        await insert(tx, 'rolled-back');
        sql.afterCommit(() => seen.push('rolled-back'));
        throw new Boom('rollback');
      }),
    ).rejects.toBeInstanceOf(Boom);
    expect(seen).toEqual(['committed']);
  });
});

onSqlite('sqliteTransaction', () => {
  const insertSync = (label: string) => (db: BetterSqlite3.Database) =>
    db.prepare('INSERT INTO probe (label) VALUES (?)').run(label).changes;

  it('writes a batch at once when no transaction holds the lock', async () => {
    expect(await sql.sqliteTransaction(insertSync('batch'))).toBe(1);
    expect(await labels()).toEqual(['batch']);
  });

  it('waits for a transaction that holds the lock, then writes after its COMMIT', async () => {
    const held = gate();
    const inside = gate();
    const events: string[] = [];
    const holder = sql.transaction(async (tx) => {
      await insert(tx, 'holder');
      inside.open();
      await held.opened;
      events.push('holder commits');
    });
    await inside.opened;
    const batch = sql.sqliteTransaction((db) => {
      events.push('batch runs');
      return insertSync('batch')(db);
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(events).toEqual([]);
    held.open();
    await Promise.all([holder, batch]);
    expect(events).toEqual(['holder commits', 'batch runs']);
    expect(await labels()).toEqual(['batch', 'holder']);
  });

  it('inside a transaction, joins it: rolled back with it', async () => {
    await expect(
      sql.transaction(async () => {
        await sql.sqliteTransaction(insertSync('batch'));
        throw new Boom('outer');
      }),
    ).rejects.toBeInstanceOf(Boom);
    expect(await labels()).toEqual([]);
  });
});

describe('runInTransaction', () => {
  it('runs afterCommit callbacks after COMMIT, and never when the transaction rolls back', async () => {
    const seen: string[][] = [];
    await sql.runInTransaction(async () => {
      await insert(sql, 'committed');
      sql.afterCommit(() => seen.push(['committed-callback']));
      expect(seen).toEqual([]);
    });
    expect(seen).toEqual([['committed-callback']]);

    await expect(
      sql.runInTransaction(async () => {
        await insert(sql, 'rolled-back');
        sql.afterCommit(() => seen.push(['rolled-back-callback']));
        throw new Boom('rollback');
      }),
    ).rejects.toBeInstanceOf(Boom);
    expect(seen).toEqual([['committed-callback']]);
    expect(await labels()).toEqual(['committed']);
  });

  it('reports whether code runs inside it, and stops routing to it once it has finished', async () => {
    expect(sql.inTransaction()).toBe(false);
    let late: Promise<number> | undefined;
    const settled = gate();
    await sql.runInTransaction(async () => {
      expect(sql.inTransaction()).toBe(true);
      await insert(sql, 'inside');
      // Work the request left running: by the time it writes, the transaction is committed.
      late = settled.opened.then(() => insert(sql, 'late'));
    });
    settled.open();
    await late;
    expect(await labels()).toEqual(['inside', 'late']);
  });
});

onSqlite('SQLite with another process holding the write lock', () => {
  /** A second connection to the same file, in another process (ours blocks while SQLite waits). */
  interface LockHolder {
    child: ChildProcessWithoutNullStreams;
    /** Resolves with each line the child prints. */
    next(): Promise<string>;
    commit(): void;
  }

  async function holdWriteLock(commitAfterMs?: number): Promise<LockHolder> {
    const script = `
      const Database = require('better-sqlite3');
      const db = new Database(process.argv[1], { timeout: 10000 });
      db.exec('BEGIN IMMEDIATE');
      db.prepare("INSERT INTO probe (label) VALUES ('other-process')").run();
      const commit = () => { db.exec('COMMIT'); db.close(); process.stdout.write('committed\\n'); process.exit(0); };
      process.stdout.write('locked\\n');
      const after = Number(process.argv[2]);
      if (after > 0) setTimeout(commit, after);
      process.stdin.on('data', commit);
    `;
    const child = spawn(process.execPath, ['-e', script, sqlitePath, String(commitAfterMs ?? 0)], { cwd: process.cwd() });
    const lines: string[] = [];
    const waiters: ((line: string) => void)[] = [];
    let buffered = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      let newline;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        const waiter = waiters.shift();
        if (waiter) {
          waiter(line);
        } else {
          lines.push(line);
        }
      }
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const holder: LockHolder = {
      child,
      next: () =>
        lines.length > 0
          ? Promise.resolve(lines.shift() as string)
          : new Promise<string>((resolve, reject) => {
              waiters.push(resolve);
              child.once('exit', () => reject(new Error(`lock holder exited: ${stderr}`)));
            }),
      commit: () => child.stdin.write('commit\n'),
    };
    expect(await holder.next()).toBe('locked');
    return holder;
  }

  it('waits for the other writer to commit, then commits its own transaction', async () => {
    const holder = await holdWriteLock(300);
    // BEGIN IMMEDIATE finds the file locked and waits (the busy timeout) instead of failing.
    const seenInside = await sql.transaction(async (tx) => {
      const seen = await labels(tx);
      await insert(tx, 'ours');
      return seen;
    });
    // Our transaction began only after the other process committed: it saw that row.
    expect(seenInside).toEqual(['other-process']);
    expect(await holder.next()).toBe('committed');
    expect(await labels()).toEqual(['other-process', 'ours']);
  });

  it('fails with SQLITE_BUSY once the busy timeout passes, writes nothing, and releases its own lock', async () => {
    const impatient = await openClient({ timeout: 200 });
    const holder = await holdWriteLock();
    await expect(impatient.transaction((tx) => insert(tx, 'gave-up'))).rejects.toMatchObject({ code: 'SQLITE_BUSY' });
    expect(impatient.load()).toEqual({ dialect: 'sqlite', lockWaiting: 0, lockWaitSeconds: expect.any(Number) });
    holder.commit();
    expect(await holder.next()).toBe('committed');
    // Our own lock was released on the failure: the next transaction runs.
    await impatient.transaction((tx) => insert(tx, 'retried'));
    expect(await labels()).toEqual(['other-process', 'retried']);
  });

  it('reads committed data while another process holds the write lock (WAL), without waiting', async () => {
    await insert(sql, 'committed-before');
    const holder = await holdWriteLock();
    expect(await labels()).toEqual(['committed-before']);
    holder.commit();
    expect(await holder.next()).toBe('committed');
  });
});

onPostgres('PostgreSQL conflicts', () => {
  it('retries the deadlock victim: both transactions commit, three attempts in all', async () => {
    await insert(sql, 'x');
    await insert(sql, 'y');
    let attempts = 0;
    const bothLockedOne = { count: 0, ready: gate() };
    const lockInOrder = (first: string, second: string) =>
      sql.transaction(async (tx) => {
        attempts++;
        await tx.execute('UPDATE probe SET amount = amount + 1 WHERE label = ?', [first]);
        if (++bothLockedOne.count === 2) {
          bothLockedOne.ready.open();
        }
        // Only the first attempts cross: a retry finds the other side gone and runs straight through.
        await bothLockedOne.ready.opened;
        await tx.execute('UPDATE probe SET amount = amount + 10 WHERE label = ?', [second]);
      });
    await Promise.all([lockInOrder('x', 'y'), lockInOrder('y', 'x')]);
    expect(attempts).toBe(3);
    expect(await amountOf('x')).toBe(11);
    expect(await amountOf('y')).toBe(11);
  });

  /** A serializable transaction whose row another connection changes after its snapshot: 40001. */
  async function losesSerializationRace(tx: SqlExecutor, other: pg.Client, firstWrite?: string): Promise<void> {
    await tx.execute('SET TRANSACTION ISOLATION LEVEL SERIALIZABLE');
    if (firstWrite !== undefined) {
      await insert(tx, firstWrite);
    }
    await tx.query('SELECT amount FROM probe WHERE label = ?', ['z']);
    await other.query("UPDATE probe SET amount = amount + 100 WHERE label = 'z'");
    await tx.execute('UPDATE probe SET amount = amount + 1 WHERE label = ?', ['z']);
  }

  it('retries a serialization failure and commits on the next attempt', async () => {
    await insert(sql, 'z');
    const other = new pg.Client({ connectionString: storage.databaseUrl });
    await other.connect();
    try {
      let attempts = 0;
      await sql.transaction(async (tx) => {
        attempts++;
        if (attempts === 1) {
          await losesSerializationRace(tx, other);
        } else {
          await tx.execute('UPDATE probe SET amount = amount + 1 WHERE label = ?', ['z']);
        }
      });
      expect(attempts).toBe(2);
      expect(await amountOf('z')).toBe(101);
    } finally {
      await other.end();
    }
  });

  it('gives up after three lost races with the database error, having written nothing of its own', async () => {
    await insert(sql, 'z');
    const other = new pg.Client({ connectionString: storage.databaseUrl });
    await other.connect();
    try {
      let attempts = 0;
      const outcome = sql.transaction(async (tx) => {
        attempts++;
        await losesSerializationRace(tx, other, `attempt-${attempts}`);
      });
      await expect(outcome).rejects.toMatchObject({ code: '40001' });
      expect(attempts).toBe(3);
      expect(await labels()).toEqual(['z']);
      expect(await amountOf('z')).toBe(300);
    } finally {
      await other.end();
    }
  });

  it('does not retry any other error', async () => {
    let attempts = 0;
    const failure = Object.assign(new Boom('not a conflict'), { code: '23505' });
    await expect(
      sql.transaction(async (tx) => {
        attempts++;
        await insert(tx, 'once');
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(attempts).toBe(1);
    expect(await labels()).toEqual([]);
  });

  it('does not retry a conflict inside a request transaction, where a rerun could not undo the rest', async () => {
    await insert(sql, 'z');
    const other = new pg.Client({ connectionString: storage.databaseUrl });
    await other.connect();
    try {
      let attempts = 0;
      await expect(
        sql.runInTransaction(async () => {
          await sql.execute('SET TRANSACTION ISOLATION LEVEL SERIALIZABLE');
          await sql.transaction(async (tx) => {
            attempts++;
            await tx.query('SELECT amount FROM probe WHERE label = ?', ['z']);
            await other.query("UPDATE probe SET amount = amount + 100 WHERE label = 'z'");
            await tx.execute('UPDATE probe SET amount = amount + 1 WHERE label = ?', ['z']);
          });
        }),
      ).rejects.toMatchObject({ code: '40001' });
      expect(attempts).toBe(1);
      expect(await amountOf('z')).toBe(100);
    } finally {
      await other.end();
    }
  });
});

describe('withAdvisoryLock', () => {
  const LOCK_ID = 0x7465737;

  it("returns the work's result and surfaces its error", async () => {
    expect(await sql.withAdvisoryLock(LOCK_ID, () => Promise.resolve(42))).toBe(42);
    const failure = new Boom('migration failed');
    await expect(sql.withAdvisoryLock(LOCK_ID, () => Promise.reject(failure))).rejects.toBe(failure);
  });

  onPostgres('on PostgreSQL', () => {
    async function advisoryLocksHeld(): Promise<number> {
      const row = await sql.queryOne<{ held: number }>(
        "SELECT count(*)::int AS held FROM pg_locks WHERE locktype = 'advisory' AND objid = ? AND granted",
        [LOCK_ID],
      );
      return row?.held ?? 0;
    }

    it('lets one holder at a time in, across separate clients (replicas)', async () => {
      const replica = await openClient();
      const events: string[] = [];
      const firstHeld = gate();
      const firstIn = gate();
      const first = sql.withAdvisoryLock(LOCK_ID, async () => {
        events.push('first in');
        firstIn.open();
        await firstHeld.opened;
        events.push('first out');
      });
      await firstIn.opened;
      const second = replica.withAdvisoryLock(LOCK_ID, () => {
        events.push('second in');
        return Promise.resolve();
      });
      // The second holder has had time to get in, were the lock not exclusive.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(events).toEqual(['first in']);
      expect(await advisoryLocksHeld()).toBe(1);
      firstHeld.open();
      await Promise.all([first, second]);
      expect(events).toEqual(['first in', 'first out', 'second in']);
      expect(await advisoryLocksHeld()).toBe(0);
    });

    it('releases the lock when the work throws, so the next holder gets in', async () => {
      const replica = await openClient();
      await expect(sql.withAdvisoryLock(LOCK_ID, () => Promise.reject(new Boom('failed')))).rejects.toBeInstanceOf(Boom);
      expect(await advisoryLocksHeld()).toBe(0);
      expect(await replica.withAdvisoryLock(LOCK_ID, () => Promise.resolve('next'))).toBe('next');
    });
  });
});
