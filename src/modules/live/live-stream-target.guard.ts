import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { LiveEventsService } from './live-events.service.js';

/**
 * Answers a stream of an unknown run or experiment with the usual 404 envelope. Not done in the
 * handler: Nest commits an SSE response's 200 and headers one tick after an async handler
 * starts when an interceptor wraps it (IdempotencyInterceptor wraps every route), so a failed
 * lookup that takes longer, as on PostgreSQL, would become an `event: error` in a 200 stream.
 * Guards run, and their errors reach the exception filter, before anything is sent.
 */
@Injectable()
export class LiveStreamTargetGuard implements CanActivate {
  constructor(private readonly live: LiveEventsService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const { params } = context.switchToHttp().getRequest<{ params: Record<string, string | undefined> }>();
    if (params.runId !== undefined) {
      await this.live.requireRun(params.runId);
    }
    if (params.experimentId !== undefined) {
      await this.live.requireExperiment(params.experimentId);
    }
    return true;
  }
}
