import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

export type TestDatabaseKind = 'sqlite' | 'postgres';

/** Which database this test run targets: ENTRENAR_TEST_DB=sqlite (default) or postgres. */
export function testDatabaseKind(): TestDatabaseKind {
  const kind = process.env.ENTRENAR_TEST_DB ?? 'sqlite';
  if (kind !== 'sqlite' && kind !== 'postgres') {
    throw new Error(`ENTRENAR_TEST_DB must be sqlite or postgres, not ${kind}`);
  }
  return kind;
}

/** A fresh, empty place to keep data: a temporary data directory, plus a new database on PostgreSQL. */
export interface TestStorage {
  kind: TestDatabaseKind;
  dataDir: string;
  /** '' on SQLite (the server's default file under dataDir). */
  databaseUrl: string;
  dispose(): Promise<void>;
}

function adminUrl(): string {
  const url = process.env.ENTRENAR_TEST_DATABASE_URL;
  if (!url) {
    throw new Error('ENTRENAR_TEST_DB=postgres needs ENTRENAR_TEST_DATABASE_URL (see scripts/ensure-postgres.sh)');
  }
  return url;
}

export async function createTestStorage(kind: TestDatabaseKind = testDatabaseKind()): Promise<TestStorage> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'entrenar-test-'));
  if (kind === 'sqlite') {
    return { kind, dataDir, databaseUrl: '', dispose: () => rm(dataDir, { recursive: true, force: true }) };
  }
  const admin = adminUrl();
  const name = `entrenar_test_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    kind,
    dataDir,
    databaseUrl: url.toString(),
    dispose: async () => {
      const dropper = new pg.Client({ connectionString: admin });
      await dropper.connect();
      await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await dropper.end();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
