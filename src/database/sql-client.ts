import type BetterSqlite3 from 'better-sqlite3';
import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { AnalyzedTable, PlannerStatistics } from './planner-statistics.js';

export type Dialect = 'sqlite' | 'postgres';
/** Arrays are for PostgreSQL only (`unnest(?::bigint[])`, `= ANY(?)`). */
export type SqlValue = string | number | bigint | boolean | null | Buffer | readonly (number | null)[] | readonly string[];

/**
 * How busy the database's connections are, for monitoring: PostgreSQL's pool, or the queue for
 * SQLite's single connection (see SqlClient's lock).
 */
export type DatabaseLoad =
  | { dialect: 'postgres'; connections: number; idleConnections: number; waitingRequests: number; maxConnections: number }
  | { dialect: 'sqlite'; lockWaiting: number; lockWaitSeconds: number };

/** What a repository can do inside or outside a transaction. SQL uses `?` placeholders on both dialects. */
export interface SqlExecutor {
  readonly dialect: Dialect;
  query<Row>(sql: string, params?: readonly SqlValue[]): Promise<Row[]>;
  queryOne<Row>(sql: string, params?: readonly SqlValue[]): Promise<Row | undefined>;
  /** Rows as arrays of column values, in SELECT order: cheaper than objects for long results. */
  queryTuples<Tuple extends unknown[]>(sql: string, params?: readonly SqlValue[]): Promise<Tuple[]>;
  /** Runs a statement and returns how many rows it changed. */
  execute(sql: string, params?: readonly SqlValue[]): Promise<number>;
}

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/** PostgreSQL int8 and numeric arrive as text by default; our values (ms, steps, counts) fit in a double. */
const parseNumber = (text: string): number => Number(text);
const postgresTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID || oid === NUMERIC_OID
      ? parseNumber
      : (pg.types.getTypeParser(oid, format ?? 'text') as (text: string) => unknown)) as pg.CustomTypesConfig['getTypeParser'],
};

const placeholderCache = new Map<string, string>();

/** A PostgreSQL transaction that lost a deadlock or a serialization race is run again. */
const MAX_TRANSACTION_ATTEMPTS = 3;

function isRetryableConflict(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '40P01' || code === '40001';
}

/** `?` → `$1, $2, …` for PostgreSQL. Our SQL never has `?` inside a literal. */
function toPostgresPlaceholders(sql: string): string {
  let converted = placeholderCache.get(sql);
  if (converted === undefined) {
    let index = 0;
    converted = sql.replace(/\?/g, () => `$${++index}`);
    if (placeholderCache.size < 5000) {
      placeholderCache.set(sql, converted);
    }
  }
  return converted;
}

function sqliteParams(params: readonly SqlValue[]): unknown[] {
  return params.map((value) => (typeof value === 'boolean' ? (value ? 1 : 0) : value));
}

/**
 * Numeric arrays go to PostgreSQL as array literals built here: node-postgres would prepare and
 * escape every element as if it were text, which was 17% of the server's CPU when ingesting
 * 1,000-point batches. Numbers need no quoting (`{1,2.5,NULL,Infinity}` is valid input for
 * bigint[] and float8[]); any other array is left to the driver.
 */
export function postgresValues(params: readonly SqlValue[]): unknown[] {
  return params.map((value) => (Array.isArray(value) ? (numericArrayLiteral(value as readonly unknown[]) ?? value) : value));
}

function numericArrayLiteral(values: readonly unknown[]): string | undefined {
  let literal = '{';
  for (let index = 0; index < values.length; index++) {
    const value = values[index];
    if (index > 0) {
      literal += ',';
    }
    if (value === null) {
      literal += 'NULL';
    } else if (typeof value === 'number') {
      literal += String(value);
    } else {
      return undefined;
    }
  }
  return literal + '}';
}

