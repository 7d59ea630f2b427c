// Topping up the seed data of a slow peer straight in its database. MLflow's server (and
// mlflow-go-backend, which shares its schema) stores a few thousand metrics or a few dozen runs
// a second on this machine, so seeding its 1,000,000-point metric and 10,000 runs through the
// API alone would take most of an hour. The harness seeds through the API for a bounded time
// (BENCH_SEED_SECONDS; that rate is the seeding figure reported) and inserts the rest here,
// as the same rows MLflow's SqlAlchemyStore writes for log-batch: `metrics` and `latest_metrics`
// for points, and for runs a copy of an API-created run row plus its tags, with the run's own
// `params` and `metrics`/`latest_metrics`. The reads measured afterwards (get-history, search)
// then run over exactly the data the API would have stored; search results are verified.
import Database from 'better-sqlite3';
import pg from 'pg';

export type DirectDatabase = { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string };

export interface SearchSeedRow {
  runId: string;
  lr: string;
  optimizer: string;
  acc: number;
  timestamp: number;
}

export interface StepRange {
  /** First step (inclusive). */
  from: number;
  /** Last step (exclusive). */
  to: number;
}

const RUN_ID_COLUMN = 'run_uuid';

/** Columns of MLflow's `runs` table, read from the database (they vary across MLflow versions). */
async function runColumns(db: DirectDatabase): Promise<string[]> {
  if (db.kind === 'sqlite') {
    const sqlite = new Database(db.file, { readonly: true });
    try {
      return (sqlite.prepare('PRAGMA table_info(runs)').all() as { name: string }[]).map((row) => row.name);
    } finally {
      sqlite.close();
    }
  }
  return withPg(db.url, async (client) => {
    const result = await client.query<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'runs' ORDER BY ordinal_position`,
    );
    return result.rows.map((row) => row.column_name);
  });
}

async function withPg<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function quote(column: string): string {
  return `"${column.replace(/"/g, '""')}"`;
}

/** Inserts the points of `ranges` of metric `key` of `runId` (value random, timestamp base + step). */
export async function insertHistory(db: DirectDatabase, runId: string, key: string, base: number, ranges: StepRange[]): Promise<number> {
  let inserted = 0;
  if (db.kind === 'sqlite') {
    const sqlite = new Database(db.file);
    try {
      sqlite.pragma('busy_timeout = 30000');
      const insert = sqlite.prepare(
        `WITH RECURSIVE s(x) AS (SELECT ? UNION ALL SELECT x + 1 FROM s WHERE x + 1 < ?)
         INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan)
         SELECT ?, (abs(random()) % 1000000) / 1000000.0, ? + x, ?, x, 0 FROM s`,
      );
      sqlite.transaction(() => {
        for (const range of ranges) {
          inserted += insert.run(range.from, range.to, key, base, runId).changes;
        }
      })();
      latestSqlite(sqlite, runId, key);
    } finally {
      sqlite.close();
    }
    return inserted;
  }
  return withPg(db.url, async (client) => {
    for (const range of ranges) {
      const result = await client.query(
        `INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan)
         SELECT $1, random(), $2::bigint + s, $3, s, false FROM generate_series($4::bigint, $5::bigint - 1) AS s`,
        [key, base, runId, range.from, range.to],
      );
      inserted += result.rowCount ?? 0;
    }
    await client.query(
      `UPDATE latest_metrics l SET value = m.value, timestamp = m.timestamp, step = m.step, is_nan = m.is_nan
       FROM (SELECT value, timestamp, step, is_nan FROM metrics WHERE run_uuid = $1 AND key = $2 ORDER BY step DESC, timestamp DESC LIMIT 1) m
       WHERE l.run_uuid = $1 AND l.key = $2`,
      [runId, key],
    );
    return inserted;
  });
}

function latestSqlite(sqlite: Database.Database, runId: string, key: string): void {
  sqlite
    .prepare(
      `UPDATE latest_metrics SET (value, timestamp, step, is_nan) =
         (SELECT value, timestamp, step, is_nan FROM metrics WHERE run_uuid = ? AND key = ? ORDER BY step DESC, timestamp DESC LIMIT 1)
       WHERE run_uuid = ? AND key = ?`,
    )
    .run(runId, key, runId, key);
}

