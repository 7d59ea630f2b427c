import { jest } from '@jest/globals';
import { ChangeCoalescer, decodeNotification, encodeNotifications, MAX_METRIC_KEYS_PER_CHANGE, RunChange } from './run-change.js';

const RUN = 'run-a';
const EXPERIMENT = 'exp-1';

function metrics(keys: string[] | undefined, run = RUN): RunChange {
  return { run_id: run, experiment_id: EXPERIMENT, kinds: ['metrics'], metric_keys: keys };
}

describe('ChangeCoalescer', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  const deliveredAt: number[] = [];
  beforeEach(() => deliveredAt.splice(0));

  function coalescer(intervalMs = 250) {
    const delivered: RunChange[][] = [];
    const deliver = (changes: RunChange[]) => {
      deliveredAt.push(Date.now());
      delivered.push(changes);
    };
    return { delivered, buffer: new ChangeCoalescer(intervalMs, deliver, () => Date.now()) };
  }

  it('sends the first change after a quiet interval on the next tick', () => {
    const { delivered, buffer } = coalescer();
    buffer.add(metrics(['loss']));
    expect(delivered).toEqual([]);
    jest.advanceTimersByTime(0);
    expect(delivered).toEqual([[{ run_id: RUN, experiment_id: EXPERIMENT, kinds: ['metrics'], metric_keys: ['loss'] }]]);
  });

  it('turns 1,000 changes a second into at most 4 events a second per run, merging kinds and keys', () => {
    const { delivered, buffer } = coalescer();
    for (let point = 0; point < 1000; point++) {
      buffer.add(metrics([point % 2 === 0 ? 'loss' : 'accuracy']));
      if (point === 500) {
        buffer.add({ run_id: RUN, experiment_id: EXPERIMENT, kinds: ['params'] });
      }
      jest.advanceTimersByTime(1);
    }
    jest.advanceTimersByTime(250);
    const events = delivered.flat();
    // One at once, then one every 250 ms while points keep coming: at most 4 in any second.
    expect(deliveredAt.slice(1).map((at, index) => at - deliveredAt[index])).toEqual([250, 250, 250, 250]);
    expect(events).toHaveLength(5);
    expect(events.slice(1).every((event) => event.metric_keys?.join() === 'accuracy,loss')).toBe(true);
    expect(events.filter((event) => event.kinds.includes('params'))).toHaveLength(1);
    expect(events.find((event) => event.kinds.includes('params'))?.kinds).toEqual(['metrics', 'params']);
  });

  it('sends a change no later than the interval after it', () => {
    const { delivered, buffer } = coalescer();
    buffer.add(metrics(['a']));
    jest.advanceTimersByTime(10);
    expect(delivered).toHaveLength(1);
    buffer.add(metrics(['b']));
    jest.advanceTimersByTime(239);
    expect(delivered).toHaveLength(1);
    jest.advanceTimersByTime(1);
    expect(delivered).toHaveLength(2);
    expect(delivered[1]).toEqual([metrics(['b'])]);
  });

  it('keeps runs apart: one change per run per flush', () => {
    const { delivered, buffer } = coalescer();
    buffer.add(metrics(['a'], 'run-1'));
    buffer.add(metrics(['b'], 'run-2'));
    buffer.add(metrics(['c'], 'run-1'));
    jest.advanceTimersByTime(0);
    expect(delivered).toEqual([[metrics(['a', 'c'], 'run-1'), metrics(['b'], 'run-2')]]);
  });

  it('leaves metric_keys out once a change of unknown keys or too many keys is merged in', () => {
    const { delivered, buffer } = coalescer();
    buffer.add(metrics(['a']));
    buffer.add(metrics(undefined));
    buffer.add(
      metrics(
        Array.from({ length: MAX_METRIC_KEYS_PER_CHANGE + 1 }, (_, index) => `k${index}`),
        'run-b',
      ),
    );
    jest.advanceTimersByTime(0);
    expect(delivered[0]).toEqual([
      { run_id: RUN, experiment_id: EXPERIMENT, kinds: ['metrics'] },
      { run_id: 'run-b', experiment_id: EXPERIMENT, kinds: ['metrics'] },
    ]);
  });

  it('lists kinds in one fixed order, and no metric_keys without metrics', () => {
    const { delivered, buffer } = coalescer();
    buffer.add({ run_id: RUN, experiment_id: EXPERIMENT, kinds: ['status', 'created'] });
    buffer.add({ run_id: RUN, experiment_id: EXPERIMENT, kinds: ['tags'] });
    jest.advanceTimersByTime(0);
    expect(delivered[0]).toEqual([{ run_id: RUN, experiment_id: EXPERIMENT, kinds: ['tags', 'status', 'created'] }]);
  });

  it('sends nothing once closed', () => {
    const { delivered, buffer } = coalescer();
    buffer.add(metrics(['a']));
    buffer.close();
    buffer.add(metrics(['b']));
    jest.advanceTimersByTime(1000);
    expect(delivered).toEqual([]);
  });
});

describe('notification payloads', () => {
  const changes = Array.from({ length: 300 }, (_, index) => metrics([`metric/${index}`], `run-${index}`));

  it('split a flush into payloads under the limit that together carry every change', () => {
    const payloads = encodeNotifications('origin-1', changes, 8000 - 1);
    expect(payloads.length).toBeGreaterThan(1);
    for (const payload of payloads) {
      expect(Buffer.byteLength(payload)).toBeLessThan(8000);
    }
    const decoded = payloads.map((payload) => decodeNotification(payload));
    expect(decoded.every((notification) => notification?.origin === 'origin-1')).toBe(true);
    expect(decoded.flatMap((notification) => notification?.changes ?? [])).toEqual(changes);
  });

  it('drop the keys of a change too long to fit on its own', () => {
    const long = metrics(Array.from({ length: 100 }, (_, index) => `${'x'.repeat(200)}${index}`));
    const [payload, ...rest] = encodeNotifications('o', [long], 7999);
    expect(rest).toEqual([]);
    expect(decodeNotification(payload)?.changes).toEqual([{ run_id: RUN, experiment_id: EXPERIMENT, kinds: ['metrics'] }]);
  });

  it('are ignored when they are not ours', () => {
    expect(decodeNotification('not json')).toBeUndefined();
    expect(decodeNotification('{"origin":"o","changes":[{"run_id":1}]}')).toBeUndefined();
    expect(decodeNotification('{"origin":"o","changes":[{"run_id":"r","experiment_id":"e","kinds":["bogus"]}]}')).toBeUndefined();
  });
});
