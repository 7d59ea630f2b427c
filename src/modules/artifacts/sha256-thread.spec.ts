import { createHash, randomBytes } from 'node:crypto';
import { OffThreadSha256, stopHashingThreadForTests } from './sha256-thread.js';

function sha256(...parts: Buffer[]): string {
  const hash = createHash('sha256');
  for (const part of parts) {
    hash.update(part);
  }
  return hash.digest('hex');
}

describe('OffThreadSha256', () => {
  afterAll(() => stopHashingThreadForTests());

  it('computes the SHA-256 of the regions it is given, in order, on the hashing thread', async () => {
    const memory = new SharedArrayBuffer(1024);
    const view = Buffer.from(memory);
    const first = randomBytes(1024);
    const second = randomBytes(300);
    const hash = new OffThreadSha256(memory);
    first.copy(view);
    await hash.update(0, 1024);
    // The region is reused once its update has resolved, as the staging ring does.
    second.copy(view, 100);
    await hash.update(100, 300);
    expect(await hash.digest()).toBe(sha256(first, second));
  });

  it('keeps concurrent hashes apart', async () => {
    const memory = new SharedArrayBuffer(64);
    const view = Buffer.from(memory);
    view.write('aaaa', 0);
    view.write('bbbb', 32);
    const a = new OffThreadSha256(memory);
    const b = new OffThreadSha256(memory);
    await Promise.all([a.update(0, 4), b.update(32, 4), a.update(0, 4)]);
    expect(await b.digest()).toBe(sha256(Buffer.from('bbbb')));
    expect(await a.digest()).toBe(sha256(Buffer.from('aaaaaaaa')));
  });

  it('digests nothing as the hash of the empty string', async () => {
    expect(await new OffThreadSha256(new SharedArrayBuffer(8)).digest()).toBe(sha256());
  });

  it('fails the hashes in progress when the thread dies, and starts a new thread for the next one', async () => {
    // Large enough that hashing it takes far longer than stopping the thread does.
    const memory = new SharedArrayBuffer(256 * 1024 * 1024);
    const doomed = new OffThreadSha256(memory);
    // Both outcomes are observed from the start: a rejection nobody is listening to yet would
    // be an unhandled rejection, which ends the test process.
    const outcomes = Promise.allSettled([doomed.update(0, memory.byteLength), doomed.digest()]);
    await stopHashingThreadForTests();
    const settled = await outcomes;
    expect(settled.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected']);
    for (const outcome of settled) {
      expect(outcome.status === 'rejected' ? String(outcome.reason) : '').toMatch(/hashing thread/);
    }
    const fresh = new OffThreadSha256(memory);
    await fresh.update(0, 8);
    expect(await fresh.digest()).toBe(sha256(Buffer.alloc(8)));
  });
});
