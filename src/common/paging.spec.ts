import { InvalidRequestError } from './errors.js';
import { decodePageToken, encodePageToken, isAfterCursor, pageOf } from './paging.js';

function isKeyCursor(value: Record<string, unknown>): value is { k: string } {
  return typeof value.k === 'string';
}

describe('page tokens', () => {
  it('round-trip a cursor', () => {
    const token = encodePageToken({ after: 42 });
    expect(decodePageToken(token, isAfterCursor)).toEqual({ after: 42 });
  });

  it('round-trip string, null and several fields', () => {
    const cursor = { k: 'train/loss ü', step: 7, ts: null };
    expect(decodePageToken(encodePageToken(cursor), isKeyCursor)).toEqual(cursor);
  });

  it('are URL-safe text without padding', () => {
    for (let after = 0; after < 300; after += 37) {
      expect(encodePageToken({ after, k: '?>>~~~' })).toMatch(/^[A-Za-z0-9_-]+$/);
    }
  });

  it('decode an absent or empty token as "first page"', () => {
    expect(decodePageToken(undefined, isAfterCursor)).toBeUndefined();
    expect(decodePageToken('', isAfterCursor)).toBeUndefined();
  });

  it.each([
    ['random text', 'garbage'],
    ['characters outside base64url', '!!!***'],
    ['base64 of something that is not JSON', Buffer.from('not json').toString('base64url')],
    ['a JSON array', Buffer.from('[1,2]').toString('base64url')],
    ['JSON null', Buffer.from('null').toString('base64url')],
    ['a JSON number', Buffer.from('42').toString('base64url')],
    ['a cursor of the wrong shape', encodePageToken({ k: 'loss' })],
    ['a fractional id', encodePageToken({ after: 1.5 })],
    ['an id given as text', encodePageToken({ after: '42' })],
  ])('reject %s with INVALID_REQUEST', (_what, token) => {
    let caught: unknown;
    try {
      decodePageToken(token, isAfterCursor);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidRequestError);
    expect((caught as InvalidRequestError).status).toBe(400);
    expect((caught as InvalidRequestError).message).toBe('page_token: not a page token this server issued');
  });

  it('name the field given when rejecting', () => {
    expect(() => decodePageToken('garbage', isAfterCursor, 'next')).toThrow('next: not a page token this server issued');
  });
});

describe('pageOf', () => {
  const rows = [{ id: 9 }, { id: 8 }, { id: 7 }, { id: 6 }];

  it('returns the first `limit` rows and a token for the cursor of the last one when more rows follow', () => {
    const page = pageOf(
      rows,
      3,
      (last) => ({ after: last.id }),
      (row) => `r${row.id}`,
    );
    expect(page.items).toEqual(['r9', 'r8', 'r7']);
    expect(page.nextPageToken).toBeDefined();
    expect(decodePageToken(page.nextPageToken, isAfterCursor)).toEqual({ after: 7 });
  });

  it('gives no token on the last page', () => {
    expect(
      pageOf(
        rows,
        4,
        (last) => ({ after: last.id }),
        (row) => row.id,
      ),
    ).toEqual({ items: [9, 8, 7, 6], nextPageToken: undefined });
    expect(
      pageOf(
        [],
        10,
        () => ({ after: 0 }),
        (row) => row,
      ),
    ).toEqual({ items: [], nextPageToken: undefined });
  });
});
