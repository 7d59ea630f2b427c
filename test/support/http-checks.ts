import type supertest from 'supertest';

/** RFC 3339 in UTC with a `Z` and milliseconds, as every timestamp of the API is written. */
export const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
/** Public ids: a prefix and 128 random bits in lowercase hex. */
export const EXPERIMENT_ID = /^exp-[0-9a-f]{32}$/;
export const RUN_ID = /^run-[0-9a-f]{32}$/;

interface AnyResponse {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

/** Asserts the seed's error envelope, exactly: `{"error":{"code","message"}}` and nothing else. */
export function expectError(response: AnyResponse, status: number, code: string, message: string | RegExp): void {
  expect({ status: response.status, body: response.body }).toEqual({
    status,
    body: { error: { code, message: typeof message === 'string' ? message : expect.stringMatching(message) } },
  });
  expect(response.headers['content-type']).toMatch(/^application\/json/);
}

/** Asserts `text` is an RFC 3339 UTC time within [from, to] (epoch milliseconds, inclusive). */
export function expectTimeWithin(text: unknown, from: number, to: number): void {
  expect(text).toEqual(expect.stringMatching(RFC3339_UTC));
  const ms = Date.parse(text as string);
  expect(ms).toBeGreaterThanOrEqual(from);
  expect(ms).toBeLessThanOrEqual(to);
}

/** A random id in the server's format that no resource has. */
export function unknownId(prefix: 'exp' | 'run'): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(Math.random() * 16).toString(16)).join('');
  return `${prefix}-${hex}`;
}

/**
 * Wraps a supertest agent factory so that every response it receives is recorded with its
 * x-request-id; `takeMissing()` gives the requests answered without one since it was last called
 * (so a test that breaks the header fails alone, not every test after it).
 */
export function requestIdRecorder(http: () => supertest.Agent): {
  http: () => supertest.Agent;
  seen: () => number;
  takeMissing: () => string[];
} {
  let seen = 0;
  const missing: string[] = [];
  return {
    http: () =>
      http().on(
        'response',
        (response: { status: number; headers: Record<string, string | undefined>; req?: { method?: string; path?: string } }) => {
          seen += 1;
          const id = response.headers['x-request-id'];
          if (typeof id !== 'string' || id.length === 0) {
            missing.push(`${response.req?.method ?? '?'} ${response.req?.path ?? '?'} → ${response.status}`);
          }
        },
      ),
    seen: () => seen,
    takeMissing: () => missing.splice(0, missing.length),
  };
}
