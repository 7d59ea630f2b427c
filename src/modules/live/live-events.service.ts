import { BeforeApplicationShutdown, Inject, Injectable, MessageEvent } from '@nestjs/common';
import { Observable, Subscriber } from 'rxjs';
import { ExperimentsService } from '../experiments/experiments.service.js';
import { RunsService } from '../runs/runs.service.js';
import { ChangeFeedService, LIVE_TIMINGS, type LiveTimings } from './change-feed.service.js';
import { ChangeCoalescer, RunChange } from './run-change.js';

/** The SSE event types of a live stream. */
export const READY_EVENT = 'ready';
export const CHANGE_EVENT = 'change';
export const HEARTBEAT_COMMENT = 'heartbeat';

/**
 * Live streams of run changes, for dashboards. Each stream starts with a `ready` event, then
 * sends one `change` event per changed run at most every flush interval (changes merged), and
 * a `: heartbeat` comment every heartbeat interval. All streams end when the server stops.
 */
@Injectable()
export class LiveEventsService implements BeforeApplicationShutdown {
  private readonly open = new Set<Subscriber<MessageEvent>>();
  private closed = false;

  constructor(
    private readonly feed: ChangeFeedService,
    private readonly runs: RunsService,
    private readonly experiments: ExperimentsService,
    @Inject(LIVE_TIMINGS) private readonly timings: LiveTimings,
  ) {}

  /** NOT_FOUND for an unknown run (deleted runs have streams too). */
  async requireRun(runId: string): Promise<void> {
    await this.runs.requireReadable(runId);
  }

  /** NOT_FOUND for an unknown experiment. */
  async requireExperiment(experimentId: string): Promise<void> {
    await this.experiments.require(experimentId);
  }

  /** The stream of one run's changes (check the run exists first: see LiveStreamTargetGuard). */
  runEvents(runId: string): Observable<MessageEvent> {
    return this.stream({ run_id: runId }, (listener) => this.feed.subscribeRun(runId, listener));
  }

  /** The stream of the changes of every run of an experiment, runs created later included. */
  experimentEvents(experimentId: string): Observable<MessageEvent> {
    return this.stream({ experiment_id: experimentId }, (listener) => this.feed.subscribeExperiment(experimentId, listener));
  }

  /** Ends every open stream, and every stream opened from now on at once: the server is stopping. */
  endAll(): void {
    this.closed = true;
    for (const subscriber of [...this.open]) {
      subscriber.complete();
    }
  }

  beforeApplicationShutdown(): void {
    this.endAll();
  }

  /** How many streams are open (for tests and monitoring). */
  get openStreams(): number {
    return this.open.size;
  }

  private stream(ready: object, subscribe: (listener: (change: RunChange) => void) => () => void): Observable<MessageEvent> {
    return new Observable<MessageEvent>((subscriber) => {
      if (this.closed) {
        subscriber.complete();
        return undefined;
      }
      this.open.add(subscriber);
      subscriber.next({ type: READY_EVENT, data: ready });
      const outgoing = new ChangeCoalescer(this.timings.flushIntervalMs, (changes) => {
        for (const change of changes) {
          subscriber.next({ type: CHANGE_EVENT, data: change });
        }
      });
      // Changes come merged per process already; merged again here, several replicas writing
      // to one run still make at most one event per run per interval on this stream.
      const unsubscribe = subscribe((change) => outgoing.add(change));
      const heartbeat = setInterval(() => subscriber.next({ comment: HEARTBEAT_COMMENT }), this.timings.heartbeatIntervalMs);
      heartbeat.unref();
      return () => {
        unsubscribe();
        outgoing.close();
        clearInterval(heartbeat);
        this.open.delete(subscriber);
      };
    });
  }
}
