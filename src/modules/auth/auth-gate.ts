import { Inject, Injectable } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import passport from 'passport';
import proxyAddr from 'proxy-addr';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { TooManyRequestsError, UnauthorizedError } from '../../common/errors.js';
import { SERVER_CONFIG } from '../../config/config.module.js';
import type { ServerConfig } from '../../config/server-config.js';
import { BasicStrategy } from './basic.strategy.js';
import { ApiKeyPrincipal, BearerStrategy } from './bearer.strategy.js';
import { isPublicRequest } from './public-paths.js';

/** The window failed authentications are counted in. */
const FAILURE_WINDOW_SECS = 60;

type GatedRequest = IncomingMessage & { user?: ApiKeyPrincipal };

/**
 * Authentication, done once per request and before anything else reads it: the HTTP bootstrap
 * calls `admit` ahead of routing and of any body parser (the hot write lane too), so a request
 * without a valid key is answered 401 having cost no body buffering, and an unknown path tells
 * a stranger nothing. The key is checked by the passport strategies (Bearer, or the password of
 * HTTP Basic). Failed attempts are counted per client address: past `--auth-failure-limit` in a
 * minute, that address is answered 429 with Retry-After, without its key even being looked at,
 * until the minute is over.
 */
@Injectable()
export class AuthGate {
  private readonly failures?: RateLimiterMemory;
  private readonly trusted?: (address: string, hop: number) => boolean;

  constructor(
    @Inject(SERVER_CONFIG) private readonly config: ServerConfig,
    // Injected so passport has both strategies registered before the first request.
    _bearer: BearerStrategy,
    _basic: BasicStrategy,
  ) {
    if (config.authType === 'api_key' && config.authFailureLimit > 0) {
      this.failures = new RateLimiterMemory({ points: config.authFailureLimit, duration: FAILURE_WINDOW_SECS });
    }
    if (config.trustProxy.length > 0) {
      this.trusted = proxyAddr.compile(config.trustProxy);
    }
  }

  /** Resolves when the request may go on; otherwise throws UnauthorizedError or TooManyRequestsError. */
  async admit(request: GatedRequest, response: ServerResponse): Promise<void> {
    if (this.config.authType === 'none' || isPublicRequest(request.method, request.url ?? '/', this.config)) {
      return;
    }
    const client = this.clientAddress(request);
    if (this.failures) {
      const counted = await this.failures.get(client);
      if (counted && counted.consumedPoints >= this.config.authFailureLimit) {
        throw tooMany(counted.msBeforeNext);
      }
    }
    const principal = await authenticate(request, response);
    if (principal) {
      request.user = principal;
      return;
    }
    if (this.failures) {
      // Rejects once over the limit; the next attempt is then refused above.
      await this.failures.consume(client).catch(() => undefined);
    }
    throw new UnauthorizedError();
  }

  /** The client's address: the socket's peer, or the first untrusted hop of X-Forwarded-For behind trusted proxies. */
  clientAddress(request: IncomingMessage): string {
    if (this.trusted) {
      return proxyAddr(request, this.trusted);
    }
    return request.socket.remoteAddress ?? 'unknown';
  }
}

function tooMany(msBeforeNext: number): TooManyRequestsError {
  const retryAfterSecs = Math.max(1, Math.ceil(msBeforeNext / 1000));
  return new TooManyRequestsError(`too many failed authentications from this address: try again in ${retryAfterSecs} s`, retryAfterSecs);
}

/** Runs the Bearer and Basic passport strategies on the request: the principal, or undefined. */
function authenticate(request: IncomingMessage, response: ServerResponse): Promise<ApiKeyPrincipal | undefined> {
  return new Promise((resolve, reject) => {
    const middleware = passport.authenticate(['bearer', 'basic'], { session: false }, (error: unknown, principal: unknown) => {
      if (error) {
        // A strategy failed for a reason of its own (never the key): refuse rather than explain.
        reject(new UnauthorizedError());
        return;
      }
      resolve(principal ? (principal as ApiKeyPrincipal) : undefined);
    }) as (request: IncomingMessage, response: ServerResponse, next: (error?: unknown) => void) => void;
    middleware(request, response, (error?: unknown) => (error ? reject(new UnauthorizedError()) : resolve(undefined)));
  });
}
