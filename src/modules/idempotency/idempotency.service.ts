import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { ConflictError, InvalidRequestError } from '../../common/errors.js';
import { describeError } from '../../common/filters/error-response.js';
import { errorBody } from '../../common/filters/global-exception.filter.js';
import { SqlClient } from '../../database/sql-client.js';
import { IdempotencyKeyEntity } from './entities/idempotency-key.entity.js';
import { IdempotencyRepository } from './idempotency.repository.js';

/** How long an outcome is kept: the 24 hours promised, plus up to one cleanup interval. */
export const IDEMPOTENCY_RETENTION_MS = 24 * 60 * 60 * 1000;
const CLEANUP_INTERVAL_MS = 60 * 60 * 1000;
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export interface IdempotentRequest {
  key: string;
  method: string;
  url: string;
  body: unknown;
  /** The status the handler answers with on success. */
  successStatus: number;
}

export interface Outcome {
  status: number;
  body: unknown;
  replayed: boolean;
}

/** Thrown inside the transaction when a concurrent request with the same key committed first. */
class LostRace extends Error {}

/** What the transaction settled: an outcome to answer, or a client error to throw once its record is committed. */
type Settled = { outcome: Outcome } | { failure: unknown };

/**
 * Exactly-once writes for clients that retry. The first request with a key runs in one
 * transaction together with the record of its outcome, holding a lock on the key, so an
 * overlapping retry waits for it, then gets that outcome back without anything being applied
 * again; the same key with a different request is a CONFLICT. Failures the client caused (4xx)
 * are recorded too, so a replay tells the same story; server failures (5xx) are not, so a retry
 * can succeed.
 */
@Injectable()
export class IdempotencyService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(IdempotencyService.name);
  private cleanupTimer?: NodeJS.Timeout;

  constructor(
    private readonly sql: SqlClient,
    private readonly keys: IdempotencyRepository,
  ) {}

  onApplicationBootstrap(): void {
    this.cleanupTimer = setInterval(() => void this.cleanup(), CLEANUP_INTERVAL_MS);
    this.cleanupTimer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.cleanupTimer);
  }

  async cleanup(now = Date.now()): Promise<number> {
    try {
      return await this.keys.deleteOlderThan(now - IDEMPOTENCY_RETENTION_MS);
    } catch (error) {
      this.logger.error(`idempotency cleanup failed: ${error instanceof Error ? error.message : String(error)}`);
      return 0;
    }
  }

  async run(request: IdempotentRequest, handler: () => Promise<unknown>): Promise<Outcome> {
    if (!KEY_PATTERN.test(request.key)) {
      throw new InvalidRequestError('Idempotency-Key: must be 1 to 255 visible ASCII characters (a UUID, say)');
    }
    const fingerprint = createHash('sha256')
      .update(`${request.method} ${request.url}\n${JSON.stringify(request.body ?? null)}`)
      .digest('hex');
    let settled: Settled;
    try {
      settled = await this.sql.runInTransaction(async (): Promise<Settled> => {
        await this.keys.lockKey(request.key);
        const earlier = await this.replay(request.key, fingerprint);
        if (earlier) {
          return { outcome: earlier };
        }
        let body: unknown;
        try {
          // In a savepoint, so a client error undoes the handler's writes but not the transaction
          // (and the lock) in which its outcome is recorded for the requests waiting on the key.
          body = await this.sql.transaction(() => handler());
        } catch (error) {
          const clientError = this.clientErrorOutcome(request, fingerprint, error);
          if (!clientError) {
            throw error;
          }
          if (!(await this.keys.record(clientError))) {
            throw new LostRace();
          }
          return { failure: error };
        }
        const recorded = await this.keys.record({
          key: request.key,
          fingerprint,
          status: request.successStatus,
          body: JSON.stringify(body ?? {}),
          created_at: Date.now(),
        });
        if (!recorded) {
          throw new LostRace();
        }
        return { outcome: { status: request.successStatus, body, replayed: false } };
      });
    } catch (error) {
      if (error instanceof LostRace) {
        // Our effects were rolled back; the winner's outcome is the answer.
        const winner = await this.replay(request.key, fingerprint);
        if (winner) {
          return winner;
        }
      }
      throw error;
    }
    if ('failure' in settled) {
      throw settled.failure;
    }
    return settled.outcome;
  }

  private async replay(key: string, fingerprint: string): Promise<Outcome | undefined> {
    const earlier = await this.keys.find(key);
    if (!earlier) {
      return undefined;
    }
    if (earlier.fingerprint !== fingerprint) {
      throw new ConflictError(`Idempotency-Key ${key} was already used for a different request; use a new key for each logical write`);
    }
    return { status: earlier.status, body: JSON.parse(earlier.body) as unknown, replayed: true };
  }

  /** A failure the client caused (4xx), as the key's outcome to record; none for ours (5xx), so a retry can succeed. */
  private clientErrorOutcome(request: IdempotentRequest, fingerprint: string, error: unknown): IdempotencyKeyEntity | undefined {
    const problem = describeError(error);
    if (problem.status >= 500) {
      return undefined;
    }
    const { status, body } = errorBody(request.url, problem);
    return { key: request.key, fingerprint, status, body: JSON.stringify(body), created_at: Date.now() };
  }
}
