import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { type ChangeChannel, MAX_NOTIFY_PAYLOAD_BYTES } from '../../database/change-channel.js';
import { SqlClient } from '../../database/sql-client.js';
import { ExperimentRepository } from '../experiments/experiment.repository.js';
import { ChangeCoalescer, ChangeKind, decodeNotification, encodeNotifications, RunChange } from './run-change.js';

/** Injection token of the ChangeChannel (see src/database/change-channel.ts). */
export const CHANGE_CHANNEL_TOKEN = Symbol('CHANGE_CHANNEL');
/** Injection token of the live timings; tests shorten them. */
export const LIVE_TIMINGS = Symbol('LIVE_TIMINGS');

export interface LiveTimings {
  /** Changes are sent at most this often, per process and per stream. */
  flushIntervalMs: number;
  /** A stream gets a `: heartbeat` comment this often, so proxies and clients see it alive. */
  heartbeatIntervalMs: number;
}

export const DEFAULT_LIVE_TIMINGS: LiveTimings = { flushIntervalMs: 250, heartbeatIntervalMs: 15_000 };

/** The run a write went to: its public id and its experiment's internal id. */
export interface ChangedRun {
  public_id: string;
  experiment_id: number;
}

type Listener = (change: RunChange) => void;

/**
 * The feed of run changes every live stream reads. Write paths call `runChanged` once their
 * write is committed (a plain in-memory note: the hot path pays a map update); the notes are
 * merged and sent at most every flush interval, to the streams of this process and, on
 * PostgreSQL, as one NOTIFY to the other replicas, which hand them to their own streams. Each
 * process skips the notifications it sent itself (it has delivered them already).
 */
@Injectable()
export class ChangeFeedService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('ChangeFeed');
  /** Tells this process's notifications apart from the other replicas'. */
  private readonly origin = randomUUID();
  private readonly byRun = new Map<string, Set<Listener>>();
  private readonly byExperiment = new Map<string, Set<Listener>>();
  private listeners = 0;
  private readonly outgoing: ChangeCoalescer;
  private closed = false;

  constructor(
    private readonly sql: SqlClient,
    private readonly experiments: ExperimentRepository,
    @Inject(CHANGE_CHANNEL_TOKEN) private readonly channel: ChangeChannel,
    @Inject(LIVE_TIMINGS) timings: LiveTimings,
  ) {
    this.outgoing = new ChangeCoalescer(timings.flushIntervalMs, (changes) => void this.send(changes));
  }

  onApplicationBootstrap(): void {
    this.channel.listen((payload) => this.receive(payload));
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.closed = true;
    this.outgoing.close();
    await this.channel.close();
  }

  /**
   * Notes that `run` changed (`kinds`; `metricKeys`: the keys that got points, if known). Call it
   * after the write: inside a request transaction it waits for the commit, and is dropped with
   * a rollback.
   */
  runChanged(run: ChangedRun, kinds: readonly ChangeKind[], metricKeys?: Iterable<string>): void {
    if (this.closed || (!this.channel.shared && this.listeners === 0)) {
      // Nobody here listens and nobody elsewhere could: nothing to note.
      return;
    }
    const keys = metricKeys === undefined ? undefined : [...new Set(metricKeys)];
    this.sql.afterCommit(() => {
      // Public ids never change, so this is a cache hit but for an experiment's first change.
      this.experiments.publicIdOf(run.experiment_id).then(
        (experimentId) => this.outgoing.add({ run_id: run.public_id, experiment_id: experimentId, kinds: [...kinds], metric_keys: keys }),
        (error: unknown) => this.report(error),
      );
    });
  }

  /** Calls `listener` with every change of the run; returns the function that stops it. */
  subscribeRun(runId: string, listener: Listener): () => void {
    return this.subscribe(this.byRun, runId, listener);
  }

  /** Calls `listener` with every change of every run of the experiment; returns the function that stops it. */
  subscribeExperiment(experimentId: string, listener: Listener): () => void {
    return this.subscribe(this.byExperiment, experimentId, listener);
  }

  private subscribe(index: Map<string, Set<Listener>>, id: string, listener: Listener): () => void {
    let listeners = index.get(id);
    if (!listeners) {
      listeners = new Set();
      index.set(id, listeners);
    }
    listeners.add(listener);
    this.listeners++;
    let subscribed = true;
    return () => {
      if (!subscribed) {
        return;
      }
      subscribed = false;
      this.listeners--;
      listeners.delete(listener);
      if (listeners.size === 0) {
        index.delete(id);
      }
    };
  }

  private async send(changes: RunChange[]): Promise<void> {
    try {
      this.dispatch(changes);
      if (this.channel.shared) {
        await this.channel.publish(encodeNotifications(this.origin, changes, MAX_NOTIFY_PAYLOAD_BYTES));
      }
    } catch (error) {
      this.report(error);
    }
  }

  /** A lost change costs a page a refresh, not a write: logged, never thrown at the writer. */
  private report(error: unknown): void {
    this.logger.warn(`could not send run changes to live streams: ${error instanceof Error ? error.message : String(error)}`);
  }

  private receive(payload: string): void {
    const notification = decodeNotification(payload);
    if (!notification || notification.origin === this.origin || this.closed) {
      return;
    }
    this.dispatch(notification.changes);
  }

  private dispatch(changes: readonly RunChange[]): void {
    for (const change of changes) {
      this.byRun.get(change.run_id)?.forEach((listener) => listener(change));
      this.byExperiment.get(change.experiment_id)?.forEach((listener) => listener(change));
    }
  }
}
