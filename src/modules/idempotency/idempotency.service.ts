import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { ConflictError, InvalidRequestError } from '../../common/errors.js';
import { describeError } from '../../common/filters/error-response.js';
import { errorBody } from '../../common/filters/global-exception.filter.js';
import { SqlClient } from '../../database/sql-client.js';
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

/**
 * Exactly-once writes for clients that retry. The first request with a key runs in one
 * transaction together with the record of its outcome; a repeat with the same key and the same
 * request gets that outcome back without anything being applied again; the same key with a
 * different request is a CONFLICT. Failures the client caused (4xx) are recorded too, so a
 * replay tells the same story; server failures (5xx) are not, so a retry can succeed.
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
    try {
      return await this.sql.runInTransaction(async () => {
        const earlier = await this.replay(request.key, fingerprint);
        if (earlier) {
          return earlier;
        }
        const body = await handler();
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
        return { status: request.successStatus, body, replayed: false };
      });
    } catch (error) {
      if (error instanceof LostRace) {
        // Our effects were rolled back; the winner's outcome is the answer.
        const winner = await this.replay(request.key, fingerprint);
        if (winner) {
          return winner;
        }
      }
      await this.recordFailure(request, fingerprint, error);
      throw error;
    }
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

  private async recordFailure(request: IdempotentRequest, fingerprint: string, error: unknown): Promise<void> {
    const problem = describeError(error);
    if (problem.status >= 500 || (error instanceof ConflictError && error.message.startsWith('Idempotency-Key'))) {
      return;
    }
    const { status, body } = errorBody(request.url, problem);
    await this.keys
      .record({ key: request.key, fingerprint, status, body: JSON.stringify(body), created_at: Date.now() })
      .catch((recordError: unknown) => this.logger.warn(`could not record the outcome of ${request.key}: ${String(recordError)}`));
  }
}