class PostgresExecutor implements SqlExecutor {
  readonly dialect = 'postgres' as const;
  constructor(private readonly client: pg.Pool | pg.PoolClient) {}

  async query<Row>(sql: string, params: readonly SqlValue[] = []): Promise<Row[]> {
    const result = await this.client.query({ text: toPostgresPlaceholders(sql), values: postgresValues(params), types: postgresTypes });
    return result.rows as Row[];
  }

  async queryOne<Row>(sql: string, params: readonly SqlValue[] = []): Promise<Row | undefined> {
    const rows = await this.query<Row>(sql, params);
    return rows[0];
  }

  async queryTuples<Tuple extends unknown[]>(sql: string, params: readonly SqlValue[] = []): Promise<Tuple[]> {
    const result = await this.client.query({
      text: toPostgresPlaceholders(sql),
      values: postgresValues(params),
      types: postgresTypes,
      rowMode: 'array',
    });
    return result.rows as Tuple[];
  }

  async execute(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    const result = await this.client.query({ text: toPostgresPlaceholders(sql), values: postgresValues(params), types: postgresTypes });
    return result.rowCount ?? 0;
  }
}

class SqliteExecutor implements SqlExecutor {
  readonly dialect = 'sqlite' as const;
  constructor(
    private readonly statement: (sql: string) => BetterSqlite3.Statement,
    private readonly tupleStatement: (sql: string) => BetterSqlite3.Statement,
  ) {}

  query<Row>(sql: string, params: readonly SqlValue[] = []): Promise<Row[]> {
    return Promise.resolve(this.statement(sql).all(...sqliteParams(params)) as Row[]);
  }

  queryOne<Row>(sql: string, params: readonly SqlValue[] = []): Promise<Row | undefined> {
    return Promise.resolve(this.statement(sql).get(...sqliteParams(params)) as Row | undefined);
  }

  queryTuples<Tuple extends unknown[]>(sql: string, params: readonly SqlValue[] = []): Promise<Tuple[]> {
    return Promise.resolve(this.tupleStatement(sql).all(...sqliteParams(params)) as Tuple[]);
  }

  execute(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return Promise.resolve(this.statement(sql).run(...sqliteParams(params)).changes);
  }
}

/**
 * Prepared statements kept per SQL text. Bounded: search SQL varies with the filter's shape, so
 * clients could otherwise grow the cache without end; the oldest entry goes first (a statement
 * no longer referenced is finalised by the garbage collector).
 */
const MAX_CACHED_STATEMENTS = 2000;

function cached(cache: Map<string, BetterSqlite3.Statement>, sql: string, prepare: () => BetterSqlite3.Statement): BetterSqlite3.Statement {
  let statement = cache.get(sql);
  if (!statement) {
    statement = prepare();
    if (cache.size >= MAX_CACHED_STATEMENTS) {
      cache.delete(cache.keys().next().value as string);
    }
    cache.set(sql, statement);
  }
  return statement;
}

/** The outermost transaction open in this async context (see `runInTransaction`, `transaction`). */
interface AmbientTransaction {
  executor: SqlExecutor;
  afterCommit: (() => void)[];
  savepoints: number;
  /** Set once committed or rolled back: late async work must not use a finished transaction. */
  closed: boolean;
}

/**
 * The one door to the database for repositories. TypeORM owns the connection, the schema and
 * the migrations; this class runs plain parameterised SQL on the same connection with cached
 * prepared statements, which the metric hot path needs.
 *
 * SQLite has a single connection, so async transactions from concurrent requests would
 * interleave on it. Everything therefore passes one FIFO lock: a transaction holds it from
 * BEGIN to COMMIT, and a statement outside a transaction waits for it, so no request ever
 * sees another's uncommitted writes.
 */
