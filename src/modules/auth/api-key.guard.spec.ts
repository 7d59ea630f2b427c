import { jest } from '@jest/globals';
import { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Public } from '../../common/decorators/public.decorator.js';
import { UnauthorizedError } from '../../common/errors.js';
import { serverConfig } from '../../config/load-config.js';
import type { ServerConfig } from '../../config/server-config.js';
import { ApiKeyGuard } from './api-key.guard.js';
import { BasicStrategy } from './basic.strategy.js';
import { BearerStrategy } from './bearer.strategy.js';

const KEYS = ['key-alpha', 'key-beta'];

class SomeController {
  protected(): string {
    return 'secret';
  }

  @Public()
  health(): string {
    return 'ok';
  }
}

@Public()
class PublicController {
  docs(): string {
    return 'docs';
  }
}

interface FakeRequest {
  url?: string;
  originalUrl?: string;
  headers: Record<string, string>;
  query: Record<string, string>;
  body?: unknown;
  user?: unknown;
}

function contextFor(
  handler: () => unknown,
  controller: new () => unknown,
  headers: Record<string, string> = {},
  url = '/api/v1/experiments',
): { context: ExecutionContext; request: FakeRequest } {
  const request: FakeRequest = { url, originalUrl: url, headers, query: {} };
  const response = { setHeader: jest.fn(), end: jest.fn(), statusCode: 200 };
  const context = {
    getHandler: () => handler,
    getClass: () => controller,
    getType: () => 'http',
    getArgs: () => [request, response],
    getArgByIndex: (index: number) => [request, response][index],
    switchToHttp: () => ({ getRequest: () => request, getResponse: () => response, getNext: () => undefined }),
    switchToRpc: () => {
      throw new Error('not rpc');
    },
    switchToWs: () => {
      throw new Error('not ws');
    },
  } as unknown as ExecutionContext;
  return { context, request };
}

function guardWith(config: ServerConfig, reflector: Reflector = new Reflector()): ApiKeyGuard {
  // Registers the "bearer" and "basic" strategies with passport, as the AuthModule does.
  new BearerStrategy(config);
  new BasicStrategy(config);
  return new ApiKeyGuard(reflector, config);
}

const apiKeyConfig = serverConfig({ authType: 'api_key', apiKeys: KEYS });
const openConfig = serverConfig({ authType: 'none' });

describe('ApiKeyGuard with --auth-type none', () => {
  it('allows every route without a key, without even looking at route metadata', async () => {
    const reflector = new Reflector();
    const lookup = jest.spyOn(reflector, 'getAllAndOverride');
    const guard = guardWith(openConfig, reflector);
    const { context, request } = contextFor(SomeController.prototype.protected, SomeController);
    await expect(Promise.resolve(guard.canActivate(context))).resolves.toBe(true);
    expect(lookup).not.toHaveBeenCalled();
    expect(request.user).toBeUndefined();
  });
});

