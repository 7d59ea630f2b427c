import { createHash, timingSafeEqual } from 'node:crypto';

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * Checks a presented key against the configured ones in constant time: every key is compared
 * (no early exit) on fixed-length SHA-256 digests, so timing reveals neither which key matched
 * nor how much of one did. Only digests are kept in memory after start.
 */
export class ApiKeyVerifier {
  private readonly digests: Buffer[];

  constructor(keys: readonly string[]) {
    this.digests = keys.map(digest);
  }

  verify(presented: string): boolean {
    const candidate = digest(presented);
    let matched = false;
    for (const known of this.digests) {
      matched = timingSafeEqual(known, candidate) || matched;
    }
    return matched;
  }
}
