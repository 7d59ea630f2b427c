import { InvalidRequestError } from '../errors.js';
import { checkCursor, decodeSearchToken, encodeSearchToken, keysetAfter, orderSignature, SortComponent, sortOrderList } from './keyset.js';

/** metric DESC with NaN/missing buckets, then a unique id ASC. */
const COMPONENTS: SortComponent[] = [
  { expr: 'b0', ascending: true, type: 'bucket' },
  { expr: 'v0', ascending: false, type: 'number', bucket: 0 },
  { expr: 'id', ascending: true, type: 'text' },
];

function invalid(work: () => unknown): void {
  expect(work).toThrow(InvalidRequestError);
  expect(work).toThrow('page_token: not a page token this server issued for this search order');
}

describe('keyset paging', () => {
  it('is "after the cursor" in each component direction, comparing a value only inside its bucket', () => {
    expect(keysetAfter('sqlite', COMPONENTS, [0, 0.75, 'run-9'])).toEqual({
      sql: '(b0 > ? OR (b0 = ? AND v0 < ?) OR (b0 = ? AND v0 = ? AND id > ?))',
      params: [0, 0, 0.75, 0, 0.75, 'run-9'],
    });
  });

  it('skips the value when the cursor is in the NaN or missing bucket (all such rows tie on it)', () => {
    expect(keysetAfter('sqlite', COMPONENTS, [2, null, 'run-9'])).toEqual({
      sql: '(b0 > ? OR (b0 = ? AND id > ?))',
      params: [2, 2, 'run-9'],
    });
  });

  describe('NULLS LAST components (missing values last in either direction)', () => {
    const nullable: SortComponent[] = [
      { expr: 't', ascending: false, type: 'number', nullsLast: true },
      { expr: 'id', ascending: true, type: 'text' },
    ];

    it('after a value: smaller values (DESC) and every NULL come next', () => {
      expect(keysetAfter('sqlite', nullable, [5, 'r'])).toEqual({
        sql: '((t < ? OR t IS NULL) OR (t = ? AND id > ?))',
        params: [5, 5, 'r'],
      });
    });

    it('after a NULL: only NULLs with a later id', () => {
      expect(keysetAfter('sqlite', nullable, [null, 'r'])).toEqual({ sql: '((t IS NULL AND id > ?))', params: ['r'] });
    });

    it('orders them NULLS LAST', () => {
      expect(sortOrderList(nullable)).toBe('sort_0 DESC NULLS LAST, sort_1 ASC');
    });

    it('accept NULL in a cursor only where NULLs can be', () => {
      expect(() => checkCursor(nullable, [null, 'r'])).not.toThrow();
      invalid(() => checkCursor(nullable, [1, null]));
    });
  });

  it('binds a fractional number for an integer column as a double on PostgreSQL only', () => {
    const components: SortComponent[] = [
      { expr: 't', ascending: false, type: 'number' },
      { expr: 'id', ascending: true, type: 'text' },
    ];
    expect(keysetAfter('postgres', components, [1.5, 'x']).sql).toBe(
      '(t < CAST(? AS DOUBLE PRECISION) OR (t = CAST(? AS DOUBLE PRECISION) AND id > ?))',
    );
    expect(keysetAfter('postgres', components, [15, 'x']).sql).toBe('(t < ? OR (t = ? AND id > ?))');
    expect(keysetAfter('sqlite', components, [1.5, 'x']).sql).toBe('(t < ? OR (t = ? AND id > ?))');
  });

  it('round-trips a sort key, ±Infinity included, through an opaque URL-safe token', () => {
    const signature = orderSignature([{ kind: 'metric', key: 'acc' }]);
    for (const key of [
      [0, 0.1 + 0.2, 'run-1'],
      [0, Infinity, 'run-2'],
      [0, -Infinity, 'run-3'],
      [1, null, 'run-ü'],
    ]) {
      const token = encodeSearchToken(signature, key);
      expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
      const decoded = decodeSearchToken(token, signature);
      expect(decoded).toEqual(key.map((value) => (value === Infinity ? 'Infinity' : value === -Infinity ? '-Infinity' : value)));
      expect(() => checkCursor(COMPONENTS, decoded)).not.toThrow();
    }
  });

  it('turns ±Infinity back into numbers when binding', () => {
    expect(keysetAfter('sqlite', COMPONENTS, [0, '-Infinity', 'r']).params).toEqual([0, 0, -Infinity, 0, -Infinity, 'r']);
  });

  it('refuses a token of another order', () => {
    const token = encodeSearchToken(orderSignature(['a']), [0, 1, 'r']);
    invalid(() => decodeSearchToken(token, orderSignature(['b'])));
  });

  it.each([
    ['garbage', 'garbage!'],
    ['not JSON', Buffer.from('nope').toString('base64url')],
    ['an array', Buffer.from('[1]').toString('base64url')],
    ['no signature', Buffer.from(JSON.stringify({ k: [0, 1, 'r'] })).toString('base64url')],
    ['an object in the key', Buffer.from(JSON.stringify({ o: 'sig', k: [{}] })).toString('base64url')],
  ])('refuses %s', (_what, token) => {
    invalid(() => decodeSearchToken(token, 'sig'));
  });

  it.each([
    ['too short', [0, 1]],
    ['a bucket out of range', [3, null, 'r']],
    ['a value in a NaN/missing bucket', [1, 0.5, 'r']],
    ['no value in the real-values bucket', [0, null, 'r']],
    ['text where a number belongs', [0, 'x', 'r']],
    ['a number where text belongs', [0, 1, 5]],
  ])('refuses a cursor with %s', (_what, cursor) => {
    invalid(() => checkCursor(COMPONENTS, cursor));
  });
});
