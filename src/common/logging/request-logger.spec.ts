import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger as PinoLogger } from 'pino';
import { logRequests, RequestObserver } from './request-logger.js';

interface Line {
  level: string;
  fields: { res: { status: number }; req: { path: string } };
  message: string;
}

/** A pino root that records what it is asked to log. */
function recordingLogger(lines: Line[]): PinoLogger {
  const record = (level: string) => (fields: Line['fields'], message: string) => lines.push({ level, fields, message });
  return { isLevelEnabled: () => true, info: record('info'), warn: record('warn'), error: record('error') } as unknown as PinoLogger;
}

/** A response whose stream state the test sets, as Node's would be at the event. */
class FakeResponse extends EventEmitter {
  statusCode = 200;
  writableEnded = false;
  writableFinished = false;
  headersSent = false;
  readonly headers = new Map<string, string>();
  setHeader(name: string, value: string): void {
    this.headers.set(name.toLowerCase(), value);
  }
  getHeader(name: string): string | undefined {
    return this.headers.get(name.toLowerCase());
  }
}

function handle(
  lines: Line[],
  observe?: RequestObserver,
  root = recordingLogger(lines),
): { request: IncomingMessage; response: FakeResponse; nextCalled: boolean } {
  const request = { url: '/api/v1/runs/run-1/artifacts/model.bin?token=secret', method: 'GET', headers: {} } as unknown as IncomingMessage;
  const response = new FakeResponse();
  let nextCalled = false;
  logRequests(root, observe)(request, response as unknown as ServerResponse, () => (nextCalled = true));
  return { request, response, nextCalled };
}

interface Observed {
  request: IncomingMessage;
  status: number;
  seconds: number;
}

describe('logRequests', () => {
  it('logs a finished answer once, with its status and the path without the query string', () => {
    const lines: Line[] = [];
    const { response, nextCalled } = handle(lines);
    expect(nextCalled).toBe(true);
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    response.statusCode = 404;
    response.writableEnded = true;
    response.writableFinished = true;
    response.emit('finish');
    response.emit('close');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'info',
      fields: { res: { status: 404 }, req: { path: '/api/v1/runs/run-1/artifacts/model.bin' } },
    });
    expect(lines[0].message).not.toContain('secret');
  });

  it('logs 499 when the client goes away before the answer was ended', () => {
    const lines: Line[] = [];
    const { response } = handle(lines);
    response.emit('close');
    expect(lines).toEqual([expect.objectContaining({ level: 'warn', fields: expect.objectContaining({ res: { status: 499 } }) })]);
    expect(lines[0].message).toContain('aborted by the client');
  });

  it('logs a live event stream the client closed at info, as its normal end, still counted as 499', () => {
    const lines: Line[] = [];
    const observed: number[] = [];
    const { response } = handle(lines, (_request, status) => observed.push(status));
    response.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    response.headersSent = true;
    response.emit('close');
    expect(lines).toEqual([expect.objectContaining({ level: 'info', fields: expect.objectContaining({ res: { status: 499 } }) })]);
    expect(lines[0].message).toContain('event stream closed by the client');
    expect(observed).toEqual([499]);
  });

  it('logs a download the client read to the end and hung up on at once as served, not aborted', () => {
    const lines: Line[] = [];
    const { response } = handle(lines);
    // Ended by the server; the socket closed before the last write callback ('finish').
    response.writableEnded = true;
    response.emit('close');
    expect(lines).toEqual([expect.objectContaining({ level: 'info', fields: expect.objectContaining({ res: { status: 200 } }) })]);
  });

  it('answers 5xx at error level, and 501 (an unsupported MLflow call) at warn', () => {
    const lines: Line[] = [];
    for (const status of [500, 501]) {
      const { response } = handle(lines);
      response.statusCode = status;
      response.writableEnded = true;
      response.writableFinished = true;
      response.emit('finish');
    }
    expect(lines.map((line) => line.level)).toEqual(['error', 'warn']);
  });

  it('tells the observer of each finished request once, with its status and duration in seconds', () => {
    const observed: Observed[] = [];
    const { request, response } = handle([], (request, status, seconds) => observed.push({ request, status, seconds }));
    expect(observed).toEqual([]);
    response.statusCode = 201;
    response.writableEnded = true;
    response.writableFinished = true;
    response.emit('finish');
    response.emit('close');
    expect(observed).toEqual([{ request, status: 201, seconds: expect.any(Number) }]);
    expect(observed[0].seconds).toBeGreaterThanOrEqual(0);
    expect(observed[0].seconds).toBeLessThan(60);
  });

  it('tells the observer 499 for a request the client abandoned', () => {
    const observed: number[] = [];
    const { response } = handle([], (_request, status) => observed.push(status));
    response.emit('close');
    expect(observed).toEqual([499]);
  });

  it('tells the observer even when the log level keeps the line out of the log', () => {
    const lines: Line[] = [];
    const silent = { ...recordingLogger(lines), isLevelEnabled: () => false } as unknown as PinoLogger;
    const observed: number[] = [];
    const { response } = handle(lines, (_request, status) => observed.push(status), silent);
    response.statusCode = 404;
    response.writableEnded = true;
    response.writableFinished = true;
    response.emit('finish');
    expect(lines).toEqual([]);
    expect(observed).toEqual([404]);
  });
});
