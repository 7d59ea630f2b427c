import { Worker } from 'node:worker_threads';

/** What the main thread asks of the hashing thread. */
type HashRequest =
  | { type: 'begin'; job: number; memory: SharedArrayBuffer }
  | { type: 'update'; job: number; offset: number; length: number }
  | { type: 'digest'; job: number }
  | { type: 'drop'; job: number };

/** What the hashing thread answers: one reply per update and digest, in order. */
type HashReply = { job: number; digest?: string; error?: string };

/**
 * The body of the hashing thread. Its source text is what the thread runs (`eval`), so it may use
 * nothing but its own scope and Node's built-in modules; being a function here keeps it
 * type-checked and lets the same code run from `dist/` and under the test runner.
 */
function hashingThreadMain(): void {
  const { parentPort } = process.getBuiltinModule('node:worker_threads');
  const { createHash } = process.getBuiltinModule('node:crypto');
  const jobs = new Map<number, { hash: ReturnType<typeof createHash>; bytes: Uint8Array }>();
  parentPort?.on('message', (request: HashRequest) => {
    if (request.type === 'begin') {
      jobs.set(request.job, { hash: createHash('sha256'), bytes: new Uint8Array(request.memory) });
      return;
    }
    if (request.type === 'drop') {
      jobs.delete(request.job);
      return;
    }
    const job = jobs.get(request.job);
    if (!job) {
      parentPort.postMessage({ job: request.job, error: 'unknown hash job' } satisfies HashReply);
      return;
    }
    if (request.type === 'update') {
      job.hash.update(job.bytes.subarray(request.offset, request.offset + request.length));
      parentPort.postMessage({ job: request.job } satisfies HashReply);
      return;
    }
    jobs.delete(request.job);
    parentPort.postMessage({ job: request.job, digest: job.hash.digest('hex') } satisfies HashReply);
  });
}

interface Pending {
  resolve(digest: string | undefined): void;
  reject(error: Error): void;
}

/**
 * One thread that computes SHA-256 digests for every upload in progress, reading the bytes
 * straight out of shared memory (no copy per message). SHA-256 costs about as much CPU as
 * receiving the bytes from the socket; doing it here lets the event loop keep receiving (and
 * serving other requests) while a large upload is hashed.
 */
class HashingThread {
  private readonly worker: Worker;
  /** Replies come back in request order, so each job's waiters form a queue. */
  private readonly waiting = new Map<number, Pending[]>();
  private nextJob = 1;
  /** Requests not yet answered: while there are any, the thread keeps the process alive. */
  private outstanding = 0;
  dead = false;

  constructor() {
    this.worker = new Worker(`(${hashingThreadMain.toString()})()`, { eval: true, name: 'sha256' });
    this.worker.on('message', (reply: HashReply) => this.settle(reply));
    // A thread can throw anything, not only an Error.
    this.worker.on('error', (error: unknown) => this.die(error instanceof Error ? error : new Error(String(error))));
    this.worker.on('exit', (code) => this.die(new Error(`the hashing thread exited with code ${code}`)));
    // An idle hashing thread must not keep the process alive (unref after the listeners: adding
    // a message listener refs the worker again).
    this.worker.unref();
  }

  begin(memory: SharedArrayBuffer): number {
    const job = this.nextJob++;
    this.waiting.set(job, []);
    this.post({ type: 'begin', job, memory });
    return job;
  }

  update(job: number, offset: number, length: number): Promise<void> {
    return this.ask({ type: 'update', job, offset, length }).then(() => undefined);
  }

  async digest(job: number): Promise<string> {
    const digest = await this.ask({ type: 'digest', job });
    this.waiting.delete(job);
    if (digest === undefined) {
      throw new Error('the hashing thread sent no digest');
    }
    return digest;
  }

  drop(job: number): void {
    this.waiting.delete(job);
    if (!this.dead) {
      this.post({ type: 'drop', job });
    }
  }

  private ask(request: HashRequest): Promise<string | undefined> {
    const queue = this.waiting.get(request.job);
    if (this.dead || !queue) {
      return Promise.reject(new Error('the hashing thread is not available'));
    }
    if (this.outstanding++ === 0) {
      this.worker.ref();
    }
    return new Promise((resolve, reject) => {
      queue.push({ resolve, reject });
      this.post(request);
    });
  }

  private post(request: HashRequest): void {
    this.worker.postMessage(request);
  }

  private answered(): void {
    if (--this.outstanding === 0) {
      this.worker.unref();
    }
  }

  private settle(reply: HashReply): void {
    this.answered();
    const next = this.waiting.get(reply.job)?.shift();
    if (!next) {
      return;
    }
    if (reply.error !== undefined) {
      next.reject(new Error(reply.error));
    } else {
      next.resolve(reply.digest);
    }
  }

  private die(error: Error): void {
    if (this.dead) {
      return;
    }
    this.dead = true;
    for (const queue of this.waiting.values()) {
      for (const pending of queue.splice(0)) {
        pending.reject(error);
      }
    }
    this.waiting.clear();
    if (shared === this) {
      shared = undefined;
    }
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}

let shared: HashingThread | undefined;

/**
 * The SHA-256 of bytes that pass through a shared memory area, computed on the hashing thread.
 * Feed it regions in order; a region must not change until its `update` has resolved.
 */
export class OffThreadSha256 {
  private readonly thread: HashingThread;
  private readonly job: number;

  constructor(memory: SharedArrayBuffer) {
    if (!shared || shared.dead) {
      shared = new HashingThread();
    }
    this.thread = shared;
    this.job = this.thread.begin(memory);
  }

  update(offset: number, length: number): Promise<void> {
    return this.thread.update(this.job, offset, length);
  }

  /** Lowercase hex digest of everything updated so far; the hash cannot be used afterwards. */
  digest(): Promise<string> {
    return this.thread.digest(this.job);
  }

  /** Forgets the hash (an upload that will not be stored). */
  dispose(): void {
    this.thread.drop(this.job);
  }
}

/** Stops the hashing thread (for tests that check a thread failure is reported, not hung on). */
export async function stopHashingThreadForTests(): Promise<void> {
  const thread = shared;
  shared = undefined;
  await thread?.terminate();
}
