import { createTestStorage, TestStorage } from '../support/database.js';
import { startEntrenar, storageArgs } from './support/entrenar-process.js';

async function post(url: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  if (response.status !== 201 && response.status !== 200) {
    throw new Error(`POST ${url} → ${response.status} ${await response.text()}`);
  }
  return (await response.json()) as Record<string, unknown>;
}

async function get(url: string): Promise<Record<string, unknown>> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

/** Writes one of everything and returns what a reader must find afterwards. */
async function writeEverything(url: string, tag: string) {
  const experiment = await post(`${url}/api/v1/experiments`, { name: `durable-${tag}`, config: { tag } });
  const run = await post(`${url}/api/v1/runs`, { experiment_id: experiment.id, name: `run-${tag}` });
  const runId = run.id as string;
  await post(`${url}/api/v1/runs/${runId}/start`, {});
  await post(`${url}/api/v1/runs/${runId}/params`, { key: 'lr', value: 0.01 });
  await post(`${url}/api/v1/runs/${runId}/params`, { key: 'optimizer', value: 'adam' });
  const metrics = Array.from({ length: 500 }, (_, step) => ({ key: 'loss', step, value: 1 / (step + 1) }));
  await post(`${url}/api/v1/runs/${runId}/metrics/batch`, { metrics });
  await post(`${url}/api/v1/runs/${runId}/metrics`, { key: 'accuracy', step: 499, value: 0.9 });
  const form = new FormData();
  form.append('file', new Blob([`weights of ${tag}`]), 'weights.bin');
  form.append('key', 'checkpoints/weights.bin');
  const upload = await fetch(`${url}/api/v1/runs/${runId}/artifacts`, { method: 'POST', body: form });
  expect(upload.status).toBe(201);
  return { experimentId: experiment.id as string, runId, tag };
}

async function expectEverything(url: string, written: Awaited<ReturnType<typeof writeEverything>>): Promise<void> {
  expect(await get(`${url}/api/v1/experiments/${written.experimentId}`)).toMatchObject({
    name: `durable-${written.tag}`,
    config: { tag: written.tag },
  });
  expect(await get(`${url}/api/v1/runs/${written.runId}`)).toMatchObject({ name: `run-${written.tag}`, status: 'running' });
  expect(await get(`${url}/api/v1/runs/${written.runId}/params`)).toEqual({
    params: [
      { key: 'lr', value: 0.01 },
      { key: 'optimizer', value: 'adam' },
    ],
  });
  const history = (await get(`${url}/api/v1/runs/${written.runId}/metrics?key=loss`)).metrics as { step: number; value: number }[];
  expect(history).toHaveLength(500);
  expect(history.map((point) => point.step)).toEqual(Array.from({ length: 500 }, (_, step) => step));
  const latest = (await get(`${url}/api/v1/runs/${written.runId}/metrics`)).metrics as { key: string; value: number }[];
  expect(latest.map((point) => point.key)).toEqual(['accuracy', 'loss']);
  const download = await fetch(`${url}/api/v1/runs/${written.runId}/artifacts/checkpoints/weights.bin`);
  expect(download.status).toBe(200);
  expect(await download.text()).toBe(`weights of ${written.tag}`);
}

describe('durability of a real `entrenar server` process', () => {
  let storage: TestStorage;

  beforeEach(async () => {
    storage = await createTestStorage();
  });
  afterEach(() => storage.dispose());

  it('finds everything again after a clean stop and a restart on the same data', async () => {
    const first = await startEntrenar({ args: storageArgs(storage) });
    const written = await writeEverything(first.url, 'clean');
    expect(await first.stop()).toBe(0);

    const second = await startEntrenar({ args: storageArgs(storage) });
    try {
      await expectEverything(second.url, written);
    } finally {
      await second.stop();
    }
  });

  it('keeps every acknowledged write when the server is killed with SIGKILL right after', async () => {
    const first = await startEntrenar({ args: storageArgs(storage) });
    const written = await writeEverything(first.url, 'killed');
    // Acknowledged just now; no chance to flush, checkpoint or close anything.
    await first.kill();
    expect(first.child.signalCode).toBe('SIGKILL');

    const second = await startEntrenar({ args: storageArgs(storage) });
    try {
      await expectEverything(second.url, written);
    } finally {
      await second.stop();
    }
  });
});
