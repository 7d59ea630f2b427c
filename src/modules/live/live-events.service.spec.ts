import { jest } from '@jest/globals';
import type { MessageEvent } from '@nestjs/common';
import { NotFoundError } from '../../common/errors.js';
import type { ExperimentsService } from '../experiments/experiments.service.js';
import type { RunsService } from '../runs/runs.service.js';
import type { ChangeFeedService } from './change-feed.service.js';
import { LiveEventsService } from './live-events.service.js';
import type { RunChange } from './run-change.js';

function setup() {
  const listeners = new Map<string, (change: RunChange) => void>();
  const feed = {
    subscribeRun: (id: string, listener: (change: RunChange) => void) => {
      listeners.set(id, listener);
      return () => listeners.delete(id);
    },
    subscribeExperiment: (id: string, listener: (change: RunChange) => void) => {
      listeners.set(id, listener);
      return () => listeners.delete(id);
    },
  } as unknown as ChangeFeedService;
  const runs = {
    requireReadable: (id: string) => (id === 'run-a' ? Promise.resolve({ id: 1 }) : Promise.reject(new NotFoundError('Run', id))),
  } as unknown as RunsService;
  const experiments = {
    require: (id: string) => (id === 'exp-1' ? Promise.resolve({ id: 1 }) : Promise.reject(new NotFoundError('Experiment', id))),
  } as unknown as ExperimentsService;
  const live = new LiveEventsService(feed, runs, experiments, { flushIntervalMs: 250, heartbeatIntervalMs: 1000 });
  return { live, listeners, emit: (id: string, change: RunChange) => listeners.get(id)?.(change) };
}

const change = (kinds: RunChange['kinds'], keys?: string[]): RunChange => ({
  run_id: 'run-a',
  experiment_id: 'exp-1',
  kinds,
  ...(keys ? { metric_keys: keys } : {}),
});

describe('LiveEventsService', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('starts with a ready event, then sends merged change events and heartbeat comments', () => {
    const { live, emit } = setup();
    const events: MessageEvent[] = [];
    const subscription = live.runEvents('run-a').subscribe((event) => events.push(event));
    expect(events).toEqual([{ type: 'ready', data: { run_id: 'run-a' } }]);

    emit('run-a', change(['metrics'], ['loss']));
    jest.advanceTimersByTime(0);
    emit('run-a', change(['metrics'], ['acc']));
    emit('run-a', change(['params']));
    jest.advanceTimersByTime(250);
    jest.advanceTimersByTime(750);

    expect(events.slice(1)).toEqual([
      { type: 'change', data: change(['metrics'], ['loss']) },
      { type: 'change', data: change(['metrics', 'params'], ['acc']) },
      { comment: 'heartbeat' },
    ]);
    subscription.unsubscribe();
  });

  it('stops listening and beating when the client goes away', () => {
    const { live, listeners } = setup();
    const events: MessageEvent[] = [];
    const subscription = live.experimentEvents('exp-1').subscribe((event) => events.push(event));
    expect(events).toEqual([{ type: 'ready', data: { experiment_id: 'exp-1' } }]);
    expect(live.openStreams).toBe(1);
    subscription.unsubscribe();
    jest.advanceTimersByTime(5000);
    expect(events).toHaveLength(1);
    expect(listeners.size).toBe(0);
    expect(live.openStreams).toBe(0);
  });

  it('tells an unknown run or experiment apart', async () => {
    const { live } = setup();
    await expect(live.requireRun('run-nope')).rejects.toBeInstanceOf(NotFoundError);
    await expect(live.requireExperiment('exp-nope')).rejects.toBeInstanceOf(NotFoundError);
    await expect(live.requireRun('run-a')).resolves.toBeUndefined();
  });

  it('ends every open stream at shutdown, and streams opened afterwards at once', () => {
    const { live, listeners } = setup();
    let completed = 0;
    live.runEvents('run-a').subscribe({ complete: () => completed++ });
    live.beforeApplicationShutdown();
    expect(completed).toBe(1);
    expect(listeners.size).toBe(0);
    const late: MessageEvent[] = [];
    live.runEvents('run-a').subscribe({ next: (event) => late.push(event), complete: () => completed++ });
    expect(late).toEqual([]);
    expect(completed).toBe(2);
  });
});