export class SqlClient implements SqlExecutor {
  readonly dialect: Dialect;
  private readonly sqliteDb?: BetterSqlite3.Database;
  private readonly pool?: pg.Pool;
  private readonly statements = new Map<string, BetterSqlite3.Statement>();
  private readonly tupleStatements = new Map<string, BetterSqlite3.Statement>();
  private readonly pluckStatements = new Map<string, BetterSqlite3.Statement>();
  private readonly ambient = new AsyncLocalStorage<AmbientTransaction>();
  private lockTail: Promise<void> = Promise.resolve();
  private lockHeld = false;
  /** Work queued for the lock now, and the total time work has spent queued (ms): for monitoring. */
  private lockWaiting = 0;
  private lockWaitMs = 0;
  private readonly direct: SqlExecutor;
  private readonly statistics?: PlannerStatistics;

  constructor(dataSource: DataSource) {
    const driver = dataSource.driver as unknown as { databaseConnection?: BetterSqlite3.Database; master?: pg.Pool };
    if (dataSource.options.type === 'better-sqlite3') {
      this.dialect = 'sqlite';
      if (!driver.databaseConnection) {
        throw new Error('SQLite connection is not open');
      }
      this.sqliteDb = driver.databaseConnection;
      this.direct = new SqliteExecutor(
        (sql) => this.statement(sql),
        (sql) => this.tupleStatement(sql),
      );
    } else if (dataSource.options.type === 'postgres') {
      this.dialect = 'postgres';
      if (!driver.master) {
        throw new Error('PostgreSQL pool is not open');
      }
      this.pool = driver.master;
      this.direct = new PostgresExecutor(this.pool);
      const direct = this.direct;
      this.statistics = new PlannerStatistics(async (table) => {
        // `table` is one of the fixed names of AnalyzedTable, never input.
        await direct.execute(`ANALYZE ${table}`);
        const [[estimated]] = await direct.queryTuples<[number]>('SELECT reltuples::float8 FROM pg_class WHERE oid = ?::regclass', [table]);
        return estimated;
      });
    } else {
      throw new Error(`Unsupported database type ${dataSource.options.type}`);
    }
  }

  /** A snapshot of how busy the connections are (cheap: counters, no query). */
  load(): DatabaseLoad {
    if (this.pool) {
      return {
        dialect: 'postgres',
        connections: this.pool.totalCount,
        idleConnections: this.pool.idleCount,
        waitingRequests: this.pool.waitingCount,
        maxConnections: this.pool.options.max ?? 10,
      };
    }
    return { dialect: 'sqlite', lockWaiting: this.lockWaiting, lockWaitSeconds: this.lockWaitMs / 1000 };
  }

  /**
   * Tells the database how many rows a write added to a table whose growth changes our plans
   * (PostgreSQL: see PlannerStatistics; SQLite plans without statistics, so nothing to do).
   */
  noteRowsWritten(table: AnalyzedTable, rows: number): void {
    this.statistics?.noteWrites(table, rows);
  }

  /** A prepared statement, compiled once per SQL text. */
  statement(sql: string): BetterSqlite3.Statement {
    return cached(this.statements, sql, () => this.sqlite().prepare(sql));
  }

  /** Like `statement`, but returning rows as arrays (a separate cache: raw mode is per statement). */
  tupleStatement(sql: string): BetterSqlite3.Statement {
    return cached(this.tupleStatements, sql, () => this.sqlite().prepare(sql).raw(true));
  }

  /**
   * Like `statement`, but returning the first column of each row. Never call `.pluck()` or
   * `.raw()` on a shared statement from `statement()`: the mode sticks for every other caller.
   */
  pluckStatement(sql: string): BetterSqlite3.Statement {
    return cached(this.pluckStatements, sql, () => this.sqlite().prepare(sql).pluck(true));
  }

  sqlite(): BetterSqlite3.Database {
    if (!this.sqliteDb) {
      throw new Error('not a SQLite database');
    }
    return this.sqliteDb;
  }

