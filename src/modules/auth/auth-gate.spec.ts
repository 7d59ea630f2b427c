import type { IncomingMessage, ServerResponse } from 'node:http';
import { TooManyRequestsError, UnauthorizedError } from '../../common/errors.js';
import { serverConfig } from '../../config/load-config.js';
import type { ServerConfig } from '../../config/server-config.js';
import { AuthGate } from './auth-gate.js';
import { BasicStrategy } from './basic.strategy.js';
import { BearerStrategy } from './bearer.strategy.js';

const KEYS = ['key-alpha-0123456789', 'key-beta-0123456789'];

function gateWith(overrides: Partial<ServerConfig> = {}): AuthGate {
  const config = serverConfig({ authType: 'api_key', apiKeys: KEYS, ...overrides });
  // Constructing the strategies registers "bearer" and "basic" with passport, as the AuthModule does.
  return new AuthGate(config, new BearerStrategy(config), new BasicStrategy(config));
}

interface FakeRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  socket: { remoteAddress: string };
  connection: { remoteAddress: string };
  user?: unknown;
}

function requestTo(url: string, headers: Record<string, string> = {}, remoteAddress = '192.0.2.10'): FakeRequest {
  return { method: 'GET', url, headers, socket: { remoteAddress }, connection: { remoteAddress } };
}

const response = {} as ServerResponse;
const admit = (gate: AuthGate, request: FakeRequest) => gate.admit(request as unknown as IncomingMessage, response);
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const basic = (credentials: string) => ({ authorization: `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}` });

describe('AuthGate with --auth-type none', () => {
  it('admits every request without a key', async () => {
    const config = serverConfig({ authType: 'none' });
    const gate = new AuthGate(config, new BearerStrategy(config), new BasicStrategy(config));
    await expect(admit(gate, requestTo('/api/v1/experiments'))).resolves.toBeUndefined();
    await expect(admit(gate, requestTo('/no/such/route'))).resolves.toBeUndefined();
  });
});

describe('AuthGate with --auth-type api_key', () => {
  it.each([
    '/health',
    '/health/',
    '/health/live',
    '/health/ready',
    '/docs',
    '/docs/',
    '/docs/swagger-ui.css',
    '/docs-json',
    '/health?verbose=1',
  ])('admits the public path %s without a key', async (url) => {
    await expect(admit(gateWith(), requestTo(url))).resolves.toBeUndefined();
  });

  it.each([
    '/api/v1/experiments',
    '/no/such/route',
    '/index.htm',
    '/assets/',
    '/healthz',
    '/health/live/extra',
    '/HEALTH',
    '/docsx',
    '/api/2.0/mlflow/runs/log-metric',
  ])('refuses %s without a key, known route or not', async (url) => {
    await expect(admit(gateWith(), requestTo(url))).rejects.toBeInstanceOf(UnauthorizedError);
  });

  it('admits GET / (the dashboard page asks for the key itself) but refuses other methods on it', async () => {
    await expect(admit(gateWith(), requestTo('/'))).resolves.toBeUndefined();
    await expect(admit(gateWith(), { ...requestTo('/'), method: 'POST' })).rejects.toBeInstanceOf(UnauthorizedError);
  });

  it.each([
    ['a wrong key', bearer('not-a-key-0123456789')],
    ['a prefix of a key', bearer('key-alpha-012345678')],
    ['a key under an unknown scheme', { authorization: 'Token key-alpha-0123456789' }],
    ['a bare key without a scheme', { authorization: 'key-alpha-0123456789' }],
    ['an empty bearer', { authorization: 'Bearer ' }],
    ['Basic with a wrong password', basic('user:wrong-password-0123')],
    ['Basic with the key as the user name', basic('key-alpha-0123456789:x')],
  ])('refuses %s with UnauthorizedError, never echoing what was presented', async (_what, headers) => {
    const request = requestTo('/api/v1/experiments', headers);
    const refusal = await admit(gateWith(), request).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(UnauthorizedError);
    expect((refusal as Error).message).not.toContain('0123');
    expect(request.user).toBeUndefined();
  });

  it.each([
    ['Bearer with the first key', bearer(KEYS[0])],
    ['Bearer with the second key, scheme in lower case', { authorization: `bearer ${KEYS[1]}` }],
    ['Basic with a key as the password', basic(`mlflow-user:${KEYS[0]}`)],
    ['Basic with an empty user name', basic(`:${KEYS[1]}`)],
  ])('admits %s and records a principal without the key', async (_what, headers) => {
    const request = requestTo('/api/v1/experiments', headers);
    await expect(admit(gateWith(), request)).resolves.toBeUndefined();
    expect(request.user).toEqual({ kind: 'api_key' });
  });

  it('refuses a key passed in the query string (it would end up in logs), even a valid one', async () => {
    await expect(admit(gateWith(), requestTo(`/api/v1/experiments?access_token=${KEYS[0]}`))).rejects.toBeInstanceOf(UnauthorizedError);
  });
});

