import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { IncomingMessage } from 'node:http';
import { Strategy } from 'passport-http-bearer';
import { SERVER_CONFIG } from '../../config/config.module.js';
import type { ServerConfig } from '../../config/server-config.js';
import { headerBearerToken } from './api-key-credentials.js';
import { ApiKeyVerifier } from './api-key.verifier.js';

/** What a request authenticated with: never the key itself. */
export interface ApiKeyPrincipal {
  kind: 'api_key';
}

/**
 * passport-http-bearer reads `Authorization: Bearer <key>`; we check the key. The strategy
 * also takes an `access_token` query or body parameter (RFC 6750 §2.2–2.3); we refuse those,
 * because a key in a URL ends up in proxy logs and browser history.
 */
@Injectable()
export class BearerStrategy extends PassportStrategy(Strategy, 'bearer') {
  private readonly verifier: ApiKeyVerifier;

  constructor(@Inject(SERVER_CONFIG) config: ServerConfig) {
    super({ passReqToCallback: true });
    this.verifier = new ApiKeyVerifier(config.apiKeys);
  }

  validate(request: IncomingMessage, token: unknown): ApiKeyPrincipal | false {
    if (typeof token !== 'string' || headerBearerToken(request.headers.authorization) !== token) {
      return false;
    }
    return this.verifier.verify(token) ? { kind: 'api_key' } : false;
  }
}