/**
 * Inserts runs like `templateRunId` (an API-created run of the same experiment: same columns,
 * same tags but the name), each with its params lr and optimizer and its metric acc.
 */
export async function insertSearchRuns(db: DirectDatabase, templateRunId: string, rows: SearchSeedRow[]): Promise<void> {
  const columns = await runColumns(db);
  if (!columns.includes(RUN_ID_COLUMN) || !columns.includes('name')) {
    throw new Error(`unexpected runs table: ${columns.join(', ')}`);
  }
  const names = rows.map((row) => `seed-${row.runId.slice(0, 12)}`);
  if (db.kind === 'sqlite') {
    const sqlite = new Database(db.file);
    try {
      sqlite.pragma('busy_timeout = 30000');
      const select = columns.map((c) => (c === RUN_ID_COLUMN || c === 'name' ? '?' : quote(c))).join(', ');
      const copyRun = sqlite.prepare(`INSERT INTO runs (${columns.map(quote).join(', ')}) SELECT ${select} FROM runs WHERE run_uuid = ?`);
      const copyTags = sqlite.prepare(
        `INSERT INTO tags (key, value, run_uuid) SELECT key, CASE WHEN key = 'mlflow.runName' THEN ? ELSE value END, ? FROM tags WHERE run_uuid = ?`,
      );
      const param = sqlite.prepare('INSERT INTO params (key, value, run_uuid) VALUES (?, ?, ?)');
      const metric = sqlite.prepare('INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES (?, ?, ?, ?, 0, 0)');
      const latest = sqlite.prepare('INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) VALUES (?, ?, ?, 0, 0, ?)');
      sqlite.transaction(() => {
        rows.forEach((row, index) => {
          const args = columns
            .filter((c) => c === RUN_ID_COLUMN || c === 'name')
            .map((c) => (c === RUN_ID_COLUMN ? row.runId : names[index]));
          copyRun.run(...args, templateRunId);
          copyTags.run(names[index], row.runId, templateRunId);
          param.run('lr', row.lr, row.runId);
          param.run('optimizer', row.optimizer, row.runId);
          metric.run('acc', row.acc, row.timestamp, row.runId);
          latest.run('acc', row.acc, row.timestamp, row.runId);
        });
      })();
    } finally {
      sqlite.close();
    }
    return;
  }
  await withPg(db.url, async (client) => {
    const ids = rows.map((row) => row.runId);
    const select = columns.map((c) => (c === RUN_ID_COLUMN ? 'u.id' : c === 'name' ? 'u.name' : `t.${quote(c)}`)).join(', ');
    await client.query('BEGIN');
    try {
      await client.query(
        `INSERT INTO runs (${columns.map(quote).join(', ')})
         SELECT ${select} FROM runs t CROSS JOIN unnest($1::text[], $2::text[]) AS u(id, name) WHERE t.run_uuid = $3`,
        [ids, names, templateRunId],
      );
      await client.query(
        `INSERT INTO tags (key, value, run_uuid)
         SELECT t.key, CASE WHEN t.key = 'mlflow.runName' THEN u.name ELSE t.value END, u.id
         FROM tags t CROSS JOIN unnest($1::text[], $2::text[]) AS u(id, name) WHERE t.run_uuid = $3`,
        [ids, names, templateRunId],
      );
      await client.query(
        `INSERT INTO params (key, value, run_uuid)
         SELECT 'lr', u.lr, u.id FROM unnest($1::text[], $2::text[]) AS u(id, lr)
         UNION ALL SELECT 'optimizer', u.opt, u.id FROM unnest($1::text[], $3::text[]) AS u(id, opt)`,
        [ids, rows.map((row) => row.lr), rows.map((row) => row.optimizer)],
      );
      for (const table of ['metrics', 'latest_metrics']) {
        await client.query(
          `INSERT INTO ${table} (key, value, timestamp, step, is_nan, run_uuid)
           SELECT 'acc', u.acc, u.ts, 0, false, u.id FROM unnest($1::text[], $2::float8[], $3::bigint[]) AS u(id, acc, ts)`,
          [ids, rows.map((row) => row.acc), rows.map((row) => row.timestamp)],
        );
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    }
  });
}
