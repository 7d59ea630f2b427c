import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-http-bearer';
import { SERVER_CONFIG } from '../../config/config.module.js';
import type { ServerConfig } from '../../config/server-config.js';
import { ApiKeyVerifier } from './api-key.verifier.js';

/** What a request authenticated with: never the key itself. */
export interface ApiKeyPrincipal {
  kind: 'api_key';
}

/** passport-http-bearer reads `Authorization: Bearer <key>`; we check the key. */
@Injectable()
export class BearerStrategy extends PassportStrategy(Strategy, 'bearer') {
  private readonly verifier: ApiKeyVerifier;

  constructor(@Inject(SERVER_CONFIG) config: ServerConfig) {
    super();
    this.verifier = new ApiKeyVerifier(config.apiKeys);
  }

  validate(token: string): ApiKeyPrincipal | false {
    return this.verifier.verify(token) ? { kind: 'api_key' } : false;
  }
}
