import { Controller, MessageEvent, Param, Sse, UseGuards } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Observable } from 'rxjs';
import { ApiError, ApiErrorResponses } from '../../common/decorators/api-error-responses.decorator.js';
import { LiveEventsService } from './live-events.service.js';
import { LiveStreamTargetGuard } from './live-stream-target.guard.js';

const STREAM_DESCRIPTION = [
  'A Server-Sent Events stream (`text/event-stream`) that stays open until the client or the server ends it.',
  '',
  '- `event: ready`, first, once the stream is listening: `data: {"run_id": "…"}` (run stream) or `{"experiment_id": "…"}` (experiment stream).',
  '- `event: change`, when runs change: `data: {"run_id", "experiment_id", "kinds", "metric_keys"?}`. `kinds` lists what changed',
  '  among `metrics` (points were logged), `params`, `tags`, `status` (status, end time or name), `artifacts` (uploaded or deleted),',
  '  `created` (the run was created or restored) and `deleted`. `metric_keys` names the metric keys that got points; absent, any key may have.',
  '  Changes are merged: at most one event per run every 250 ms, sent within about 250 ms of the change.',
  '- `: heartbeat`, a comment every 15 s, so proxies keep the connection and clients can tell it is alive.',
  '',
  'Events say what changed, not the new values: read those from the other routes. After a reconnect, read again what the page shows,',
  'as changes made while it was disconnected are not replayed.',
].join('\n');

/** The 200 answer's content, its example starting as a stream for `ready` starts. */
function eventStream(ready: object) {
  return {
    'text/event-stream': {
      schema: { type: 'string' as const, description: 'SSE events: ready, then change events and heartbeat comments' },
      example: `event: ready\nid: 1\ndata: ${JSON.stringify(ready)}\n\n`,
    },
  };
}

@ApiTags('Live')
@ApiErrorResponses()
@UseGuards(LiveStreamTargetGuard)
@Controller('api/v1')
export class LiveEventsController {
  constructor(private readonly live: LiveEventsService) {}

  @Sse('runs/:runId/events')
  @ApiOperation({ summary: "Stream a run's changes (Server-Sent Events)", description: STREAM_DESCRIPTION })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({ description: 'the event stream', content: eventStream({ run_id: 'run-3f2a9c1e7b4d4e0f9a8b7c6d5e4f3a2b' }) })
  @ApiError(404, 'NOT_FOUND: no run with this id (answered before any event)')
  streamRunEvents(@Param('runId') runId: string): Observable<MessageEvent> {
    return this.live.runEvents(runId);
  }

  @Sse('experiments/:experimentId/events')
  @ApiOperation({
    summary: "Stream the changes of an experiment's runs, new runs included (Server-Sent Events)",
    description: STREAM_DESCRIPTION,
  })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({ description: 'the event stream', content: eventStream({ experiment_id: 'exp-3f2a9c1e7b4d4e0f9a8b7c6d5e4f3a2b' }) })
  @ApiError(404, 'NOT_FOUND: no experiment with this id (answered before any event)')
  streamExperimentEvents(@Param('experimentId') experimentId: string): Observable<MessageEvent> {
    return this.live.experimentEvents(experimentId);
  }
}
