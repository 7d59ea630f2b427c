import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Query } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiError, ApiErrorResponses } from '../../common/decorators/api-error-responses.decorator.js';
import { PageQueryDto } from '../../common/validation.js';
import { CompleteRunDto, CreateRunDto, RunListResponseDto, RunResponseDto } from './dto/run.dto.js';
import { NoBodyFieldsPipe } from '../../common/pipes/no-body-fields.pipe.js';
import { RunsService } from './runs.service.js';

/** What a client does next with a run it created: OpenAPI links, which stateful clients (and schemathesis) follow. */
const RUN_OPERATIONS = [
  'getRun',
  'startRun',
  'completeRun',
  'heartbeatRun',
  'logMetric',
  'logMetrics',
  'getMetrics',
  'getMetricSeries',
  'logParam',
  'listParams',
  'uploadArtifact',
  'uploadRawArtifact',
  'listArtifacts',
];
const RUN_LINKS = Object.fromEntries(
  RUN_OPERATIONS.map((operationId) => [operationId, { operationId, parameters: { runId: '$response.body#/id' } }]),
);

/** The body of start and heartbeat, which take no fields. */
const NO_FIELDS_BODY = {
  required: false,
  description: 'no fields: send no body or {}',
  schema: { type: 'object', additionalProperties: false },
};

@ApiTags('Runs')
@ApiErrorResponses()
@Controller('api/v1')
export class RunsController {
  constructor(private readonly runs: RunsService) {}

  @Post('runs')
  @HttpCode(HttpStatus.CREATED)
  @ApiOperation({ summary: 'Create a run (status pending)' })
  @ApiCreatedResponse({ type: RunResponseDto, links: RUN_LINKS })
  @ApiError(400, 'INVALID_REQUEST: missing experiment_id, invalid name, unknown field')
  @ApiError(404, 'NOT_FOUND: no experiment with this id')
  @ApiError(409, 'CONFLICT: the experiment is deleted')
  createRun(@Body() dto: CreateRunDto): Promise<RunResponseDto> {
    return this.runs.create(dto);
  }

  @Get('runs/:runId')
  @ApiOperation({ summary: 'Get one run' })
  @ApiOkResponse({ type: RunResponseDto })
  @ApiError(404, 'NOT_FOUND: no run with this id')
  getRun(@Param('runId') runId: string): Promise<RunResponseDto> {
    return this.runs.get(runId);
  }

  @Post('runs/:runId/start')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Start a pending run (pending → running)' })
  @ApiOkResponse({ type: RunResponseDto })
  @ApiBody(NO_FIELDS_BODY)
  @ApiError(400, 'INVALID_REQUEST: a field was sent (start takes none)')
  @ApiError(404, 'NOT_FOUND: no run with this id')
  @ApiError(409, 'CONFLICT: the run is not pending')
  // The body parameter exists for its pipe, which refuses any field; there is nothing to pass on.
  startRun(@Param('runId') runId: string, @Body(NoBodyFieldsPipe) _body: undefined): Promise<RunResponseDto> {
    return this.runs.start(runId);
  }

  @Post('runs/:runId/complete')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Finish a run: success or failed from running; cancelled from pending or running' })
  @ApiOkResponse({ type: RunResponseDto })
  @ApiError(400, 'INVALID_REQUEST: unknown status')
  @ApiError(404, 'NOT_FOUND: no run with this id')
  @ApiError(409, 'CONFLICT: the run cannot move to this status from its current one')
  completeRun(@Param('runId') runId: string, @Body() dto: CompleteRunDto): Promise<RunResponseDto> {
    return this.runs.complete(runId, dto);
  }

  @Post('runs/:runId/heartbeat')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Tell the server a run is alive without writing anything (any write does the same)' })
  @ApiOkResponse({ type: RunResponseDto })
  @ApiBody(NO_FIELDS_BODY)
  @ApiError(400, 'INVALID_REQUEST: a field was sent (heartbeat takes none)')
  @ApiError(404, 'NOT_FOUND: no run with this id')
  @ApiError(409, 'CONFLICT: the run is deleted')
  heartbeatRun(@Param('runId') runId: string, @Body(NoBodyFieldsPipe) _body: undefined): Promise<RunResponseDto> {
    return this.runs.heartbeat(runId);
  }

  @Get('experiments/:experimentId/runs')
  @ApiOperation({ summary: 'List the active runs of an experiment, newest first' })
  @ApiOkResponse({ type: RunListResponseDto })
  @ApiError(404, 'NOT_FOUND: no experiment with this id')
  listExperimentRuns(@Param('experimentId') experimentId: string, @Query() query: PageQueryDto): Promise<RunListResponseDto> {
    return this.runs.listForExperiment(experimentId, query);
  }
}
