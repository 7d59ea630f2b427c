import { blobEtag, contentDisposition, ifNoneMatchHolds, ifRangeAllowsPartial, storedContentType } from './artifact-transfer.adapter.js';

describe('artifact transfer helpers', () => {
  it('uses the content hash as a strong, quoted ETag', () => {
    expect(blobEtag('ab'.repeat(32))).toBe(`"sha256:${'ab'.repeat(32)}"`);
  });

  it.each([
    [undefined, false],
    ['*', true],
    [' * ', true],
    ['"sha256:cc"', true],
    ['W/"sha256:cc"', true],
    ['"sha256:aa", W/"sha256:cc"', true],
    ['"sha256:aa","sha256:cc"', true],
    ['"a,b", "sha256:cc"', true],
    ['"sha256:aa"', false],
    ['"sha256:cc, x"', false],
    ['sha256:cc', false],
    ['', false],
  ])('evaluates If-None-Match %j against "sha256:cc" by weak comparison: %s', (header, holds) => {
    expect(ifNoneMatchHolds(header, '"sha256:cc"')).toBe(holds);
    expect(ifNoneMatchHolds(header, 'W/"sha256:cc"')).toBe(holds);
  });

  it('lets a range through only without If-Range or with the exact current ETag', () => {
    const etag = blobEtag('c'.repeat(64));
    expect(ifRangeAllowsPartial(undefined, etag)).toBe(true);
    expect(ifRangeAllowsPartial(etag, etag)).toBe(true);
    expect(ifRangeAllowsPartial(` ${etag} `, etag)).toBe(true);
    expect(ifRangeAllowsPartial(`W/${etag}`, etag)).toBe(false);
    expect(ifRangeAllowsPartial('"sha256:other"', etag)).toBe(false);
    expect(ifRangeAllowsPartial('Wed, 21 Oct 2015 07:28:00 GMT', etag)).toBe(false);
  });

  it.each([
    ['text/csv', 'text/csv'],
    ['application/json; charset=utf-8', 'application/json; charset=utf-8'],
    ['  image/png  ', 'image/png'],
    [undefined, 'application/octet-stream'],
    ['', 'application/octet-stream'],
    ['not a type', 'application/octet-stream'],
    ['text/html\r\nX-Injected: 1', 'application/octet-stream'],
    [`application/${'x'.repeat(300)}`, 'application/octet-stream'],
  ])('stores the declared content type %j as %j', (declared, stored) => {
    expect(storedContentType(declared)).toBe(stored);
  });

  it('names the attachment by the base name, safe for any characters', () => {
    expect(contentDisposition('ckpt/model.bin')).toBe(`attachment; filename="model.bin"; filename*=UTF-8''model.bin`);
    expect(contentDisposition('résumé "v2".txt')).toBe(
      `attachment; filename="r_sum_ _v2_.txt"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%22v2%22.txt`,
    );
  });
});
