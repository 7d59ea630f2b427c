import { ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { IS_PUBLIC } from '../../common/decorators/public.decorator.js';
import { UnauthorizedError } from '../../common/errors.js';
import { SERVER_CONFIG } from '../../config/config.module.js';
import type { ServerConfig } from '../../config/server-config.js';
import type { ApiKeyPrincipal } from './bearer.strategy.js';
import { isPublicPath } from './public-paths.js';

function requestPath(context: ExecutionContext): string {
  const request = context.switchToHttp().getRequest<{ originalUrl?: string; url?: string }>();
  return request.originalUrl ?? request.url ?? '';
}

/**
 * Global guard: with `--auth-type api_key` every route needs a valid key unless marked
 * `@Public()` (health, docs) or opened by configuration (`isPublicPath`: /metrics with
 * `--metrics-public`); with `none` everything is open. The key comes as a Bearer token,
 * or as the password of HTTP Basic (how MLflow clients send MLFLOW_TRACKING_PASSWORD).
 */
@Injectable()
export class ApiKeyGuard extends AuthGuard(['bearer', 'basic']) {
  constructor(
    private readonly reflector: Reflector,
    @Inject(SERVER_CONFIG) private readonly config: ServerConfig,
  ) {
    super({ session: false });
  }

  override canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (this.config.authType === 'none') {
      return true;
    }
    const isPublic = this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    if (isPublic || isPublicPath(requestPath(context), this.config)) {
      return true;
    }
    return super.canActivate(context) as Promise<boolean>;
  }

  override handleRequest<TUser = ApiKeyPrincipal>(error: unknown, user: TUser | false): TUser {
    if (error || !user) {
      throw new UnauthorizedError();
    }
    return user;
  }
}
