import { ApiKeyVerifier } from './api-key.verifier.js';

describe('ApiKeyVerifier', () => {
  it('accepts a configured key', () => {
    expect(new ApiKeyVerifier(['s3cret-key']).verify('s3cret-key')).toBe(true);
  });

  it('accepts every one of several configured keys', () => {
    const verifier = new ApiKeyVerifier(['first', 'second', 'third']);
    expect(verifier.verify('first')).toBe(true);
    expect(verifier.verify('second')).toBe(true);
    expect(verifier.verify('third')).toBe(true);
  });

  it.each([
    ['a different key', 'other-key'],
    ['a prefix of the key', 's3cret'],
    ['the key with a suffix', 's3cret-key-and-more'],
    ['the key in another case', 'S3CRET-KEY'],
    ['the key with surrounding blanks', ' s3cret-key '],
    ['the empty string', ''],
  ])('refuses %s', (_what, presented) => {
    expect(new ApiKeyVerifier(['s3cret-key', 'another']).verify(presented)).toBe(false);
  });

  it('refuses everything when no key is configured', () => {
    const verifier = new ApiKeyVerifier([]);
    expect(verifier.verify('')).toBe(false);
    expect(verifier.verify('anything')).toBe(false);
  });

  it('compares presented keys of any length without throwing (digests have a fixed length)', () => {
    const verifier = new ApiKeyVerifier(['short']);
    expect(() => verifier.verify('x'.repeat(10_000))).not.toThrow();
    expect(verifier.verify('x'.repeat(10_000))).toBe(false);
  });

  it('does not keep the keys themselves', () => {
    const verifier = new ApiKeyVerifier(['plain-text-key']);
    const kept = JSON.stringify(Object.values(verifier as unknown as Record<string, unknown>));
    expect(kept).not.toContain('plain-text-key');
    expect(kept).not.toContain(Buffer.from('plain-text-key').toString('hex'));
  });

  it('compares against every key, with no early exit on the first match', () => {
    const verifier = new ApiKeyVerifier(['a', 'b', 'c']);
    const internals = verifier as unknown as { digests: Buffer[] };
    expect(internals.digests).toHaveLength(3);
    const reads: number[] = [];
    internals.digests = new Proxy(internals.digests, {
      get(target, property, receiver) {
        if (typeof property === 'string' && /^\d+$/.test(property)) {
          reads.push(Number(property));
        }
        return Reflect.get(target, property, receiver) as unknown;
      },
    });
    expect(verifier.verify('a')).toBe(true);
    expect(reads).toEqual([0, 1, 2]);
  });
});
