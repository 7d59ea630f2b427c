import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import basicAuth from 'basic-auth';
import type { IncomingMessage } from 'node:http';
import passport from 'passport';
import { SERVER_CONFIG } from '../../config/config.module.js';
import type { ServerConfig } from '../../config/server-config.js';
import { ApiKeyVerifier } from './api-key.verifier.js';
import type { ApiKeyPrincipal } from './bearer.strategy.js';

type BasicVerify = (user: string, password: string, done: (error: unknown, principal?: ApiKeyPrincipal | false) => void) => void;

/**
 * A passport strategy for `Authorization: Basic <base64(user:password)>`, parsed by jshttp's
 * basic-auth as RFC 7617 says: the scheme is exactly "Basic" (any case), the user name ends at
 * the first colon and the password is everything after it, colons included. (passport-http
 * cut the password at a second colon, so `user:<key>:anything` passed, and took any scheme
 * containing "basic".)
 */
export class HttpBasicStrategy extends passport.Strategy {
  override name = 'basic';

  constructor(private readonly verify: BasicVerify) {
    super();
  }

  override authenticate(request: IncomingMessage): void {
    const header = request.headers.authorization;
    const credentials = typeof header === 'string' ? basicAuth.parse(header) : undefined;
    if (!credentials) {
      this.fail('Basic realm="entrenar"', 401);
      return;
    }
    this.verify(credentials.name, credentials.pass, (error, principal) => {
      if (error) {
        this.error(error);
      } else if (principal) {
        this.success(principal);
      } else {
        this.fail('Basic realm="entrenar"', 401);
      }
    });
  }
}

/**
 * `Authorization: Basic <user:key>` with an API key as the password, for MLflow clients
 * configured with MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD. The user name, empty or
 * not, is ignored.
 */
@Injectable()
export class BasicStrategy extends PassportStrategy(HttpBasicStrategy, 'basic') {
  private readonly verifier: ApiKeyVerifier;

  constructor(@Inject(SERVER_CONFIG) config: ServerConfig) {
    super();
    this.verifier = new ApiKeyVerifier(config.apiKeys);
  }

  validate(_user: string, password: string): ApiKeyPrincipal | false {
    return this.verifier.verify(password) ? { kind: 'api_key' } : false;
  }
}
