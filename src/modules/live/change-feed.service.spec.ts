import { jest } from '@jest/globals';
import type { ChangeChannel } from '../../database/change-channel.js';
import type { SqlClient } from '../../database/sql-client.js';
import type { ExperimentRepository } from '../experiments/experiment.repository.js';
import { ChangeFeedService } from './change-feed.service.js';
import { decodeNotification, encodeNotifications, RunChange } from './run-change.js';

const RUN = { public_id: 'run-a', experiment_id: 7 };

/** A channel standing in for LISTEN/NOTIFY: what was published, and a way to deliver a payload. */
function fakeChannel(shared: boolean) {
  let onPayload: ((payload: string) => void) | undefined;
  const published: string[] = [];
  const channel: ChangeChannel = {
    shared,
    publish: (payloads) => {
      published.push(...payloads);
      return Promise.resolve();
    },
    listen: (listener) => {
      onPayload = listener;
    },
    close: () => Promise.resolve(),
  };
  return { channel, published, hear: (payload: string) => onPayload?.(payload) };
}

function setup(shared = false) {
  const committed: (() => void)[] = [];
  let inTransaction = false;
  const sql = {
    afterCommit: (callback: () => void) => (inTransaction ? committed.push(callback) : callback()),
  } as unknown as SqlClient;
  const experiments = { publicIdOf: (id: number) => Promise.resolve(`exp-${id}`) } as unknown as ExperimentRepository;
  const { channel, published, hear } = fakeChannel(shared);
  const feed = new ChangeFeedService(sql, experiments, channel, { flushIntervalMs: 250, heartbeatIntervalMs: 15_000 });
  feed.onApplicationBootstrap();
  return {
    feed,
    published,
    hear,
    beginTransaction: () => (inTransaction = true),
    commit: () => {
      inTransaction = false;
      committed.splice(0).forEach((callback) => callback());
    },
  };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('ChangeFeedService', () => {
  it("hands a run's change, with its experiment's public id, to the streams of the run and of its experiment", async () => {
    const { feed } = setup();
    const ofRun: RunChange[] = [];
    const ofExperiment: RunChange[] = [];
    const ofOther: RunChange[] = [];
    feed.subscribeRun('run-a', (change) => ofRun.push(change));
    feed.subscribeExperiment('exp-7', (change) => ofExperiment.push(change));
    feed.subscribeRun('run-b', (change) => ofOther.push(change));

    feed.runChanged(RUN, ['metrics'], ['loss', 'loss', 'acc']);
    await settle();

    const expected = { run_id: 'run-a', experiment_id: 'exp-7', kinds: ['metrics'], metric_keys: ['acc', 'loss'] };
    expect(ofRun).toEqual([expected]);
    expect(ofExperiment).toEqual([expected]);
    expect(ofOther).toEqual([]);
  });

  it('waits for the commit of the request transaction the write ran in', async () => {
    const { feed, beginTransaction, commit } = setup();
    const seen: RunChange[] = [];
    feed.subscribeRun('run-a', (change) => seen.push(change));
    beginTransaction();
    feed.runChanged(RUN, ['params']);
    await settle();
    expect(seen).toEqual([]);
    commit();
    await settle();
    expect(seen).toEqual([{ run_id: 'run-a', experiment_id: 'exp-7', kinds: ['params'] }]);
  });

  it('stops calling a listener once it unsubscribed', async () => {
    const { feed } = setup();
    const seen: RunChange[] = [];
    const stillListening: RunChange[] = [];
    const stop = feed.subscribeRun('run-a', (change) => seen.push(change));
    feed.subscribeRun('run-a', (change) => stillListening.push(change));
    stop();
    feed.runChanged(RUN, ['params']);
    await settle();
    expect(seen).toEqual([]);
    // The change was delivered, just not to the listener that left.
    expect(stillListening).toEqual([{ run_id: 'run-a', experiment_id: 'exp-7', kinds: ['params'] }]);
  });

  it('on a shared database, publishes each flush and delivers what other processes publish, but not its own again', async () => {
    const { feed, published, hear } = setup(true);
    const seen: RunChange[] = [];
    feed.subscribeRun('run-a', (change) => seen.push(change));

    feed.runChanged(RUN, ['tags']);
    await settle();
    expect(published).toHaveLength(1);
    expect(decodeNotification(published[0])?.changes).toEqual([{ run_id: 'run-a', experiment_id: 'exp-7', kinds: ['tags'] }]);
    // LISTEN hears the process's own NOTIFY too: delivered once only.
    hear(published[0]);
    expect(seen).toHaveLength(1);

    const remote = { run_id: 'run-a', experiment_id: 'exp-7', kinds: ['status' as const] };
    hear(encodeNotifications('another-replica', [remote], 7999)[0]);
    expect(seen).toEqual([{ run_id: 'run-a', experiment_id: 'exp-7', kinds: ['tags'] }, remote]);
  });

  it('on SQLite with no stream open, notes nothing', async () => {
    const { feed, published } = setup(false);
    const spy = jest.spyOn(feed as unknown as { dispatch: () => void }, 'dispatch');
    feed.runChanged(RUN, ['metrics'], ['loss']);
    await settle();
    expect(spy).not.toHaveBeenCalled();
    expect(published).toEqual([]);
  });
});
