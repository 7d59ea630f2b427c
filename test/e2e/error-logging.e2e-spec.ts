import Database from 'better-sqlite3';
import path from 'node:path';
import pg from 'pg';
import { createTestStorage, TestStorage } from '../support/database.js';
import { EntrenarProcess, startEntrenar, storageArgs } from './support/entrenar-process.js';

/** Breaks the server's database under it: the experiments table goes away, so reading it fails. */
async function hideExperimentsTable(storage: TestStorage): Promise<void> {
  const statement = 'ALTER TABLE experiments RENAME TO experiments_hidden';
  if (storage.kind === 'sqlite') {
    const db = new Database(path.join(storage.dataDir, 'entrenar.db'));
    try {
      db.exec(statement);
    } finally {
      db.close();
    }
    return;
  }
  const client = new pg.Client({ connectionString: storage.databaseUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/**
 * A failure of ours (a 500) is logged with its stack and the request id, and answered with a
 * plain INTERNAL_ERROR, but the query string never reaches the log: it can hold anything a
 * client put there (names, tokens), as the README promises.
 */
describe('a 500 is logged with its stack, never with the query string', () => {
  let storage: TestStorage;
  let server: EntrenarProcess;

  beforeAll(async () => {
    storage = await createTestStorage();
    server = await startEntrenar({ args: storageArgs(storage) });
  });
  afterAll(async () => {
    await server.stop();
    await storage.dispose();
  });

  it('answers INTERNAL_ERROR naming the request id, and logs the path and stack without the query', async () => {
    await hideExperimentsTable(storage);
    const secret = 'query-secret-7f3a9c';
    const answers = [];
    for (const url of [
      `/api/v1/experiments?name=${secret}`,
      `/api/2.0/mlflow/experiments/get-by-name?experiment_name=${secret}`,
      `/api/v1/experiments?max_results=5&name=${secret}`,
    ]) {
      const response = await fetch(`${server.url}${url}`, { headers: { 'x-request-id': `req-${answers.length}-e2e` } });
      answers.push({ url, status: response.status, text: await response.text() });
    }
    expect(answers.map((answer) => answer.status)).toEqual([500, 500, 500]);
    expect(JSON.parse(answers[0].text)).toEqual({ error: { code: 'INTERNAL_ERROR', message: 'internal error (request id req-0-e2e)' } });
    expect(JSON.parse(answers[1].text)).toEqual({ error_code: 'INTERNAL_ERROR', message: 'internal error (request id req-1-e2e)' });
    for (const answer of answers) {
      expect(answer.text).not.toContain(secret);
      expect(answer.text).not.toMatch(/experiments_hidden|no such table|does not exist|SELECT/i);
    }
    // Logged: each failure with its request id, path and stack; the query string nowhere. The
    // log is written asynchronously, so wait for the last failure's line.
    for (let waited = 0; !server.output().includes('request req-2-e2e') && waited < 5000; waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const log = server.output();
    for (const [index, pathOnly] of ['/api/v1/experiments', '/api/2.0/mlflow/experiments/get-by-name', '/api/v1/experiments'].entries()) {
      expect(log).toContain(`request req-${index}-e2e GET ${pathOnly} failed:`);
    }
    // A JSON log line: the stack's line breaks are escaped.
    expect(log).toMatch(/failed: .*\\n\s+at /);
    expect(log).not.toContain(secret);
    expect(log).not.toContain('max_results');
  });
});
