import { InvalidRequestError, PayloadTooLargeError } from '../../../common/errors.js';
import { parseRfc3339 } from '../../../common/time.js';
import { keyProblem } from '../../../common/validation.js';

/** A validated point, ready to store: the timestamp is resolved to epoch milliseconds. */
export interface MetricPointInput {
  key: string;
  step: number;
  value: number;
  timestamp: number;
  /** Always false here: /api/v1 takes finite values only (the MLflow API may store NaN). */
  isNan: boolean;
}

const FIELDS = new Set(['key', 'step', 'value', 'timestamp']);

function fail(path: string, problem: string): never {
  throw new InvalidRequestError(`${path}: ${problem}`);
}

/** `metrics[3].step`, or just `step` for a point that is the whole body. */
function at(path: string, field: string): string {
  return path === '' ? field : `${path}.${field}`;
}

/** Built only on failure: a path string per valid point would cost the hot path for nothing. */
function pointPath(path: string, index: number): string {
  return index < 0 ? path : `${path}[${index}]`;
}

/**
 * Checks one point by hand rather than with class-validator: batches of thousands of points are
 * the hot path, and this costs well under a microsecond per point. `path` and `index` name it in
 * an error (`metrics[3]`, or the path itself for index -1); `knownKeys` holds keys this request already
 * found valid, since a batch repeats a handful of keys many times.
 */
function checkPoint(raw: unknown, path: string, index: number, now: number, knownKeys?: Set<string>): MetricPointInput {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    const where = pointPath(path, index);
    fail(where === '' ? 'body' : where, 'must be an object with key, step and value');
  }
  const point = raw as Record<string, unknown>;
  for (const field in point) {
    if (!FIELDS.has(field)) {
      fail(at(pointPath(path, index), field), 'unknown field');
    }
  }
  const { key, step, value, timestamp } = point;
  if (!(typeof key === 'string' && knownKeys?.has(key))) {
    const badKey = keyProblem(key);
    if (badKey !== undefined) {
      fail(at(pointPath(path, index), 'key'), badKey);
    }
    knownKeys?.add(key as string);
  }
  if (typeof step !== 'number' || !Number.isSafeInteger(step) || step < 0) {
    fail(at(pointPath(path, index), 'step'), 'must be an integer ≥ 0');
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    fail(at(pointPath(path, index), 'value'), 'must be a finite number');
  }
  let ms = now;
  if (timestamp !== undefined) {
    if (typeof timestamp === 'number') {
      if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
        fail(at(pointPath(path, index), 'timestamp'), 'must be RFC 3339 text or integer milliseconds since the epoch');
      }
      ms = timestamp;
    } else if (typeof timestamp === 'string') {
      const parsed = parseRfc3339(timestamp);
      if (parsed === undefined || parsed < 0) {
        fail(
          at(pointPath(path, index), 'timestamp'),
          'must be RFC 3339 text (e.g. 2024-12-05T10:30:00Z) or integer milliseconds since the epoch',
        );
      }
      ms = parsed;
    } else {
      fail(at(pointPath(path, index), 'timestamp'), 'must be RFC 3339 text or integer milliseconds since the epoch');
    }
  }
  return { key: key as string, step, value, timestamp: ms, isNan: false };
}

/** One point; `path` names it in errors ('' when the point is the whole body). */
export function parseMetricPoint(raw: unknown, path: string, now: number): MetricPointInput {
  return checkPoint(raw, path, -1, now);
}

/** The body of POST /runs/{id}/metrics/batch: every point valid, or nothing is stored. */
export function parseMetricBatch(body: unknown, maxPoints: number, now: number): MetricPointInput[] {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new InvalidRequestError('body must be a JSON object {"metrics": [...]}');
  }
  const fields = Object.keys(body);
  const unknown = fields.find((field) => field !== 'metrics');
  if (unknown !== undefined) {
    fail(unknown, 'unknown field');
  }
  const metrics = (body as { metrics?: unknown }).metrics;
  if (!Array.isArray(metrics)) {
    fail('metrics', 'must be an array of points');
  }
  if (metrics.length > maxPoints) {
    throw new PayloadTooLargeError(`metrics: ${metrics.length} points is more than the limit of ${maxPoints} per batch; split it`);
  }
  const points = new Array<MetricPointInput>(metrics.length);
  const knownKeys = new Set<string>();
  for (let index = 0; index < metrics.length; index++) {
    points[index] = checkPoint(metrics[index], 'metrics', index, now, knownKeys);
  }
  return points;
}
