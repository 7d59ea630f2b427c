import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SERVER_CONFIG } from '../../config/config.module.js';
import type { ServerConfig } from '../../config/server-config.js';
import { RunRepository } from './run.repository.js';

/** How a run failed by the sweep is told apart from one its own process failed. */
export const SILENT_RUN_REASON_PREFIX = 'no sign of life';

const FLUSH_INTERVAL_MS = 5000;
const MAX_SWEEP_INTERVAL_MS = 60_000;

/**
 * Liveness of running runs. Every write and heartbeat marks its run alive in memory (no extra
 * database write on the hot path); the marks are written out every few seconds, and a periodic
 * sweep fails running runs silent for longer than --run-timeout-secs, saying why on the run.
 */
@Injectable()
export class RunActivityService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(RunActivityService.name);
  private pending = new Map<number, number>();
  private readonly lastSeen = new Map<number, number>();
  private flushTimer?: NodeJS.Timeout;
  private sweepTimer?: NodeJS.Timeout;

  constructor(
    private readonly runs: RunRepository,
    @Inject(SERVER_CONFIG) private readonly config: ServerConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.flushTimer = setInterval(() => void this.flush().catch((error: unknown) => this.report('flush', error)), FLUSH_INTERVAL_MS);
    this.flushTimer.unref();
    if (this.config.runTimeoutSecs > 0) {
      const every = Math.min(MAX_SWEEP_INTERVAL_MS, Math.max(1000, (this.config.runTimeoutSecs * 1000) / 4));
      this.sweepTimer = setInterval(() => void this.sweep().catch((error: unknown) => this.report('sweep', error)), every);
      this.sweepTimer.unref();
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.flushTimer);
    clearInterval(this.sweepTimer);
    await this.flush().catch((error: unknown) => this.report('flush', error));
  }

  /** The run showed it is alive now. */
  touch(runId: number, at = Date.now()): void {
    this.pending.set(runId, at);
    this.lastSeen.set(runId, at);
    if (this.lastSeen.size > 100_000) {
      this.lastSeen.clear();
    }
  }

  /** The latest sign of life this process knows of, to merge with the stored one. */
  lastActivity(runId: number, stored: number | null): number | null {
    const seen = this.lastSeen.get(runId);
    if (seen === undefined) {
      return stored;
    }
    return stored === null ? seen : Math.max(seen, stored);
  }

  async flush(): Promise<void> {
    if (this.pending.size === 0) {
      return;
    }
    const entries = [...this.pending.entries()];
    this.pending = new Map();
    await this.runs.recordActivity(entries);
  }

  /** Fails running runs silent for longer than the timeout; returns their ids. */
  async sweep(now = Date.now()): Promise<string[]> {
    await this.flush();
    const timeoutMs = this.config.runTimeoutSecs * 1000;
    const reason = `${SILENT_RUN_REASON_PREFIX} (no write or heartbeat) for more than ${this.config.runTimeoutSecs} s; marked failed by the server`;
    const failed = await this.runs.failSilentRuns(now - timeoutMs, reason, now);
    if (failed.length > 0) {
      this.logger.warn(`marked ${failed.length} silent run(s) failed: ${failed.slice(0, 20).join(', ')}${failed.length > 20 ? ', …' : ''}`);
    }
    return failed;
  }

  private report(what: string, error: unknown): void {
    this.logger.error(`run activity ${what} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }
}
