import type BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { DataSource } from 'typeorm';

export type Dialect = 'sqlite' | 'postgres';
/** Arrays are for PostgreSQL only (`unnest(?::bigint[])`, `= ANY(?)`). */
export type SqlValue = string | number | bigint | boolean | null | Buffer | readonly number[] | readonly string[];

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

class PostgresExecutor implements SqlExecutor {
  readonly dialect = 'postgres' as const;
  constructor(private readonly client: pg.Pool | pg.PoolClient) {}

  async query<Row>(sql: string, params: readonly SqlValue[] = []): Promise<Row[]> {
    const result = await this.client.query({ text: toPostgresPlaceholders(sql), values: params as unknown[], types: postgresTypes });
    return result.rows as Row[];
  }

  async queryOne<Row>(sql: string, params: readonly SqlValue[] = []): Promise<Row | undefined> {
    const rows = await this.query<Row>(sql, params);
    return rows[0];
  }

  async queryTuples<Tuple extends unknown[]>(sql: string, params: readonly SqlValue[] = []): Promise<Tuple[]> {
    const result = await this.client.query({
      text: toPostgresPlaceholders(sql),
      values: params as unknown[],
      types: postgresTypes,
      rowMode: 'array',
    });
    return result.rows as Tuple[];
  }

  async execute(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    const result = await this.client.query({ text: toPostgresPlaceholders(sql), values: params as unknown[], types: postgresTypes });
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
  private lockTail: Promise<void> = Promise.resolve();
  private lockHeld = false;
  private readonly direct: SqlExecutor;

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
    } else {
      throw new Error(`Unsupported database type ${dataSource.options.type}`);
    }
  }

  /** A prepared statement, compiled once per SQL text. */
  statement(sql: string): BetterSqlite3.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.sqlite().prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /** Like `statement`, but returning rows as arrays (a separate cache: raw mode is per statement). */
  tupleStatement(sql: string): BetterSqlite3.Statement {
    let statement = this.tupleStatements.get(sql);
    if (!statement) {
      statement = this.sqlite().prepare(sql).raw(true);
      this.tupleStatements.set(sql, statement);
    }
    return statement;
  }

  sqlite(): BetterSqlite3.Database {
    if (!this.sqliteDb) {
      throw new Error('not a SQLite database');
    }
    return this.sqliteDb;
  }

  async query<Row>(sql: string, params: readonly SqlValue[] = []): Promise<Row[]> {
    if (this.pool) {
      return this.direct.query<Row>(sql, params);
    }
    return this.whenUnlocked(() => this.direct.query<Row>(sql, params));
  }

  async queryOne<Row>(sql: string, params: readonly SqlValue[] = []): Promise<Row | undefined> {
    if (this.pool) {
      return this.direct.queryOne<Row>(sql, params);
    }
    return this.whenUnlocked(() => this.direct.queryOne<Row>(sql, params));
  }

  async queryTuples<Tuple extends unknown[]>(sql: string, params: readonly SqlValue[] = []): Promise<Tuple[]> {
    if (this.pool) {
      return this.direct.queryTuples<Tuple>(sql, params);
    }
    return this.whenUnlocked(() => this.direct.queryTuples<Tuple>(sql, params));
  }

  async execute(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    if (this.pool) {
      return this.direct.execute(sql, params);
    }
    return this.whenUnlocked(() => this.direct.execute(sql, params));
  }

  /**
   * Runs `work` in one transaction: committed if it resolves, rolled back if it throws. On
   * PostgreSQL a transaction chosen as a deadlock victim is retried, so `work` must not have
   * effects outside the database that a second run would repeat.
   */
  async transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    if (this.pool) {
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.postgresTransaction(this.pool, work);
        } catch (error) {
          if (attempt >= MAX_TRANSACTION_ATTEMPTS || !isRetryableConflict(error)) {
            throw error;
          }
        }
      }
    }
    return this.withLock(async () => {
      const db = this.sqlite();
      db.prepare('BEGIN IMMEDIATE').run();
      try {
        const result = await work(this.direct);
        db.prepare('COMMIT').run();
        return result;
      } catch (error) {
        if (db.inTransaction) {
          db.prepare('ROLLBACK').run();
        }
        throw error;
      }
    });
  }

  private async postgresTransaction<T>(pool: pg.Pool, work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(new PostgresExecutor(client));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /**
   * SQLite only: runs synchronous `work` as one IMMEDIATE transaction under the lock, with no
   * await inside, which is the fastest way to write a batch.
   */
  async sqliteTransaction<T>(work: (db: BetterSqlite3.Database) => T): Promise<T> {
    const db = this.sqlite();
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

  private whenUnlocked<T>(work: () => Promise<T>): Promise<T> {
    return this.lockHeld ? this.withLock(work) : work();
  }

  private async withLock<T>(work: () => Promise<T>): Promise<T> {
    const previous = this.lockTail;
    let release!: () => void;
    this.lockTail = new Promise<void>((resolve) => (release = resolve));
    await previous;
    this.lockHeld = true;
    try {
      return await work();
    } finally {
      this.lockHeld = false;
      release();
    }
  }
}
