import { DomainError, InvalidRequestError, PayloadTooLargeError } from '../../../common/errors.js';
import { MetricPointInput, parseMetricBatch, parseMetricPoint } from './metric-input.js';

const NOW = Date.UTC(2024, 11, 5, 12, 0, 0);

function errorOf(action: () => unknown): DomainError {
  try {
    action();
  } catch (error) {
    if (error instanceof DomainError) {
      return error;
    }
    throw error;
  }
  throw new Error('expected a DomainError, but the input was accepted');
}

function point(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { key: 'loss', step: 3, value: 0.25, ...overrides };
}

describe('parseMetricPoint', () => {
  it('accepts a point and stamps it with `now` when it has no timestamp', () => {
    expect(parseMetricPoint(point(), 'body', NOW)).toEqual<MetricPointInput>({
      key: 'loss',
      step: 3,
      value: 0.25,
      timestamp: NOW,
      isNan: false,
    });
  });

  it.each([
    ['2024-12-05T10:30:00Z', Date.UTC(2024, 11, 5, 10, 30, 0)],
    ['2024-12-05T10:30:00.123Z', Date.UTC(2024, 11, 5, 10, 30, 0, 123)],
    ['2024-12-05T11:30:00+01:00', Date.UTC(2024, 11, 5, 10, 30, 0)],
    ['2024-12-05T05:00:00-05:30', Date.UTC(2024, 11, 5, 10, 30, 0)],
    ['1970-01-01T00:00:00Z', 0],
  ])('reads the RFC 3339 timestamp %s', (text, ms) => {
    expect(parseMetricPoint(point({ timestamp: text }), 'body', NOW).timestamp).toBe(ms);
  });

  it('reads a timestamp in integer milliseconds since the epoch', () => {
    expect(parseMetricPoint(point({ timestamp: 1733394600000 }), 'body', NOW).timestamp).toBe(1733394600000);
    expect(parseMetricPoint(point({ timestamp: 0 }), 'body', NOW).timestamp).toBe(0);
  });

  it.each([
    ['a date without a time', '2024-12-05'],
    ['a time without a zone', '2024-12-05T10:30:00'],
    ['a space instead of T', '2024-12-05 10:30:00Z'],
    ['an impossible month', '2024-13-05T10:30:00Z'],
    ['an impossible hour', '2024-12-05T25:00:00Z'],
    ['free text', 'yesterday'],
    ['a number in a string', '1733394600000'],
    ['a date before the epoch', '1969-12-31T23:59:59Z'],
  ])('refuses %s as timestamp (%s)', (_what, text) => {
    const error = errorOf(() => parseMetricPoint(point({ timestamp: text }), 'body', NOW));
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(error.message).toMatch(/^body\.timestamp: must be RFC 3339/);
  });

  it.each([
    ['30 February', '2024-02-30T00:00:00Z'],
    ['29 February of a common year', '2023-02-29T12:00:00Z'],
    ['31 April', '2024-04-31T00:00:00Z'],
    ['hour 24', '2024-12-05T24:00:00Z'],
  ])('refuses a timestamp on a day or hour that does not exist: %s (%s)', (_what, text) => {
    // RFC 3339 §5.7: the day must exist in its month, and time-hour is 00-23.
    const error = errorOf(() => parseMetricPoint(point({ timestamp: text }), 'body', NOW));
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(error.message).toMatch(/^body\.timestamp: /);
  });

  it.each([
    ['negative', -1],
    ['fractional', 1.5],
    ['unsafe', Number.MAX_SAFE_INTEGER + 2],
    ['infinite', Infinity],
  ])('refuses a %s number as timestamp', (_what, timestamp) => {
    expect(errorOf(() => parseMetricPoint(point({ timestamp }), 'body', NOW)).message).toMatch(/^body\.timestamp: /);
  });

  it.each([null, true, {}, []])('refuses timestamp %j of the wrong type', (timestamp) => {
    expect(errorOf(() => parseMetricPoint(point({ timestamp }), 'body', NOW)).message).toMatch(/^body\.timestamp: /);
  });

  it.each([
    ['an empty key', '', 'must not be empty'],
    ['a key of 251 characters', 'k'.repeat(251), 'at most 250 characters'],
    ['a number as key', 7, 'must be a string'],
    ['a key with forbidden characters', 'loss!', 'may contain only'],
    ['a key with a .. segment', 'a/../b', 'clean relative path'],
  ])('refuses %s', (_what, key, problem) => {
    const error = errorOf(() => parseMetricPoint(point({ key }), 'body', NOW));
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(error.message).toMatch(/^body\.key: /);
    expect(error.message).toContain(problem);
  });

  it('refuses a missing key', () => {
    expect(errorOf(() => parseMetricPoint({ step: 0, value: 1 }, 'body', NOW)).message).toMatch(/^body\.key: /);
  });

  it('accepts a key of exactly 250 characters and one with folders, spaces, dots and colons', () => {
    expect(parseMetricPoint(point({ key: 'k'.repeat(250) }), 'body', NOW).key).toHaveLength(250);
    expect(parseMetricPoint(point({ key: 'eval/top-1 acc:v2.0_x' }), 'body', NOW).key).toBe('eval/top-1 acc:v2.0_x');
  });

  it.each([
    ['negative', -1],
    ['fractional', 1.5],
    ['a string', '3'],
    ['null', null],
    ['missing', undefined],
    ['unsafe', 2 ** 53],
    ['NaN', NaN],
  ])('refuses a step that is %s', (_what, step) => {
    const raw = point({ step });
    if (step === undefined) {
      delete raw.step;
    }
    const error = errorOf(() => parseMetricPoint(raw, 'body', NOW));
    expect(error.message).toBe('body.step: must be an integer ≥ 0');
  });

  it('accepts step 0 and the largest safe integer', () => {
    expect(parseMetricPoint(point({ step: 0 }), 'body', NOW).step).toBe(0);
    expect(parseMetricPoint(point({ step: Number.MAX_SAFE_INTEGER }), 'body', NOW).step).toBe(Number.MAX_SAFE_INTEGER);
  });

  it.each([
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['-Infinity', -Infinity],
    ['a string', '0.5'],
    ['null', null],
    ['a boolean', true],
  ])('refuses a value that is %s', (_what, value) => {
    expect(errorOf(() => parseMetricPoint(point({ value }), 'body', NOW)).message).toBe('body.value: must be a finite number');
  });

  it('accepts negative, zero, fractional and huge finite values', () => {
    for (const value of [-3.5, 0, 1e-300, Number.MAX_VALUE]) {
      expect(parseMetricPoint(point({ value }), 'body', NOW).value).toBe(value);
    }
  });

  it('refuses an unknown field, naming it', () => {
    const error = errorOf(() => parseMetricPoint(point({ epoch: 2 }), 'body', NOW));
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(error.message).toBe('body.epoch: unknown field');
  });

  it.each([null, 'loss', 42, [], [point()]])('refuses %j, which is not an object', (raw) => {
    expect(errorOf(() => parseMetricPoint(raw, 'body', NOW)).message).toBe('body: must be an object with key, step and value');
  });
});

