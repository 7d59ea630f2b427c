import { binaryPayload, bytesParser, expectError, hexOf, rawRequest, RawResponse } from '../support/artifacts.js';
import { factories, uploadArtifact } from '../support/factories.js';
import { startTestApp, TestApp } from '../support/test-app.js';

describe('artifact downloads: ETag, conditional and range requests', () => {
  let server: TestApp;
  let runId: string;
  const bytes = binaryPayload(100_000);
  const SIZE = bytes.length;
  const etag = `"sha256:${hexOf(bytes)}"`;
  const empty = Buffer.alloc(0);

  beforeAll(async () => {
    server = await startTestApp();
    runId = (await factories(server.http).run()).id;
    await uploadArtifact(server.http, runId, bytes, { key: 'ckpt/model.bin', contentType: 'application/x-checkpoint' });
    await uploadArtifact(server.http, runId, empty, { key: 'empty.bin' });
  });
  afterAll(() => server.close());

  const url = (key = 'ckpt/model.bin') => `/api/v1/runs/${runId}/artifacts/${key}`;
  const get = (headers: Record<string, string> = {}, key?: string): Promise<RawResponse> =>
    rawRequest(server.url, { method: 'GET', path: url(key), headers });

  it('sends Content-Length, Content-Type, the content hash as a strong ETag, and Accept-Ranges', async () => {
    const response = await get();
    expect(response.status).toBe(200);
    expect(response.body.equals(bytes)).toBe(true);
    expect(response.headers['content-length']).toBe(String(SIZE));
    expect(response.headers['content-type']).toBe('application/x-checkpoint');
    expect(response.headers.etag).toBe(etag);
    expect(response.headers['accept-ranges']).toBe('bytes');
    expect(response.headers['content-disposition']).toContain('filename="model.bin"');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
  });

  it.each([
    ['the ETag itself', etag],
    ['the ETag marked weak', `W/${etag}`],
    ['a list holding the ETag', `"sha256:0000", ${etag}`],
    ['*', '*'],
  ])('answers 304 Not Modified, without a body, for If-None-Match with %s', async (_what, value) => {
    const response = await get({ 'if-none-match': value });
    expect(response.status).toBe(304);
    expect(response.body).toHaveLength(0);
    expect(response.headers.etag).toBe(etag);
  });

  it('answers 200 with the bytes for If-None-Match with another ETag', async () => {
    const response = await get({ 'if-none-match': '"sha256:0000000000000000000000000000000000000000000000000000000000000000"' });
    expect(response.status).toBe(200);
    expect(response.body.equals(bytes)).toBe(true);
  });

  // What fetch() with cache: 'no-cache' and a browser reload send: the request directives are
  // for caches; the origin still evaluates If-None-Match (RFC 9110 §13.2.1).
  describe.each([
    ['Cache-Control: no-cache', { 'cache-control': 'no-cache' }],
    ['Cache-Control: max-age=0', { 'cache-control': 'max-age=0' }],
    ['Cache-Control: no-cache, no-store', { 'cache-control': 'no-cache, no-store' }],
    ['Pragma: no-cache', { pragma: 'no-cache' }],
    ['Cache-Control and Pragma: no-cache', { 'cache-control': 'no-cache', pragma: 'no-cache' }],
  ])('a revalidation with %s', (_what, cacheHeaders) => {
    it.each([
      ['the ETag itself', etag],
      ['the ETag marked weak (weak comparison)', `W/${etag}`],
      ['a list holding the ETag, weak', `"sha256:0000", W/${etag}`],
      ['*', '*'],
    ])('answers 304 with the ETag and no body when If-None-Match holds %s', async (_match, value) => {
      const response = await get({ ...cacheHeaders, 'if-none-match': value });
      expect(response.status).toBe(304);
      expect(response.body).toHaveLength(0);
      expect(response.headers.etag).toBe(etag);
      expect(response.headers['cache-control']).toBe('private, no-cache');
      expect(response.headers['content-length']).toBeUndefined();
    });

    it('answers 200 with the bytes when If-None-Match holds another ETag', async () => {
      const response = await get({ ...cacheHeaders, 'if-none-match': '"sha256:0000", W/"sha256:1111"' });
      expect(response.status).toBe(200);
      expect(response.headers.etag).toBe(etag);
      expect(response.body.equals(bytes)).toBe(true);
    });

    it('answers HEAD with 304 too', async () => {
      const head = await rawRequest(server.url, { method: 'HEAD', path: url(), headers: { ...cacheHeaders, 'if-none-match': etag } });
      expect(head.status).toBe(304);
      expect(head.headers.etag).toBe(etag);
    });

    it('evaluates If-None-Match before Range, and keeps If-Range as it was', async () => {
      const notModified = await get({ ...cacheHeaders, 'if-none-match': etag, range: 'bytes=0-9' });
      expect(notModified.status).toBe(304);
      expect(notModified.body).toHaveLength(0);
      const matching = await get({ ...cacheHeaders, range: 'bytes=0-9', 'if-range': etag });
      expect(matching.status).toBe(206);
      expect(matching.body.equals(bytes.subarray(0, 10))).toBe(true);
      const weak = await get({ ...cacheHeaders, range: 'bytes=0-9', 'if-range': `W/${etag}` });
      expect(weak.status).toBe(200);
      expect(weak.body.equals(bytes)).toBe(true);
      const stale = await get({ ...cacheHeaders, 'if-none-match': '"sha256:0000"', range: 'bytes=0-9', 'if-range': '"sha256:0000"' });
      expect(stale.status).toBe(200);
      expect(stale.body.equals(bytes)).toBe(true);
    });
  });

  it('answers 200 to If-None-Match with a bare token that is not an entity tag (no quotes)', async () => {
    const response = await get({ 'if-none-match': etag.slice(1, -1) });
    expect(response.status).toBe(200);
    expect(response.body.equals(bytes)).toBe(true);
  });

  it.each([
    ['a closed range', 'bytes=10-99', 10, 99],
    ['an open-ended range', 'bytes=99000-', 99_000, SIZE - 1],
    ['a suffix range', 'bytes=-500', SIZE - 500, SIZE - 1],
    ['a range past the end (clamped)', `bytes=99990-${SIZE + 5000}`, 99_990, SIZE - 1],
    ['the first byte', 'bytes=0-0', 0, 0],
    ['two overlapping ranges (merged into one)', 'bytes=0-99,50-199', 0, 199],
  ])('answers 206 with %s', async (_what, range, start, end) => {
    const response = await get({ range });
    expect(response.status).toBe(206);
    expect(response.headers['content-range']).toBe(`bytes ${start}-${end}/${SIZE}`);
    expect(response.headers['content-length']).toBe(String(end - start + 1));
    expect(response.headers.etag).toBe(etag);
    expect(response.body.equals(bytes.subarray(start, end + 1))).toBe(true);
  });

  it('resumes a broken download: the first part, then the rest from where it stopped, make the file', async () => {
    const first = await get({ range: 'bytes=0-40959' });
    const rest = await get({ range: `bytes=${first.body.length}-`, 'if-range': etag });
    expect(first.status).toBe(206);
    expect(rest.status).toBe(206);
    expect(Buffer.concat([first.body, rest.body]).equals(bytes)).toBe(true);
  });

  it('answers 416 with Content-Range bytes */size for a range that starts past the end', async () => {
    for (const range of [`bytes=${SIZE}-`, `bytes=${SIZE + 10}-${SIZE + 20}`]) {
      const response = await get({ range });
      expectError(response, 416, 'INVALID_REQUEST');
      expect(response.headers['content-range']).toBe(`bytes */${SIZE}`);
    }
  });

  it('answers 416 to any range of an empty file, and 200 without a range', async () => {
    const ranged = await get({ range: 'bytes=0-' }, 'empty.bin');
    expectError(ranged, 416, 'INVALID_REQUEST');
    expect(ranged.headers['content-range']).toBe('bytes */0');
    const whole = await get({}, 'empty.bin');
    expect(whole.status).toBe(200);
    expect(whole.headers['content-length']).toBe('0');
  });

  it.each([
    ['several disjoint ranges', 'bytes=0-9,100-109'],
    ['a malformed range', 'bytes=abc'],
    ['another unit', 'items=0-9'],
  ])('answers 200 with the whole file for %s', async (_what, range) => {
    const response = await get({ range });
    expect(response.status).toBe(200);
    expect(response.headers['content-range']).toBeUndefined();
    expect(response.body.equals(bytes)).toBe(true);
  });

  it('honours If-Range: the range while the ETag matches, the whole file once it does not', async () => {
    const matching = await get({ range: 'bytes=0-9', 'if-range': etag });
    expect(matching.status).toBe(206);
    expect(matching.body.equals(bytes.subarray(0, 10))).toBe(true);
    const stale = await get({ range: 'bytes=0-9', 'if-range': '"sha256:1111"' });
    expect(stale.status).toBe(200);
    expect(stale.body.equals(bytes)).toBe(true);
    const dated = await get({ range: 'bytes=0-9', 'if-range': 'Wed, 21 Oct 2015 07:28:00 GMT' });
    expect(dated.status).toBe(200);
    expect(dated.body.equals(bytes)).toBe(true);
  });

  it('answers HEAD with the headers of GET and no body, ranges included', async () => {
    const head = await rawRequest(server.url, { method: 'HEAD', path: url() });
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe(String(SIZE));
    expect(head.headers.etag).toBe(etag);
    expect(head.body).toHaveLength(0);
    const ranged = await rawRequest(server.url, { method: 'HEAD', path: url(), headers: { range: 'bytes=0-9' } });
    expect(ranged.status).toBe(206);
    expect(ranged.headers['content-length']).toBe('10');
  });

  it('changes the ETag when the key is overwritten with other bytes', async () => {
    const other = binaryPayload(2000);
    await server
      .http()
      .put(`${url('moving.bin')}`)
      .send(bytes)
      .expect(201);
    await server
      .http()
      .put(`${url('moving.bin')}?overwrite=true`)
      .send(other)
      .expect(201);
    const stale = await get({ 'if-none-match': etag }, 'moving.bin');
    expect(stale.status).toBe(200);
    expect(stale.headers.etag).toBe(`"sha256:${hexOf(other)}"`);
    expect(stale.body.equals(other)).toBe(true);
  });

  it('streams a download through supertest byte for byte', async () => {
    const response = await server.http().get(url()).buffer(true).parse(bytesParser).expect(200);
    expect((response.body as Buffer).equals(bytes)).toBe(true);
  });
});
