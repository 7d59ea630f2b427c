import { Logger } from '@nestjs/common';
import pg from 'pg';
import type { DatabaseSettings } from '../config/server-config.js';
import { SqlClient } from './sql-client.js';

/** The PostgreSQL channel every replica LISTENs on for the changes the others made. */
export const CHANGE_CHANNEL = 'entrenar_changes';
/** PostgreSQL refuses a NOTIFY payload of 8000 bytes or more. */
export const MAX_NOTIFY_PAYLOAD_BYTES = 7999;

const FIRST_RECONNECT_DELAY_MS = 500;
const MAX_RECONNECT_DELAY_MS = 30_000;

/**
 * How one process tells the others sharing its database that something changed, and hears what
 * they tell. On SQLite a single process owns the file, so there is nobody to tell: `shared` is
 * false and nothing is sent or heard.
 */
export interface ChangeChannel {
  /** Whether other processes can write to the same database (and so must be told). */
  readonly shared: boolean;
  /** Sends each payload (each under MAX_NOTIFY_PAYLOAD_BYTES) to every listening process, this one included. */
  publish(payloads: readonly string[]): Promise<void>;
  /** Calls `onPayload` with every payload published from now on, until close(); keeps listening across dropped connections. */
  listen(onPayload: (payload: string) => void): void;
  close(): Promise<void>;
}

class LocalChangeChannel implements ChangeChannel {
  readonly shared = false;
  publish(): Promise<void> {
    return Promise.resolve();
  }
  listen(): void {
    // One process owns a SQLite file: nothing to hear.
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * LISTEN/NOTIFY. Notifications go out through the pool (one statement for all payloads of a
 * flush); they are heard on a dedicated connection, since a pooled one is handed to other work
 * between queries. A dropped listening connection is opened again, with a growing delay.
 */
export class PostgresChangeChannel implements ChangeChannel {
  readonly shared = true;
  private readonly logger = new Logger('ChangeChannel');
  private client?: pg.Client;
  private onPayload?: (payload: string) => void;
  private retryTimer?: NodeJS.Timeout;
  private retryDelayMs = FIRST_RECONNECT_DELAY_MS;
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly sql: SqlClient,
  ) {}

  async publish(payloads: readonly string[]): Promise<void> {
    if (payloads.length === 0 || this.closed) {
      return;
    }
    await this.sql.execute('SELECT pg_notify(?, payload) FROM unnest(?::text[]) AS payload', [CHANGE_CHANNEL, payloads]);
  }

  listen(onPayload: (payload: string) => void): void {
    this.onPayload = onPayload;
    void this.connect();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.closed) {
      return;
    }
    const client = new pg.Client({ connectionString: this.url });
    this.client = client;
    let lost = false;
    const onLost = (error?: Error) => {
      if (lost || this.closed) {
        return;
      }
      lost = true;
      // The message only: pg's errors never carry the password, but the URL is not repeated either.
      this.logger.warn(
        `lost the connection listening for changes of other replicas${error ? ` (${error.message})` : ''}; reconnecting in ${this.retryDelayMs} ms`,
      );
      client.removeAllListeners('notification');
      void client.end().catch(() => undefined);
      this.scheduleReconnect();
    };
    client.on('error', onLost);
    client.on('end', () => onLost());
    client.on('notification', (message) => {
      if (message.channel === CHANGE_CHANNEL && message.payload !== undefined) {
        this.onPayload?.(message.payload);
      }
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGE_CHANNEL}`);
      if (this.closed) {
        await client.end().catch(() => undefined);
        return;
      }
      this.retryDelayMs = FIRST_RECONNECT_DELAY_MS;
    } catch (error) {
      onLost(error instanceof Error ? error : new Error(String(error)));
    }
  }

  private scheduleReconnect(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.connect(), this.retryDelayMs);
    this.retryTimer.unref();
    this.retryDelayMs = Math.min(MAX_RECONNECT_DELAY_MS, this.retryDelayMs * 2);
  }
}

/** The channel for this database: LISTEN/NOTIFY on PostgreSQL, none on SQLite. */
export function createChangeChannel(settings: DatabaseSettings, sql: SqlClient): ChangeChannel {
  return settings.kind === 'postgres' ? new PostgresChangeChannel(settings.url, sql) : new LocalChangeChannel();
}