  async query<Row>(sql: string, params: readonly SqlValue[] = []): Promise<Row[]> {
    const ambient = this.openAmbient();
    if (ambient) {
      return ambient.executor.query<Row>(sql, params);
    }
    if (this.pool) {
      return this.direct.query<Row>(sql, params);
    }
    return this.whenUnlocked(() => this.direct.query<Row>(sql, params));
  }

  async queryOne<Row>(sql: string, params: readonly SqlValue[] = []): Promise<Row | undefined> {
    const ambient = this.openAmbient();
    if (ambient) {
      return ambient.executor.queryOne<Row>(sql, params);
    }
    if (this.pool) {
      return this.direct.queryOne<Row>(sql, params);
    }
    return this.whenUnlocked(() => this.direct.queryOne<Row>(sql, params));
  }

  async queryTuples<Tuple extends unknown[]>(sql: string, params: readonly SqlValue[] = []): Promise<Tuple[]> {
    const ambient = this.openAmbient();
    if (ambient) {
      return ambient.executor.queryTuples<Tuple>(sql, params);
    }
    if (this.pool) {
      return this.direct.queryTuples<Tuple>(sql, params);
    }
    return this.whenUnlocked(() => this.direct.queryTuples<Tuple>(sql, params));
  }

  async execute(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    const ambient = this.openAmbient();
    if (ambient) {
      return ambient.executor.execute(sql, params);
    }
    if (this.pool) {
      return this.direct.execute(sql, params);
    }
    return this.whenUnlocked(() => this.direct.execute(sql, params));
  }

