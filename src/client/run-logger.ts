import { TrackingError } from './errors.js';
import { backoffDelay, DEFAULT_RETRY, sleep } from './retry.js';
import type { TrackingClient } from './tracking-client.js';
import type { CompletionStatus, Experiment, MetricPoint, ParamValue, Run } from './types.js';

export interface TrackRunOptions {
  /** Experiment name; created if it does not exist. */
  experiment: string;
  /** Run name; the server generates a readable one when absent. */
  name?: string;
  params?: Record<string, ParamValue>;
  /** Config of the experiment when this call creates it. */
  experimentConfig?: Record<string, unknown>;
  /** Send buffered points at least this often (default 1000 ms). */
  flushIntervalMs?: number;
  /** Send as soon as this many points are waiting, and at most this many per request (default 1000). */
  batchSize?: number;
  /**
   * The most points kept waiting while the server cannot be reached (default 200,000, a few MB).
   * Beyond it the OLDEST waiting points are dropped and counted in `stats.dropped`, so memory
   * stays bounded and `log()` keeps returning at once.
   */
  maxBufferedPoints?: number;
  /** Tell the server the run is alive when nothing was written for this long (default 30 s). */
  heartbeatIntervalMs?: number;
  /** On SIGINT, SIGTERM or an uncaught exception: how long to flush before marking the run and exiting (default 5 s). */
  exitDeadlineMs?: number;
  /** Install the signal and uncaught-exception handlers in Node (default true). */
  handleExit?: boolean;
  /** Background failures (the training loop never sees them). */
  onError?: (error: unknown) => void;
}

export interface RunLoggerStats {
  /** Points accepted by log() and waiting to be sent or in flight. */
  buffered: number;
  /** Points the server acknowledged. */
  sent: number;
  /** Points dropped because the buffer was full. */
  dropped: number;
  /** Points log() refused (non-finite value, bad key or step). */
  rejected: number;
  /** Batches the server refused for good (4xx); their points are counted here. */
  lostToErrors: number;
}

/** MLflow's (and our server's) key rule, checked client-side so one bad key cannot sink a batch. */
const KEY = /^[/\w.\- :]{1,250}$/;

function validKey(key: string): boolean {
  return KEY.test(key) && !key.startsWith('/') && !key.split('/').some((segment) => segment === '' || segment === '.' || segment === '..');
}

interface Batch {
  points: MetricPoint[];
  idempotencyKey: string;
}

const activeLoggers = new Set<RunLogger>();
let exitHandlersInstalled = false;

type NodeProcess = NodeJS.Process;

function nodeProcess(): NodeProcess | undefined {
  return typeof process !== 'undefined' && typeof process.on === 'function' ? process : undefined;
}

/**
 * One handler set for every active logger: on SIGINT/SIGTERM each run is flushed and marked
 * cancelled, on an uncaught exception failed, within the loggers' deadlines; then the process
 * exits as it would have (130 / 143 / 1).
 */
function installExitHandlers(): void {
  const proc = nodeProcess();
  if (!proc || exitHandlersInstalled) {
    return;
  }
  exitHandlersInstalled = true;
  const finishAll = async (status: CompletionStatus, reason: string) => {
    await Promise.allSettled([...activeLoggers].map((logger) => logger.finishWithin(logger.exitDeadlineMs, status, reason)));
  };
  const onSignal = (signal: NodeJS.Signals) => {
    const code = signal === 'SIGINT' ? 130 : 143;
    void finishAll('cancelled', `received ${signal}`).finally(() => proc.exit(code));
  };
  proc.once('SIGINT', onSignal);
  proc.once('SIGTERM', onSignal);
  proc.once('uncaughtException', (error: Error) => {
    proc.stderr.write(`${error.stack ?? String(error)}\n`);
    void finishAll('failed', `uncaught exception: ${error.message}`.slice(0, 2000)).finally(() => proc.exit(1));
  });
}

/**
 * Logs a training run without slowing or endangering it: `log()` only appends to a buffer and
 * never throws; a background pump sends batches (by size or every second), each with one
 * Idempotency-Key kept across its retries, and keeps retrying while the server is unreachable.
 */
export class RunLogger {
  readonly stats: RunLoggerStats = { buffered: 0, sent: 0, dropped: 0, rejected: 0, lostToErrors: 0 };
  readonly exitDeadlineMs: number;
  private buffer: MetricPoint[] = [];
  private inFlight?: Batch;
  private pumping?: Promise<void>;
  /** No more log() calls are taken. */
  private finished = false;
  /** The run was completed (or abandoned at an exit deadline): stop sending. */
  private closed = false;
  private lastWriteAt = Date.now();
  private readonly knownKeys = new Set<string>();
  private readonly flushTimer: ReturnType<typeof setInterval>;
  private readonly heartbeatTimer: ReturnType<typeof setInterval>;
  private readonly batchSize: number;
  private readonly maxBuffered: number;
  private readonly heartbeatIntervalMs: number;
  private readonly onError: (error: unknown) => void;

  private constructor(
    private readonly client: TrackingClient,
    readonly experiment: Experiment,
    readonly run: Run,
    options: TrackRunOptions,
  ) {
    this.batchSize = options.batchSize ?? 1000;
    this.maxBuffered = Math.max(this.batchSize, options.maxBufferedPoints ?? 200_000);
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? 30_000;
    this.exitDeadlineMs = options.exitDeadlineMs ?? 5000;
    this.onError = options.onError ?? (() => undefined);
    this.flushTimer = setInterval(() => this.pump(), options.flushIntervalMs ?? 1000);
    this.heartbeatTimer = setInterval(() => this.heartbeat(), Math.max(1000, this.heartbeatIntervalMs));
    // Timers must not keep a finished script alive; finish() (or the exit handlers) flush.
    (this.flushTimer as { unref?: () => void }).unref?.();
    (this.heartbeatTimer as { unref?: () => void }).unref?.();
    activeLoggers.add(this);
    if (options.handleExit ?? true) {
      installExitHandlers();
    }
  }