describe('parseMetricBatch', () => {
  it('accepts a batch and keeps the order and repeated steps of its points', () => {
    const points = parseMetricBatch(
      {
        metrics: [point({ step: 1, value: 1 }), point({ step: 1, value: 2 }), point({ key: 'acc', step: 0, value: 0.5, timestamp: 5 })],
      },
      10,
      NOW,
    );
    expect(points).toEqual([
      { key: 'loss', step: 1, value: 1, timestamp: NOW, isNan: false },
      { key: 'loss', step: 1, value: 2, timestamp: NOW, isNan: false },
      { key: 'acc', step: 0, value: 0.5, timestamp: 5, isNan: false },
    ]);
  });

  it('names the index of the first bad point', () => {
    const metrics = [point(), point(), point(), point({ step: -1 }), point({ value: 'x' })];
    const error = errorOf(() => parseMetricBatch({ metrics }, 100, NOW));
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(error.status).toBe(400);
    expect(error.message).toBe('metrics[3].step: must be an integer ≥ 0');
  });

  it('names the index and the field of an unknown field inside a point', () => {
    expect(errorOf(() => parseMetricBatch({ metrics: [point(), point({ stp: 1 })] }, 100, NOW)).message).toBe(
      'metrics[1].stp: unknown field',
    );
  });

  it('names the index of a point that is not an object', () => {
    expect(errorOf(() => parseMetricBatch({ metrics: [point(), 7] }, 100, NOW)).message).toBe(
      'metrics[1]: must be an object with key, step and value',
    );
  });

  it('refuses an unknown top-level field, naming it', () => {
    expect(errorOf(() => parseMetricBatch({ metrics: [point()], run_id: 'run-1' }, 100, NOW)).message).toBe('run_id: unknown field');
  });

  it.each([
    ['missing', {}],
    ['an object', { metrics: { 0: {} } }],
    ['null', { metrics: null }],
  ])('refuses metrics that are %s', (_what, body) => {
    expect(errorOf(() => parseMetricBatch(body, 100, NOW)).message).toBe('metrics: must be an array of points');
  });

  it.each([null, [], 'metrics', 3])('refuses a body %j that is not an object', (body) => {
    const error = errorOf(() => parseMetricBatch(body, 100, NOW));
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(error.message).toContain('body must be a JSON object');
  });

  it('accepts exactly the limit', () => {
    const metrics = Array.from({ length: 5 }, (_, step) => point({ step }));
    expect(parseMetricBatch({ metrics }, 5, NOW)).toHaveLength(5);
  });

  it('answers a batch above the limit with a 413 PAYLOAD_TOO_LARGE naming the count and the limit', () => {
    const metrics = Array.from({ length: 6 }, (_, step) => point({ step }));
    const error = errorOf(() => parseMetricBatch({ metrics }, 5, NOW));
    expect(error).toBeInstanceOf(PayloadTooLargeError);
    expect(error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(error.status).toBe(413);
    expect(error.message).toContain('6 points');
    expect(error.message).toContain('limit of 5');
  });

  it('checks the limit before the points, so an oversized batch is refused cheaply whatever it holds', () => {
    expect(errorOf(() => parseMetricBatch({ metrics: [{}, {}, {}] }, 2, NOW))).toBeInstanceOf(PayloadTooLargeError);
  });
});
