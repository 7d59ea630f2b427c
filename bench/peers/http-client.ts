// The one load generator for every server: node:http with a keep-alive agent (one socket per
// concurrent client, reused for every request), request bodies prebuilt as strings, responses
// collected as raw bytes and parsed only when the workload needs what they say.
import http from 'node:http';

export interface HttpResult {
  status: number;
  body: Buffer;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly method: string,
    readonly path: string,
    readonly responseText: string,
  ) {
    super(`${method} ${path} → ${status}: ${responseText.slice(0, 300)}`);
  }
}

class StaleSocketError extends Error {}

/** What the workloads need of a client: one request at a time, answered with any status. */
export abstract class Client {
  abstract send(method: 'GET' | 'POST', path: string, body?: string): Promise<HttpResult>;

  abstract close(): void;

  /** A request that must answer 2xx; returns the body text. */
  async expectOk(method: 'GET' | 'POST', path: string, body?: string): Promise<string> {
    const result = await this.send(method, path, body);
    const text = result.body.toString('utf8');
    if (result.status < 200 || result.status >= 300) {
      throw new HttpError(result.status, method, path, text);
    }
    return text;
  }

  async json<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const text = await this.expectOk(method, path, body === undefined ? undefined : JSON.stringify(body));
    return (text.length === 0 ? {} : JSON.parse(text)) as T;
  }
}

export class HttpClient extends Client {
  private readonly agent: http.Agent;
  private readonly hostname: string;
  private readonly port: number;

  constructor(
    readonly baseUrl: string,
    maxSockets = 64,
  ) {
    super();
    const url = new URL(baseUrl);
    this.hostname = url.hostname;
    this.port = Number(url.port);
    this.agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets, scheduling: 'lifo' });
  }

  /**
   * One request; resolves with any status (callers decide what counts as an error). A request
   * that fails with a reset on a reused keep-alive socket is sent once more on a new one: the
   * server closed that idle connection as the request went out (uvicorn's 5 s keep-alive), so
   * it never saw the request (the retry Node's documentation recommends for `reusedSocket`).
   */
  async send(method: 'GET' | 'POST', path: string, body?: string): Promise<HttpResult> {
    try {
      return await this.attempt(method, path, body);
    } catch (error) {
      if (error instanceof StaleSocketError) {
        return this.attempt(method, path, body);
      }
      throw error;
    }
  }

  private attempt(method: 'GET' | 'POST', path: string, body?: string): Promise<HttpResult> {
    return new Promise((resolve, reject) => {
      const headers: http.OutgoingHttpHeaders = { accept: 'application/json' };
      if (body !== undefined) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = Buffer.byteLength(body);
      }
      const request = http.request({ agent: this.agent, hostname: this.hostname, port: this.port, method, path, headers }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks) }),
        );
        response.on('error', reject);
      });
      request.on('error', (error: NodeJS.ErrnoException) => {
        const stale = request.reusedSocket && (error.code === 'ECONNRESET' || error.code === 'EPIPE');
        reject(stale ? new StaleSocketError(error.message) : error);
      });
      request.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/**
 * Several replicas of one server behind the simplest load balancer: each request goes to the
 * next replica in turn, whoever sends it, over that replica's own keep-alive connections. Per
 * request rather than per client, so even one sequential client (the read workloads) uses
 * every replica; a read may reach another replica than the write before it, which is fine
 * because they share one database.
 */
export class RoundRobinClient extends Client {
  private readonly replicas: HttpClient[];
  private next = 0;

  constructor(baseUrls: readonly string[], maxSocketsEach = 64) {
    super();
    if (baseUrls.length === 0) {
      throw new Error('RoundRobinClient needs at least one replica');
    }
    this.replicas = baseUrls.map((url) => new HttpClient(url, maxSocketsEach));
  }

  send(method: 'GET' | 'POST', path: string, body?: string): Promise<HttpResult> {
    const replica = this.replicas[this.next];
    this.next = (this.next + 1) % this.replicas.length;
    return replica.send(method, path, body);
  }

  close(): void {
    for (const replica of this.replicas) {
      replica.close();
    }
  }
}

export interface LoopStats {
  /** Operations completed inside the measured window. */
  operations: number;
  /** Operations that failed inside the measured window (not counted in `operations`). */
  errors: number;
  firstError?: string;
  seconds: number;
  /** Latencies in ms of the operations that started inside the window, sorted. */
  latenciesMs: number[];
}

/**
 * A closed loop: `clients` concurrent clients each send one operation at a time, back to back,
 * for `warmupMs` (not counted) and then `durationMs` (counted). An operation counts when it
 * completes inside the measured window; its latency counts when it also started inside it.
 */
export async function closedLoop(
  clients: number,
  warmupMs: number,
  durationMs: number,
  operation: (client: number, iteration: number) => Promise<void>,
): Promise<LoopStats> {
  const started = performance.now();
  const windowStart = started + warmupMs;
  const windowEnd = windowStart + durationMs;
  const latencies: number[] = [];
  let operations = 0;
  let errors = 0;
  let firstError: string | undefined;
  await Promise.all(
    Array.from({ length: clients }, async (_, client) => {
      for (let iteration = 0; performance.now() < windowEnd; iteration++) {
        const sent = performance.now();
        try {
          await operation(client, iteration);
          const done = performance.now();
          if (done >= windowStart && done <= windowEnd) {
            operations += 1;
            if (sent >= windowStart) {
              latencies.push(done - sent);
            }
          }
        } catch (error) {
          const done = performance.now();
          if (done >= windowStart && done <= windowEnd) {
            errors += 1;
          }
          firstError ??= error instanceof Error ? error.message : String(error);
          // A failing server must not turn the loop into a busy spin.
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  return { operations, errors, firstError, seconds: durationMs / 1000, latenciesMs: latencies };
}

/**
 * Runs `operation` sequentially: `warmup` untimed calls, then timed calls until `maxCalls`
 * or `maxMs` is reached (at least `minCalls`). Returns the sorted latencies in ms.
 */
export async function timedRepeats(
  warmup: number,
  minCalls: number,
  maxCalls: number,
  maxMs: number,
  operation: () => Promise<void>,
): Promise<number[]> {
  for (let index = 0; index < warmup; index++) {
    await operation();
  }
  const timings: number[] = [];
  const deadline = performance.now() + maxMs;
  while (timings.length < maxCalls && (timings.length < minCalls || performance.now() < deadline)) {
    const sent = performance.now();
    await operation();
    timings.push(performance.now() - sent);
  }
  return timings.sort((a, b) => a - b);
}
