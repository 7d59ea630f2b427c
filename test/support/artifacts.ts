import { createHash, randomBytes } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import type { Response } from 'supertest';
import type { TestApp } from './test-app.js';

export const SHA256 = /^sha256:[0-9a-f]{64}$/;

/** `sha256:<hex>` of the bytes, as the API shows a hash. */
export function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** The bare hex digest, as blob files are named. */
export function hexOf(bytes: Buffer): string {
  return sha256(bytes).slice('sha256:'.length);
}

/** Every byte value, then random bytes: content that no text decoding survives. */
export function binaryPayload(size: number): Buffer {
  const bytes = randomBytes(size);
  for (let value = 0; value < Math.min(256, size); value++) {
    bytes[value] = value;
  }
  return bytes;
}

/** Collects a response body as raw bytes, whatever its content type (a supertest `.parse()`). */
export function bytesParser(res: unknown, callback: (error: Error | null, body: Buffer) => void): void {
  // In Node, superagent hands the parser the raw response stream.
  const response = res as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  response.on('data', (chunk: Buffer) => chunks.push(chunk));
  response.on('end', () => callback(null, Buffer.concat(chunks)));
  response.on('error', (error: Error) => callback(error, Buffer.alloc(0)));
}

/** All files (not folders) below `root`, as paths relative to it; [] if it does not exist. */
export async function filesUnder(root: string): Promise<string[]> {
  try {
    const entries = await readdir(root, { recursive: true, withFileTypes: true });
    return entries
      .filter((entry) => entry.isFile())
      .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)))
      .sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return [];
    }
    throw error;
  }
}

/** Total size in bytes of the files below `root`. */
export async function bytesUnder(root: string): Promise<number> {
  let total = 0;
  for (const file of await filesUnder(root)) {
    total += (await stat(path.join(root, file))).size;
  }
  return total;
}

export const tmpDir = (server: TestApp): string => path.join(server.storage.dataDir, 'artifacts', 'tmp');
export const blobDir = (server: TestApp): string => path.join(server.storage.dataDir, 'artifacts', 'blobs');

/** The blob files (by hex digest) in the store. */
export async function storedHashes(server: TestApp): Promise<string[]> {
  return (await filesUnder(blobDir(server))).map((file) => path.basename(file));
}

/** Polls until `check` holds or the deadline passes; returns the last value either way. */
export async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean, timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!check(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    value = await read();
  }
  return value;
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

/**
 * A request sent exactly as written (supertest, through WHATWG URL, would normalise `..` and
 * `//` in the path before the server saw them). Resolves with the response even if the server
 * answers before the body is sent and closes the connection (a refused upload).
 */
export function rawRequest(
  baseUrl: string,
  options: { method: string; path: string; headers?: http.OutgoingHttpHeaders; chunks?: Buffer[]; waitForContinue?: boolean },
): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    let answered = false;
    const request = http.request(
      { host: hostname, port, method: options.method, path: options.path, headers: options.headers, agent: false },
      (response) => {
        answered = true;
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body, text: body.toString('utf8') });
        });
        response.on('error', reject);
      },
    );
    request.on('error', (error) => {
      if (!answered) {
        reject(error);
      }
    });
    const send = () => {
      for (const chunk of options.chunks ?? []) {
        request.write(chunk);
      }
      request.end();
    };
    if (options.waitForContinue) {
      request.on('continue', send);
      request.flushHeaders();
    } else {
      send();
    }
  });
}

export const BOUNDARY = '----entrenar-test-boundary-7d1c2f';

export function multipartHead(fileName: string): Buffer {
  return Buffer.from(
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="${fileName}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
  );
}

export const multipartTail = Buffer.from(`\r\n--${BOUNDARY}--\r\n`);

function bodyOf(response: Response | RawResponse): unknown {
  return Buffer.isBuffer(response.body) ? JSON.parse(response.text) : (response.body as unknown);
}

/** The seed's error envelope with this status and code. */
export function expectError(response: Response | RawResponse, status: number, code: string): void {
  expect(response.status).toBe(status);
  expect(bodyOf(response)).toEqual({ error: { code, message: expect.any(String) } });
}

/** MLflow's error envelope with this status and code. */
export function expectMlflowError(response: Response | RawResponse, status: number, errorCode: string): void {
  expect(response.status).toBe(status);
  expect(bodyOf(response)).toEqual({ error_code: errorCode, message: expect.any(String) });
}

/** A key as a URL path: each segment percent-encoded, `/` kept. */
export function keyPath(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}