  /**
   * Runs `work` in one transaction: committed if it resolves, rolled back if it throws. Inside
   * another transaction (this one or `runInTransaction`) it becomes a savepoint of it, so it can
   * fail alone; every query made from `work`, through `tx` or not, joins the transaction. On
   * PostgreSQL an outermost transaction that lost a deadlock or a serialization race is retried,
   * so `work` must not have effects outside the database that a second run would repeat.
   */
  async transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const ambient = this.openAmbient();
    if (ambient) {
      return this.savepoint(ambient, work);
    }
    if (this.pool) {
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.outermostTransaction(work);
        } catch (error) {
          if (attempt >= MAX_TRANSACTION_ATTEMPTS || !isRetryableConflict(error)) {
            throw error;
          }
        }
      }
    }
    return this.outermostTransaction(work);
  }

  /**
   * BEGIN, `work` with the transaction as the ambient one (so nested transactions become
   * savepoints and stray queries join it instead of waiting for the SQLite lock it holds), then
   * COMMIT and the afterCommit callbacks, or ROLLBACK.
   */
  private async outermostTransaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    if (this.pool) {
      const client = await this.pool.connect();
      const ambient: AmbientTransaction = { executor: new PostgresExecutor(client), afterCommit: [], savepoints: 0, closed: false };
      try {
        await client.query('BEGIN');
        const result = await this.ambient.run(ambient, () => work(ambient.executor));
        await client.query('COMMIT');
        ambient.closed = true;
        ambient.afterCommit.forEach((callback) => callback());
        return result;
      } catch (error) {
        ambient.closed = true;
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    }
    return this.withLock(async () => {
      const db = this.sqlite();
      const ambient: AmbientTransaction = { executor: this.direct, afterCommit: [], savepoints: 0, closed: false };
      this.statement('BEGIN IMMEDIATE').run();
      try {
        const result = await this.ambient.run(ambient, () => work(ambient.executor));
        this.statement('COMMIT').run();
        ambient.closed = true;
        ambient.afterCommit.forEach((callback) => callback());
        return result;
      } catch (error) {
        ambient.closed = true;
        if (db.inTransaction) {
          this.statement('ROLLBACK').run();
        }
        throw error;
      }
    });
  }

  /**
   * SQLite only: runs synchronous `work` as one IMMEDIATE transaction under the lock, with no
   * await inside, which is the fastest way to write a batch.
   */
  async sqliteTransaction<T>(work: (db: BetterSqlite3.Database) => T): Promise<T> {
    const db = this.sqlite();
    if (this.openAmbient()) {
      // Inside the request's transaction, which holds the lock: better-sqlite3 nests a savepoint.
      return db.transaction(() => work(db))();
    }
    const run = () => db.transaction(() => work(db)).immediate();
    if (!this.lockHeld) {
      return run();
    }
    return this.withLock(() => Promise.resolve(run()));
  }

  /** PostgreSQL only: a session-level advisory lock held while `work` runs (migrations at start). */
  async withAdvisoryLock<T>(lockId: number, work: () => Promise<T>): Promise<T> {
    if (!this.pool) {
      return work();
    }
    const client = await this.pool.connect();
    try {
      await client.query('SELECT pg_advisory_lock($1)', [lockId]);
      return await work();
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [lockId]).catch(() => undefined);
      client.release();
    }
  }

  /**
   * Runs `work` (a whole request, say) in one transaction that every query, transaction and
   * repository call made from it joins, through AsyncLocalStorage: committed if `work`
   * resolves, rolled back if it throws. This is what makes an idempotent request exactly-once:
   * its effects and the record of its outcome commit together or not at all.
   */
  async runInTransaction<T>(work: () => Promise<T>): Promise<T> {
    if (this.openAmbient()) {
      return work();
    }
    return this.outermostTransaction(() => work());
  }

  /**
   * Runs `callback` once what was just written is committed: at once outside a request
   * transaction, after its COMMIT inside one (never, if it rolls back). For caches that must
   * not learn of rows a rollback could still take away.
   */
  afterCommit(callback: () => void): void {
    const ambient = this.openAmbient();
    if (ambient) {
      ambient.afterCommit.push(callback);
    } else {
      callback();
    }
  }

  /** Whether this code runs inside a transaction (`transaction` or `runInTransaction`). */
  inTransaction(): boolean {
    return this.openAmbient() !== undefined;
  }

  private openAmbient(): AmbientTransaction | undefined {
    const ambient = this.ambient.getStore();
    return ambient && !ambient.closed ? ambient : undefined;
  }

  /** A nested transaction inside the outermost one: its own savepoint, so it can fail alone. */
  private async savepoint<T>(ambient: AmbientTransaction, work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const name = `entrenar_sp_${++ambient.savepoints}`;
    await ambient.executor.execute(`SAVEPOINT ${name}`);
    try {
      const result = await work(ambient.executor);
      await ambient.executor.execute(`RELEASE SAVEPOINT ${name}`);
      return result;
    } catch (error) {
      await ambient.executor.execute(`ROLLBACK TO SAVEPOINT ${name}`).catch(() => undefined);
      await ambient.executor.execute(`RELEASE SAVEPOINT ${name}`).catch(() => undefined);
      throw error;
    }
  }

  private whenUnlocked<T>(work: () => Promise<T>): Promise<T> {
    return this.lockHeld ? this.withLock(work) : work();
  }

  private async withLock<T>(work: () => Promise<T>): Promise<T> {
    const previous = this.lockTail;
    let release!: () => void;
    this.lockTail = new Promise<void>((resolve) => (release = resolve));
    const queuedAt = performance.now();
    this.lockWaiting++;
    await previous;
    this.lockWaiting--;
    this.lockWaitMs += performance.now() - queuedAt;
    this.lockHeld = true;
    try {
      return await work();
    } finally {
      this.lockHeld = false;
      release();
    }
  }
}

/** Splits a long id list so `IN (…)` stays under SQLite's bound-parameter limit. */
export function chunksOf<T>(items: readonly T[], size = 500): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) {
    chunks.push(items.slice(start, start + size));
  }
  return chunks;
}

/** `?, ?, ?` for an IN list of `count` values. */
export function placeholders(count: number): string {
  return new Array<string>(count).fill('?').join(', ');
}
