import { createHash } from 'node:crypto';
import { createTestStorage, TestStorage } from '../support/database.js';
import { EntrenarProcess, startEntrenar, storageArgs } from './support/entrenar-process.js';

const RFC3339_Z = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/**
 * Every example of the seed document (../shared/seed/rest-api-server.md), sent as written to a
 * real `entrenar server` process, gets the response the seed shows: first with auth off, then
 * with `--auth-type api_key --api-key <key>` and the seed's `Authorization: Bearer` header. (The
 * seed's own key, `mysecretkey`, is refused at start: issue #12 asks for keys of 16 characters
 * or more, so the example uses a longer one.)
 */
interface AuthMode {
  label: string;
  args: string[];
  headers: Record<string, string>;
}

const AUTH_MODES: AuthMode[] = [
  { label: 'auth off', args: [], headers: {} },
  {
    label: 'api_key auth',
    args: ['--auth-type', 'api_key', '--api-key', 'mysecretkey-0123456789'],
    headers: { Authorization: 'Bearer mysecretkey-0123456789' },
  },
];

describe.each(AUTH_MODES)('the seed examples against `entrenar server` ($label)', ({ args, headers }) => {
  let storage: TestStorage;
  let server: EntrenarProcess;

  async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: { ...headers, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  }

  beforeAll(async () => {
    storage = await createTestStorage();
    server = await startEntrenar({ args: [...storageArgs(storage), ...args] });
  });
  afterAll(async () => {
    await server.stop();
    await storage.dispose();
  });

  it('walks the whole seed API: health, experiments, runs, metrics, params, artifacts, errors', async () => {
    const health = await call('GET', '/health');
    expect(health.status).toBe(200);
    expect(health.json).toEqual({ status: 'healthy', version: expect.stringMatching(/^\d+\.\d+\.\d+/), uptime_secs: expect.any(Number) });

    const experiment = await call('POST', '/api/v1/experiments', { name: 'gpt2-finetune', config: { model: 'gpt2', dataset: 'wikitext' } });
    expect(experiment.status).toBe(201);
    expect(experiment.json).toMatchObject({
      id: expect.stringMatching(/^exp-/),
      name: 'gpt2-finetune',
      created_at: expect.stringMatching(RFC3339_Z),
    });
    const experimentId = experiment.json.id as string;

    const list = await call('GET', '/api/v1/experiments');
    expect(list.status).toBe(200);
    expect((list.json.experiments as { id: string }[]).map((item) => item.id)).toContain(experimentId);
    expect((await call('GET', `/api/v1/experiments/${experimentId}`)).json).toMatchObject({ id: experimentId, name: 'gpt2-finetune' });

    const run = await call('POST', '/api/v1/runs', { experiment_id: experimentId });
    expect(run.status).toBe(201);
    expect(run.json).toMatchObject({
      id: expect.stringMatching(/^run-/),
      experiment_id: experimentId,
      status: 'pending',
      created_at: expect.stringMatching(RFC3339_Z),
    });
    const runId = run.json.id as string;

    expect((await call('POST', `/api/v1/runs/${runId}/start`)).json).toMatchObject({ id: runId, status: 'running' });

    const metric = await call('POST', `/api/v1/runs/${runId}/metrics`, { key: 'loss', step: 100, value: 0.5 });
    expect(metric.status).toBe(201);
    const batch = await call('POST', `/api/v1/runs/${runId}/metrics/batch`, {
      metrics: [
        { key: 'loss', step: 100, value: 0.5 },
        { key: 'accuracy', step: 100, value: 0.85 },
      ],
    });
    expect(batch).toEqual({ status: 201, json: { accepted: 2 } });
    const loss = await call('GET', `/api/v1/runs/${runId}/metrics?key=loss`);
    expect(loss.status).toBe(200);
    const points = loss.json.metrics as { key: string; step: number; value: number; timestamp: string }[];
    // The single point and the batch's identical one: one row if both got the same server timestamp.
    expect(points.length).toBeGreaterThanOrEqual(1);
    expect(points.length).toBeLessThanOrEqual(2);
    expect(
      points.every((point) => point.key === 'loss' && point.step === 100 && point.value === 0.5 && RFC3339_Z.test(point.timestamp)),
    ).toBe(true);

    expect(await call('POST', `/api/v1/runs/${runId}/params`, { key: 'learning_rate', value: 0.001 })).toEqual({
      status: 201,
      json: { key: 'learning_rate', value: 0.001 },
    });
    expect(await call('GET', `/api/v1/runs/${runId}/params`)).toEqual({
      status: 200,
      json: { params: [{ key: 'learning_rate', value: 0.001 }] },
    });

    const bytes = Buffer.alloc(1024 * 1024, 7);
    const form = new FormData();
    form.append('file', new Blob([bytes]), 'model.safetensors');
    const upload = await fetch(`${server.url}/api/v1/runs/${runId}/artifacts`, { method: 'POST', headers, body: form });
    expect(upload.status).toBe(201);
    expect(await upload.json()).toEqual({
      key: 'model.safetensors',
      hash: `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
      size_bytes: 1048576,
    });
    const download = await fetch(`${server.url}/api/v1/runs/${runId}/artifacts/model.safetensors`, { headers });
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer()).equals(bytes)).toBe(true);

    expect((await call('POST', `/api/v1/runs/${runId}/complete`, { status: 'success' })).json).toMatchObject({
      id: runId,
      status: 'success',
    });
    expect((await call('GET', `/api/v1/runs/${runId}`)).json).toMatchObject({
      id: runId,
      status: 'success',
      ended_at: expect.stringMatching(RFC3339_Z),
    });
    const runs = await call('GET', `/api/v1/experiments/${experimentId}/runs`);
    expect((runs.json.runs as { id: string }[]).map((item) => item.id)).toEqual([runId]);

    expect(await call('GET', '/api/v1/runs/run-xyz789')).toEqual({
      status: 404,
      json: { error: { code: 'NOT_FOUND', message: 'Run not found: run-xyz789' } },
    });
  });

  if (args.length > 0) {
    it('answers 401 UNAUTHORIZED without the key, and keeps /health public', async () => {
      const response = await fetch(`${server.url}/api/v1/experiments`);
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({ error: { code: 'UNAUTHORIZED', message: expect.any(String) } });
      expect((await fetch(`${server.url}/health`)).status).toBe(200);
    });

    it('never writes the API key into its log', async () => {
      await fetch(`${server.url}/api/v1/experiments`, { headers: { Authorization: 'Bearer wrong-key-zzz' } });
      expect(server.output()).not.toContain('mysecretkey');
      expect(server.output()).not.toContain('wrong-key-zzz');
    });
  }
});
