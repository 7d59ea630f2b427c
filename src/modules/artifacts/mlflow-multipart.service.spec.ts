import type { IncomingMessage } from 'node:http';
import { bareEtag, fileNameOf, partSignature, publicBaseUrl } from './mlflow-multipart.service.js';

function request(headers: Record<string, string>, encrypted = false): IncomingMessage {
  return { headers, socket: { encrypted } } as unknown as IncomingMessage;
}

describe('fileNameOf', () => {
  it.each([
    ['/home/me/out/model.pt', 'model.pt'],
    ['C:\\Users\\me\\weights.bin', 'weights.bin'],
    ['relative/dir/file.txt', 'file.txt'],
    ['plain.json', 'plain.json'],
    ['/ends/with/slash/', ''],
  ])('takes the file name of the client path %j', (local, name) => {
    expect(fileNameOf(local)).toBe(name);
  });
});

describe('bareEtag', () => {
  it.each(['"abc"', 'abc', 'W/"abc"', ' "abc" '])('reads %j as abc', (etag) => {
    expect(bareEtag(etag)).toBe('abc');
  });
});

describe('partSignature', () => {
  it('depends on the secret, the upload and the part number', () => {
    const id = 'a'.repeat(32);
    const base = partSignature('secret', id, 1);
    expect(base).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(partSignature('secret', id, 1)).toBe(base);
    expect(partSignature('other', id, 1)).not.toBe(base);
    expect(partSignature('secret', 'b'.repeat(32), 1)).not.toBe(base);
    expect(partSignature('secret', id, 2)).not.toBe(base);
  });
});

describe('publicBaseUrl', () => {
  it('uses the Host header, with https on a TLS socket', () => {
    expect(publicBaseUrl(request({ host: '127.0.0.1:5000' }))).toBe('http://127.0.0.1:5000');
    expect(publicBaseUrl(request({ host: 'tracking.internal' }, true))).toBe('https://tracking.internal');
    expect(publicBaseUrl(request({ host: '[::1]:5000' }))).toBe('http://[::1]:5000');
  });

  it("prefers a reverse proxy's X-Forwarded-Proto, -Host (first of a list) and -Prefix", () => {
    const forwarded = {
      host: 'backend:5000',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'ml.example.org, proxy2',
      'x-forwarded-prefix': '/mlflow/',
    };
    expect(publicBaseUrl(request(forwarded))).toBe('https://ml.example.org/mlflow');
  });

  it('ignores forwarded values that are no scheme or path prefix', () => {
    expect(publicBaseUrl(request({ host: 'h:1', 'x-forwarded-proto': 'javascript', 'x-forwarded-prefix': '/a b' }))).toBe('http://h:1');
  });

  it.each<Record<string, string>>([{}, { host: 'evil.example/path' }, { host: 'a@b' }])(
    'refuses a request without a usable host: %j',
    (headers) => {
      expect(() => publicBaseUrl(request(headers))).toThrow('Host');
    },
  );
});