describe('ApiKeyGuard with --auth-type api_key', () => {
  it('allows a @Public() route without a key', async () => {
    const guard = guardWith(apiKeyConfig);
    const { context } = contextFor(SomeController.prototype.health, SomeController);
    await expect(Promise.resolve(guard.canActivate(context))).resolves.toBe(true);
  });

  it('allows every route of a @Public() controller without a key', async () => {
    const guard = guardWith(apiKeyConfig);
    const { context } = contextFor(PublicController.prototype.docs, PublicController);
    await expect(Promise.resolve(guard.canActivate(context))).resolves.toBe(true);
  });

  it('reads the public flag from the handler and the class', async () => {
    const reflector = new Reflector();
    const lookup = jest.spyOn(reflector, 'getAllAndOverride');
    const guard = guardWith(apiKeyConfig, reflector);
    const { context } = contextFor(SomeController.prototype.health, SomeController);
    await guard.canActivate(context);
    expect(lookup).toHaveBeenCalledWith(expect.any(String), [SomeController.prototype.health, SomeController]);
  });

  it('refuses a protected route without an Authorization header with UnauthorizedError', async () => {
    const guard = guardWith(apiKeyConfig);
    const { context, request } = contextFor(SomeController.prototype.protected, SomeController);
    await expect(guard.canActivate(context)).rejects.toBeInstanceOf(UnauthorizedError);
    expect(request.user).toBeUndefined();
  });

  it.each([
    ['a wrong key', 'Bearer not-a-key'],
    ['a prefix of a key', 'Bearer key-alph'],
    ['a key under another scheme', 'Basic key-alpha'],
    ['a bare key without a scheme', 'key-alpha'],
    ['an empty bearer', 'Bearer '],
  ])('refuses %s with UnauthorizedError (401), never echoing the presented key', async (_what, authorization) => {
    const guard = guardWith(apiKeyConfig);
    const { context } = contextFor(SomeController.prototype.protected, SomeController, { authorization });
    let caught: unknown;
    try {
      await guard.canActivate(context);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(UnauthorizedError);
    expect((caught as UnauthorizedError).status).toBe(401);
    expect((caught as UnauthorizedError).code).toBe('UNAUTHORIZED');
    expect((caught as UnauthorizedError).message).not.toContain(authorization.replace(/^\w+ /, '') || '\u0000');
  });

  it.each(KEYS)('allows a protected route with the valid key %s and records a principal without the key', async (key) => {
    const guard = guardWith(apiKeyConfig);
    const { context, request } = contextFor(SomeController.prototype.protected, SomeController, { authorization: `Bearer ${key}` });
    await expect(guard.canActivate(context)).resolves.toBe(true);
    expect(request.user).toEqual({ kind: 'api_key' });
    expect(JSON.stringify(request.user)).not.toContain(key);
  });

  const basic = (credentials: string): string => `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`;

  it.each([
    ['a user name', 'mlflow-user:key-alpha'],
    ['an empty user name', ':key-beta'],
    ['a user name with spaces', 'Ada Lovelace:key-alpha'],
  ])('allows HTTP Basic with a valid key as the password and %s', async (_what, credentials) => {
    const guard = guardWith(apiKeyConfig);
    const { context, request } = contextFor(SomeController.prototype.protected, SomeController, { authorization: basic(credentials) });
    await expect(guard.canActivate(context)).resolves.toBe(true);
    expect(request.user).toEqual({ kind: 'api_key' });
  });

  it.each([
    ['a wrong password', basic('user:not-a-key')],
    ['the key as the user name', basic('key-alpha:wrong')],
    ['a valid key followed by a colon and more (RFC 7617: the password runs to the end)', basic('user:key-alpha:extra')],
    ['two valid keys joined by a colon', basic('key-alpha:key-beta:')],
    ['an empty password', basic('user:')],
    ['credentials without a colon', basic('key-alpha')],
    ['a scheme that merely contains "basic"', `XBasic ${Buffer.from('user:key-alpha').toString('base64')}`],
  ])('refuses HTTP Basic with %s', async (_what, authorization) => {
    const guard = guardWith(apiKeyConfig);
    const { context, request } = contextFor(SomeController.prototype.protected, SomeController, { authorization });
    await expect(guard.canActivate(context)).rejects.toBeInstanceOf(UnauthorizedError);
    expect(request.user).toBeUndefined();
  });

  it('accepts the scheme in any case', async () => {
    const guard = guardWith(apiKeyConfig);
    const { context } = contextFor(SomeController.prototype.protected, SomeController, { authorization: 'bearer key-beta' });
    await expect(guard.canActivate(context)).resolves.toBe(true);
  });
});

describe('ApiKeyGuard and --metrics-public', () => {
  it('allows /metrics without a key when metricsPublic is set', async () => {
    const guard = guardWith(serverConfig({ authType: 'api_key', apiKeys: KEYS, metricsPublic: true }));
    const { context } = contextFor(SomeController.prototype.protected, SomeController, {}, '/metrics');
    await expect(Promise.resolve(guard.canActivate(context))).resolves.toBe(true);
  });

  it('refuses /metrics without a key when metricsPublic is not set', async () => {
    const guard = guardWith(apiKeyConfig);
    const { context } = contextFor(SomeController.prototype.protected, SomeController, {}, '/metrics');
    await expect(guard.canActivate(context)).rejects.toBeInstanceOf(UnauthorizedError);
  });

  it('refuses every other path without a key even when metricsPublic is set', async () => {
    const guard = guardWith(serverConfig({ authType: 'api_key', apiKeys: KEYS, metricsPublic: true }));
    const { context } = contextFor(SomeController.prototype.protected, SomeController, {}, '/api/v1/runs/run-1/metrics');
    await expect(guard.canActivate(context)).rejects.toBeInstanceOf(UnauthorizedError);
  });
});

describe('ApiKeyGuard.handleRequest', () => {
  const guard = guardWith(apiKeyConfig);

  it('returns the user when authentication succeeded', () => {
    const user = { kind: 'api_key' as const };
    expect(guard.handleRequest(null, user)).toBe(user);
  });

  it('throws UnauthorizedError, with the standard message, when there is no user', () => {
    expect(() => guard.handleRequest(null, false)).toThrow(UnauthorizedError);
    expect(() => guard.handleRequest(undefined, false)).toThrow('missing or invalid API key: send "Authorization: Bearer <key>"');
  });

  it('throws UnauthorizedError rather than the strategy error, hiding its details', () => {
    const strategyError = new Error('database of keys at /etc/keys unreadable');
    let caught: unknown;
    try {
      guard.handleRequest(strategyError, { kind: 'api_key' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(UnauthorizedError);
    expect((caught as Error).message).not.toContain('/etc/keys');
  });
});
