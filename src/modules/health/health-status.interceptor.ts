import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { Observable, tap } from 'rxjs';
import { HealthResponseDto } from './dto/health.dto.js';

/** Answers 503 when the check is unhealthy, keeping the health body (not the error envelope). */
@Injectable()
export class HealthStatusInterceptor implements NestInterceptor<HealthResponseDto, HealthResponseDto> {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  intercept(context: ExecutionContext, next: CallHandler<HealthResponseDto>): Observable<HealthResponseDto> {
    return next.handle().pipe(
      tap((health) => {
        if (health.status !== 'healthy') {
          this.adapterHost.httpAdapter.status(context.switchToHttp().getResponse(), 503);
        }
      }),
    );
  }
}
