import { SqlClient } from './sql-client.js';
import { perDialectProvider } from './per-dialect.provider.js';

abstract class GreetingStore {
  abstract greet(): string;
}

class SqliteGreetingStore extends GreetingStore {
  constructor(
    readonly sql: SqlClient,
    readonly suffix = '',
  ) {
    super();
  }
  greet(): string {
    return `sqlite${this.suffix}`;
  }
}

class PostgresGreetingStore extends GreetingStore {
  constructor(
    readonly sql: SqlClient,
    readonly suffix = '',
  ) {
    super();
  }
  greet(): string {
    return `postgres${this.suffix}`;
  }
}

const SUFFIX = Symbol('suffix');

function clientOf(dialect: 'sqlite' | 'postgres'): SqlClient {
  return { dialect } as unknown as SqlClient;
}

describe('perDialectProvider', () => {
  const provider = perDialectProvider<GreetingStore, [string]>(
    GreetingStore,
    { sqlite: SqliteGreetingStore, postgres: PostgresGreetingStore },
    [SUFFIX],
  );

  it('provides the store token, injecting the SQL client first and then the other dependencies', () => {
    expect(provider.provide).toBe(GreetingStore);
    expect(provider.inject).toEqual([SqlClient, SUFFIX]);
  });

  it('builds the implementation of the configured database with the dependencies it was given', () => {
    const sqlite = clientOf('sqlite');
    const onSqlite = provider.useFactory(sqlite, '!') as SqliteGreetingStore;
    expect(onSqlite).toBeInstanceOf(SqliteGreetingStore);
    expect(onSqlite.sql).toBe(sqlite);
    expect(onSqlite.greet()).toBe('sqlite!');

    const onPostgres = provider.useFactory(clientOf('postgres'), '?') as GreetingStore;
    expect(onPostgres).toBeInstanceOf(PostgresGreetingStore);
    expect(onPostgres.greet()).toBe('postgres?');
  });
});
