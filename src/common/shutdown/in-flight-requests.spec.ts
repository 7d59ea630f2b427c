import http, { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describeInFlight, InFlightRequest, InFlightRequests } from './in-flight-requests.js';

/** A real server whose handler holds every response until release() is called. */
async function holdingServer() {
  const held: ServerResponse[] = [];
  const server = http.createServer((request: IncomingMessage, response: ServerResponse) => {
    // Stand-in for Express routing, which rewrites request.url on its way.
    request.url = '/rewritten';
    held.push(response);
  });
  const inFlight = InFlightRequests.watch(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    inFlight,
    held,
    port,
    release: () => held.splice(0).forEach((response) => response.end('done')),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('InFlightRequests', () => {
  it('lists each request from its arrival until it is answered, by method and path without the query string', async () => {
    const server = await holdingServer();
    const answered = fetch(`http://127.0.0.1:${server.port}/api/v1/runs/r1/metrics?token=secret`).then((response) => response.text());
    await until(() => server.held.length === 1);

    expect(server.inFlight.size).toBe(1);
    expect(server.inFlight.list()).toEqual([
      { method: 'GET', path: '/api/v1/runs/r1/metrics', receivingBody: false, ageMs: expect.any(Number) },
    ]);

    server.release();
    expect(await answered).toBe('done');
    await until(() => server.inFlight.size === 0);
    expect(server.inFlight.list()).toEqual([]);
    await server.close();
  });

  it('marks a request whose body is still arriving as an upload in progress, and forgets it when the client goes away', async () => {
    const server = await holdingServer();
    const upload = http.request({
      port: server.port,
      host: '127.0.0.1',
      method: 'PUT',
      path: '/upload',
      headers: { 'Content-Length': '100' },
    });
    upload.on('error', () => undefined);
    upload.write('part of the body');
    await until(() => server.held.length === 1);

    expect(server.inFlight.list()).toEqual([expect.objectContaining({ method: 'PUT', path: '/upload', receivingBody: true })]);

    upload.destroy();
    await until(() => server.inFlight.size === 0);
    server.held.splice(0);
    await server.close();
  });

  it('shows the request id the request log gave it', () => {
    const inFlight = new InFlightRequests();
    const request = Object.assign(new IncomingMessage(null as never), { method: 'GET', url: '/health', id: 'req-7', complete: true });
    inFlight.track(request, new ServerResponse(request), 1000);

    expect(inFlight.list(3500)).toEqual([{ id: 'req-7', method: 'GET', path: '/health', receivingBody: false, ageMs: 2500 }]);
  });
});

describe('describeInFlight', () => {
  const upload: InFlightRequest = {
    id: 'a1',
    method: 'PUT',
    path: '/api/v1/runs/r/artifacts/model.bin',
    receivingBody: true,
    ageMs: 14_960,
  };
  const read: InFlightRequest = { method: 'GET', path: '/api/v1/runs/r/metrics', receivingBody: false, ageMs: 250 };

  it('says how many requests and uploads, and which', () => {
    expect(describeInFlight([upload, read])).toBe(
      '2 requests in flight (1 upload in progress): PUT /api/v1/runs/r/artifacts/model.bin (upload still receiving its body, 15.0 s, request a1), GET /api/v1/runs/r/metrics (0.3 s)',
    );
    expect(describeInFlight([read])).toBe('1 request in flight (0 uploads in progress): GET /api/v1/runs/r/metrics (0.3 s)');
    expect(describeInFlight([])).toBe('0 requests in flight (0 uploads in progress)');
  });

  it('lists the first 20 and counts the rest', () => {
    const many = Array.from({ length: 25 }, (_, index) => ({ ...read, path: `/p${index}` }));
    const line = describeInFlight(many);
    expect(line).toMatch(/^25 requests in flight \(0 uploads in progress\): /);
    expect(line).toContain('GET /p19 (0.3 s)');
    expect(line).not.toContain('/p20');
    expect(line).toMatch(/, and 5 more$/);
  });
});
