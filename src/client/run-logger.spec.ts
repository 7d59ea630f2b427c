import { jest } from '@jest/globals';
import { TrackingClient } from './tracking-client.js';

const EXPERIMENT = { id: 'exp-1', name: 'e', config: null, lifecycle_stage: 'active', created_at: '', updated_at: '' };
const RUN = { id: 'run-1', experiment_id: 'exp-1', name: 'r', status: 'running', status_reason: null };

/**
 * A fetch that answers the start-up calls, then behaves like a server that cannot be reached:
 * every request fails as a refused connection would.
 */
function serverThatGoesAway() {
  let reachable = true;
  const calls: string[] = [];
  const fetchImpl = jest.fn((input: string | URL, init?: RequestInit): Promise<Response> => {
    const url = new URL(input);
    calls.push(`${init?.method ?? 'GET'} ${url.pathname}`);
    if (!reachable) {
      return Promise.reject(new TypeError('fetch failed: connect ECONNREFUSED 127.0.0.1:1'));
    }
    if (url.pathname === '/api/v1/experiments' && (init?.method ?? 'GET') === 'GET') {
      return Promise.resolve(new Response(JSON.stringify({ experiments: [EXPERIMENT] }), { status: 200 }));
    }
    return Promise.resolve(new Response(JSON.stringify(RUN), { status: 201 }));
  });
  return { fetchImpl, calls, goAway: () => (reachable = false) };
}

describe('RunLogger.log while the server is unreachable', () => {
  it('returns in microseconds and never throws, buffering the points', async () => {
    const server = serverThatGoesAway();
    const client = new TrackingClient('http://127.0.0.1:1', {
      fetch: server.fetchImpl as unknown as typeof fetch,
      retry: { maxAttempts: 1 },
    });
    const errors: unknown[] = [];
    const logger = await client.trackRun({
      experiment: 'e',
      handleExit: false,
      flushIntervalMs: 10,
      onError: (error) => errors.push(error),
    });
    server.goAway();

    const durationsUs: number[] = [];
    for (let step = 0; step < 20_000; step++) {
      const started = process.hrtime.bigint();
      logger.log({ loss: 1 / (step + 1), accuracy: step / 20_000 }, step);
      durationsUs.push(Number(process.hrtime.bigint() - started) / 1000);
    }
    // Let the background sender try (and fail) a few times meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 100));

    durationsUs.sort((a, b) => a - b);
    const median = durationsUs[Math.floor(durationsUs.length / 2)];
    const p99 = durationsUs[Math.floor(durationsUs.length * 0.99)];
    expect(median).toBeLessThan(20);
    expect(p99).toBeLessThan(200);
    expect(errors.length).toBeGreaterThan(0);
    expect(server.calls.some((call) => call === 'POST /api/v1/runs/run-1/metrics/batch')).toBe(true);
    expect(logger.stats.sent).toBe(0);
    expect(logger.stats.buffered).toBe(40_000);
    expect(logger.stats.dropped).toBe(0);
    await logger.finishWithin(10, 'cancelled');
  });

  it('keeps memory bounded: past maxBufferedPoints the oldest waiting points are dropped and counted', async () => {
    const server = serverThatGoesAway();
    const client = new TrackingClient('http://127.0.0.1:1', {
      fetch: server.fetchImpl as unknown as typeof fetch,
      retry: { maxAttempts: 1 },
    });
    const logger = await client.trackRun({ experiment: 'e', handleExit: false, batchSize: 100, maxBufferedPoints: 1000 });
    server.goAway();
    for (let step = 0; step < 2000; step++) {
      logger.log({ loss: step }, step);
    }
    expect(logger.stats.buffered).toBeLessThanOrEqual(1000 + 100);
    expect(logger.stats.dropped + logger.stats.buffered).toBe(2000);
    expect(logger.stats.dropped).toBeGreaterThanOrEqual(900);
    await logger.finishWithin(10, 'cancelled');
  });

  it('refuses what the server would refuse, without throwing: non-finite values, bad keys, bad steps', async () => {
    const server = serverThatGoesAway();
    const client = new TrackingClient('http://127.0.0.1:1', { fetch: server.fetchImpl as unknown as typeof fetch });
    const logger = await client.trackRun({ experiment: 'e', handleExit: false });
    server.goAway();
    expect(() => logger.log({ nan: NaN, inf: Infinity, '../escape': 1, ok: 1 }, 0)).not.toThrow();
    expect(() => logger.log({ ok: 1 }, -1)).not.toThrow();
    expect(() => logger.log({ ok: 1 }, 1.5)).not.toThrow();
    expect(logger.stats.rejected).toBe(5);
    expect(logger.stats.buffered).toBe(1);
    await logger.finishWithin(10, 'cancelled');
  });
});
