import { spawn } from 'node:child_process';
import path from 'node:path';
import { createTestStorage, TestStorage } from '../support/database.js';
import { EntrenarProcess, REPO_ROOT, startEntrenar, storageArgs } from './support/entrenar-process.js';

const EXAMPLE = path.join(REPO_ROOT, 'dist', 'examples', 'train-logistic-regression.js');
const STEPS = 300;

interface ExampleRun {
  code: number | null;
  output: string;
  /** Resolves once the example printed its run id. */
  runId: Promise<string>;
  exited: Promise<number | null>;
}

function runExample(url: string, args: string[]): ExampleRun {
  const child = spawn(process.execPath, [EXAMPLE, '--url', url, '--steps', String(STEPS), ...args], { cwd: REPO_ROOT });
  const result: ExampleRun = { code: null, output: '', runId: Promise.resolve(''), exited: Promise.resolve(null) };
  result.runId = new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      result.output += chunk.toString();
      const match = /run (run-[0-9a-f]+) in experiment/.exec(result.output);
      if (match) {
        resolve(match[1]);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk: Buffer) => (result.output += chunk.toString()));
    child.once('exit', () => reject(new Error(`example exited before starting a run:\n${result.output}`)));
  });
  result.runId.catch(() => undefined);
  result.exited = new Promise((resolve) =>
    child.once('exit', (code) => {
      result.code = code;
      resolve(code);
    }),
  );
  return result;
}

async function getJson(url: string): Promise<Record<string, unknown>> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

/** Every point of one metric, all pages. */
async function history(url: string, runId: string, key: string): Promise<{ step: number; value: number }[]> {
  const points: { step: number; value: number }[] = [];
  let token: string | undefined;
  do {
    const page = await getJson(`${url}/api/v1/runs/${runId}/metrics?key=${key}&max_results=1000${token ? `&page_token=${token}` : ''}`);
    points.push(...(page.metrics as { step: number; value: number }[]));
    token = page.next_page_token as string | undefined;
  } while (token);
  return points;
}

async function expectCompleteRun(url: string, runId: string): Promise<void> {
  expect(await getJson(`${url}/api/v1/runs/${runId}`)).toMatchObject({ status: 'success' });
  const params = (await getJson(`${url}/api/v1/runs/${runId}/params`)).params as { key: string; value: unknown }[];
  expect(params).toEqual(
    expect.arrayContaining([
      { key: 'model', value: 'logistic_regression' },
      { key: 'learning_rate', value: 0.1 },
      { key: 'steps', value: STEPS },
    ]),
  );
  for (const key of ['loss', 'accuracy']) {
    const points = await history(url, runId, key);
    // Every step exactly once: no gap from the outage, no duplicate from a retry.
    expect(points.map((point) => point.step)).toEqual(Array.from({ length: STEPS }, (_, step) => step));
  }
  const testAccuracy = await history(url, runId, 'test_accuracy');
  expect(testAccuracy.map((point) => point.step)).toEqual([49, 99, 149, 199, 249, 299]);
  expect(testAccuracy[testAccuracy.length - 1].value).toBeGreaterThan(0.8);
  const weights = await fetch(`${url}/api/v1/runs/${runId}/artifacts/model/weights.json`);
  expect(weights.status).toBe(200);
  expect(Object.keys((await weights.json()) as Record<string, unknown>).sort()).toEqual(['b', 'w']);
}

describe('the training example (examples/train-logistic-regression.ts) against a real server', () => {
  let storage: TestStorage;
  let server: EntrenarProcess | undefined;

  beforeEach(async () => {
    storage = await createTestStorage();
  });
  afterEach(async () => {
    await server?.stop();
    await storage.dispose();
  });

  it('trains, logs params, per-step loss and accuracy and its weights, and finishes the run', async () => {
    server = await startEntrenar({ args: storageArgs(storage) });
    const example = runExample(server.url, ['--experiment', 'example-e2e']);
    const runId = await example.runId;
    expect(await example.exited).toBe(0);
    expect(example.output).toContain(`finished ${runId}: success`);
    await expectCompleteRun(server.url, runId);
  });

  it('loses nothing and doubles nothing when the server is killed and restarted mid-training', async () => {
    server = await startEntrenar({ args: storageArgs(storage) });
    const port = server.port;
    // 300 steps at 20 ms each: about 6 s of training, with the outage in the middle.
    const example = runExample(server.url, ['--experiment', 'example-restart', '--step-delay-ms', '20']);
    const runId = await example.runId;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await server.kill();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(example.code).toBeNull(); // training went on while the server was down
    server = await startEntrenar({ args: storageArgs(storage), port });
    expect(await example.exited).toBe(0);
    expect(example.output).toContain(`finished ${runId}: success`);
    await expectCompleteRun(server.url, runId);
  });
});