  static async start(client: TrackingClient, options: TrackRunOptions): Promise<RunLogger> {
    const experiment = await client.ensureExperiment(options.experiment, options.experimentConfig);
    const created = await client.createRun(experiment.id, options.name === undefined ? {} : { name: options.name });
    for (const [key, value] of Object.entries(options.params ?? {})) {
      await client.logParam(created.id, key, value);
    }
    const run = await client.startRun(created.id);
    return new RunLogger(client, experiment, run, options);
  }

  /**
   * Records the values of one step. Returns at once and never throws: values that cannot be
   * stored (non-finite numbers, bad keys, a step that is not an integer ≥ 0) are counted in
   * `stats.rejected` instead.
   */
  log(values: Readonly<Record<string, number>>, step: number): void {
    if (this.finished || !Number.isSafeInteger(step) || step < 0) {
      this.stats.rejected += Object.keys(values).length;
      return;
    }
    const timestamp = Date.now();
    for (const key in values) {
      const value = values[key];
      if (typeof value !== 'number' || !Number.isFinite(value) || !(this.knownKeys.has(key) || this.rememberKey(key))) {
        this.stats.rejected += 1;
        continue;
      }
      this.buffer.push({ key, step, value, timestamp });
    }
    if (this.buffer.length > this.maxBuffered) {
      const excess = this.buffer.length - this.maxBuffered;
      this.buffer.splice(0, excess);
      this.stats.dropped += excess;
    }
    this.stats.buffered = this.buffer.length + (this.inFlight?.points.length ?? 0);
    if (this.buffer.length >= this.batchSize) {
      this.pump();
    }
  }

  /** Sends everything logged so far; resolves once the server has it. */
  async flush(): Promise<void> {
    while (!this.closed && (this.buffer.length > 0 || this.inFlight)) {
      this.pump();
      await this.pumping;
    }
  }

  /** Flushes everything, then completes the run with `status`. */
  async finish(status: CompletionStatus = 'success', reason?: string): Promise<Run> {
    this.stopTimers();
    await this.flush();
    return this.complete(status, reason);
  }

  /** Like finish, but gives up flushing after `deadlineMs` (what the exit handlers use). */
  async finishWithin(deadlineMs: number, status: CompletionStatus, reason?: string): Promise<Run | undefined> {
    this.stopTimers();
    const flushed = await Promise.race([this.flush().then(() => true), sleep(deadlineMs).then(() => false)]);
    if (!flushed) {
      this.onError(new Error(`gave up flushing ${this.stats.buffered} points after ${deadlineMs} ms`));
      this.closed = true;
    }
    try {
      return await Promise.race([this.complete(status, reason), sleep(deadlineMs).then(() => undefined)]);
    } catch (error) {
      this.onError(error);
      return undefined;
    }
  }

  private async complete(status: CompletionStatus, reason?: string): Promise<Run> {
    this.finished = true;
    this.closed = true;
    activeLoggers.delete(this);
    return this.client.completeRun(this.run.id, status, reason);
  }

  private rememberKey(key: string): boolean {
    if (!validKey(key)) {
      return false;
    }
    this.knownKeys.add(key);
    return true;
  }

  private stopTimers(): void {
    clearInterval(this.flushTimer);
    clearInterval(this.heartbeatTimer);
  }

  /** Starts the background sender if it is not running. */
  private pump(): void {
    if (this.pumping) {
      return;
    }
    this.pumping = this.drain().finally(() => {
      this.pumping = undefined;
    });
  }

  private async drain(): Promise<void> {
    let failures = 0;
    while (!this.closed && (this.inFlight || this.buffer.length > 0)) {
      if (!this.inFlight) {
        this.inFlight = { points: this.buffer.splice(0, this.batchSize), idempotencyKey: globalThis.crypto.randomUUID() };
      }
      const batch = this.inFlight;
      try {
        await this.client.logMetrics(this.run.id, batch.points, batch.idempotencyKey);
        this.stats.sent += batch.points.length;
        this.inFlight = undefined;
        this.lastWriteAt = Date.now();
        failures = 0;
      } catch (error) {
        this.onError(error);
        if (error instanceof TrackingError && !error.transient) {
          // The server will never take this batch (e.g. the run was deleted): count it and go on.
          this.stats.lostToErrors += batch.points.length;
          this.inFlight = undefined;
          continue;
        }
        // Unreachable or restarting: keep the batch (same key) and try again, backing off.
        failures += 1;
        await sleep(backoffDelay({ ...DEFAULT_RETRY, maxDelayMs: 5000 }, failures));
      } finally {
        this.stats.buffered = this.buffer.length + (this.inFlight?.points.length ?? 0);
      }
    }
  }

  private heartbeat(): void {
    if (this.finished || Date.now() - this.lastWriteAt < this.heartbeatIntervalMs || this.inFlight) {
      return;
    }
    this.client.heartbeat(this.run.id).then(
      () => {
        this.lastWriteAt = Date.now();
      },
      (error: unknown) => this.onError(error),
    );
  }
}