describe('AuthGate failure throttling', () => {
  it('answers 401 up to the limit, then 429 with Retry-After for that address only, valid key or not', async () => {
    const gate = gateWith({ authFailureLimit: 3 });
    for (let attempt = 0; attempt < 3; attempt++) {
      await expect(admit(gate, requestTo('/api/v1/experiments', bearer(`guess-${attempt}-0123456789`)))).rejects.toBeInstanceOf(
        UnauthorizedError,
      );
    }
    const blocked = await admit(gate, requestTo('/api/v1/experiments', bearer(KEYS[0]))).catch((error: unknown) => error);
    expect(blocked).toBeInstanceOf(TooManyRequestsError);
    expect((blocked as TooManyRequestsError).retryAfterSecs).toBeGreaterThanOrEqual(1);
    expect((blocked as TooManyRequestsError).retryAfterSecs).toBeLessThanOrEqual(60);
    expect((blocked as TooManyRequestsError).status).toBe(429);
    // Another address is not affected, and public paths stay open to the blocked one.
    await expect(admit(gate, requestTo('/api/v1/experiments', bearer(KEYS[0]), '192.0.2.99'))).resolves.toBeUndefined();
    await expect(admit(gate, requestTo('/health'))).resolves.toBeUndefined();
  });

  it('does not count successful authentications', async () => {
    const gate = gateWith({ authFailureLimit: 2 });
    for (let attempt = 0; attempt < 10; attempt++) {
      await expect(admit(gate, requestTo('/api/v1/experiments', bearer(KEYS[0])))).resolves.toBeUndefined();
    }
    await expect(admit(gate, requestTo('/api/v1/experiments'))).rejects.toBeInstanceOf(UnauthorizedError);
  });

  it('never throttles with --auth-failure-limit 0', async () => {
    const gate = gateWith({ authFailureLimit: 0 });
    for (let attempt = 0; attempt < 50; attempt++) {
      await expect(admit(gate, requestTo('/api/v1/experiments'))).rejects.toBeInstanceOf(UnauthorizedError);
    }
  });

  it('counts per forwarded client behind a trusted proxy, and per socket peer otherwise', async () => {
    const behindProxy = gateWith({ authFailureLimit: 1, trustProxy: ['loopback'] });
    const viaProxy = (client: string) => requestTo('/api/v1/experiments', { 'x-forwarded-for': client }, '127.0.0.1');
    await expect(admit(behindProxy, viaProxy('198.51.100.1'))).rejects.toBeInstanceOf(UnauthorizedError);
    await expect(admit(behindProxy, viaProxy('198.51.100.1'))).rejects.toBeInstanceOf(TooManyRequestsError);
    await expect(admit(behindProxy, viaProxy('198.51.100.2'))).rejects.toBeInstanceOf(UnauthorizedError);
    expect(behindProxy.clientAddress(viaProxy('198.51.100.7') as unknown as IncomingMessage)).toBe('198.51.100.7');

    const direct = gateWith({ authFailureLimit: 1 });
    expect(direct.clientAddress(viaProxy('198.51.100.7') as unknown as IncomingMessage)).toBe('127.0.0.1');
    // An untrusted peer's X-Forwarded-For is ignored: it cannot dodge the limit by inventing clients.
    await expect(admit(direct, viaProxy('198.51.100.3'))).rejects.toBeInstanceOf(UnauthorizedError);
    await expect(admit(direct, viaProxy('198.51.100.4'))).rejects.toBeInstanceOf(TooManyRequestsError);
  });
});
