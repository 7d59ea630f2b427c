import { CallHandler, ExecutionContext, HttpStatus, Injectable, NestInterceptor } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants.js';
import { HttpAdapterHost, Reflector } from '@nestjs/core';
import type { IncomingMessage } from 'node:http';
import { from, lastValueFrom, map, Observable } from 'rxjs';
import { isRawUploadRequest } from '../artifacts/raw-upload-routes.js';
import { IdempotencyService } from './idempotency.service.js';

type RequestLike = IncomingMessage & { body?: unknown; originalUrl?: string };

/** Writes with a JSON body (or none). Uploads are idempotent by content and are not held in a transaction. */
function isJsonWrite(request: RequestLike): boolean {
  if (request.method !== 'POST' && request.method !== 'PUT' && request.method !== 'PATCH' && request.method !== 'DELETE') {
    return false;
  }
  if (isRawUploadRequest(request.method, request.originalUrl ?? request.url)) {
    return false;
  }
  const type = request.headers['content-type'];
  return type === undefined || /^application\/([\w.+-]+\+)?json\b/i.test(type);
}

/**
 * Every write that carries an `Idempotency-Key` header goes through IdempotencyService: a
 * retried request gets the first one's stored response (with `Idempotent-Replayed: true`)
 * instead of being applied twice.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    private readonly idempotency: IdempotencyService,
    private readonly reflector: Reflector,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const request = http.getRequest<RequestLike>();
    const header = request.headers['idempotency-key'];
    if (context.getType() !== 'http' || header === undefined || !isJsonWrite(request)) {
      return next.handle();
    }
    const successStatus =
      this.reflector.get<number | undefined>(HTTP_CODE_METADATA, context.getHandler()) ??
      (request.method === 'POST' ? HttpStatus.CREATED : HttpStatus.OK);
    const outcome = this.idempotency.run(
      {
        key: Array.isArray(header) ? header.join(',') : header,
        method: request.method ?? 'POST',
        url: request.originalUrl ?? request.url ?? '',
        body: request.body,
        successStatus,
      },
      () => lastValueFrom(next.handle(), { defaultValue: undefined }),
    );
    return from(outcome).pipe(
      map((result) => {
        if (result.replayed) {
          const response = http.getResponse<unknown>();
          this.adapterHost.httpAdapter.status(response, result.status);
          this.adapterHost.httpAdapter.setHeader(response, 'Idempotent-Replayed', 'true');
        }
        return result.body;
      }),
    );
  }
}
