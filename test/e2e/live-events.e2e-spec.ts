import { createTestStorage, testDatabaseKind, TestStorage } from '../support/database.js';
import { dataOf, openEventStream } from '../support/event-stream.js';
import { EntrenarProcess, startEntrenar, storageArgs } from './support/entrenar-process.js';

interface ChangeData {
  run_id: string;
  experiment_id: string;
  kinds: string[];
  metric_keys?: string[];
}

async function postJson(url: string, body: unknown, expected: number): Promise<{ id: string }> {
  const response = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  expect(response.status).toBe(expected);
  return (await response.json()) as { id: string };
}

/** Two `entrenar server` processes on one PostgreSQL database, as two replicas behind a load balancer. */
(testDatabaseKind() === 'postgres' ? describe : describe.skip)('live events across two server processes on one PostgreSQL database', () => {
  let storage: TestStorage;
  let writer: EntrenarProcess | undefined;
  let reader: EntrenarProcess | undefined;

  beforeAll(async () => {
    storage = await createTestStorage();
    writer = await startEntrenar({ args: storageArgs(storage) });
    reader = await startEntrenar({ args: storageArgs(storage) });
  });

  afterAll(async () => {
    await reader?.kill();
    await writer?.kill();
    await storage?.dispose();
  });

  it('streams from one process the runs created, and the points logged, through the other', async () => {
    const a = writer as EntrenarProcess;
    const b = reader as EntrenarProcess;
    const experiment = await postJson(`${a.url}/api/v1/experiments`, { name: `live-${Date.now()}` }, 201);
    const stream = await openEventStream(`${b.url}/api/v1/experiments/${experiment.id}/events`);
    try {
      expect(stream.status).toBe(200);
      await stream.waitFor((event) => event.event === 'ready');

      const run = await postJson(`${a.url}/api/v1/runs`, { experiment_id: experiment.id }, 201);
      await postJson(`${a.url}/api/v1/runs/${run.id}/start`, {}, 200);
      const points = Array.from({ length: 1000 }, (_, step) => ({ key: 'loss', step, value: 1 / (step + 1) }));
      await postJson(`${a.url}/api/v1/runs/${run.id}/metrics/batch`, { metrics: points }, 201);

      const metrics = await stream.waitFor(
        (event) =>
          event.event === 'change' && dataOf<ChangeData>(event).run_id === run.id && dataOf<ChangeData>(event).kinds.includes('metrics'),
      );
      expect(dataOf<ChangeData>(metrics)).toMatchObject({ experiment_id: experiment.id, metric_keys: ['loss'] });
      const kinds = stream.events
        .filter((event) => event.event === 'change')
        .map((event) => dataOf<ChangeData>(event))
        .filter((change) => change.run_id === run.id)
        .flatMap((change) => change.kinds);
      expect(kinds).toEqual(expect.arrayContaining(['created', 'status', 'metrics']));
    } finally {
      stream.close();
    }
  });

  it('stops gracefully on SIGTERM with a stream open, ending the stream', async () => {
    const b = reader as EntrenarProcess;
    const experiment = await postJson(`${b.url}/api/v1/experiments`, { name: `live-stop-${Date.now()}` }, 201);
    const stream = await openEventStream(`${b.url}/api/v1/experiments/${experiment.id}/events`);
    await stream.waitFor((event) => event.event === 'ready');

    // Exit 0, not the deadline's 1: the open stream did not hold the drain.
    expect(await b.stop()).toBe(0);
    await stream.ended;
    expect(b.output()).not.toContain('shutdown deadline');
  });
});
