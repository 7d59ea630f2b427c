import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiError, ApiErrorResponses } from '../../common/decorators/api-error-responses.decorator.js';
import { CreateExperimentDto, ExperimentListResponseDto, ExperimentResponseDto, ListExperimentsQueryDto } from './dto/experiment.dto.js';
import { ExperimentsService } from './experiments.service.js';

@ApiTags('Experiments')
@ApiErrorResponses()
@Controller('api/v1/experiments')
export class ExperimentsController {
  constructor(private readonly experiments: ExperimentsService) {}

  @Post()
  @HttpCode(HttpStatus.CREATED)
  @ApiOperation({ summary: 'Create an experiment' })
  @ApiCreatedResponse({
    type: ExperimentResponseDto,
    // What a client does next with the experiment: OpenAPI links, which stateful clients (and schemathesis) follow.
    links: {
      getExperiment: { operationId: 'getExperiment', parameters: { experimentId: '$response.body#/id' } },
      listExperimentRuns: { operationId: 'listExperimentRuns', parameters: { experimentId: '$response.body#/id' } },
      createRun: { operationId: 'createRun', requestBody: { experiment_id: '$response.body#/id' } },
    },
  })
  @ApiError(400, 'INVALID_REQUEST: missing or invalid name, config not an object, unknown field')
  @ApiError(409, 'CONFLICT: the name is already in use')
  createExperiment(@Body() dto: CreateExperimentDto): Promise<ExperimentResponseDto> {
    return this.experiments.create(dto);
  }

  @Get()
  @ApiOperation({ summary: 'List active experiments, newest first (or find one by name)' })
  @ApiOkResponse({ type: ExperimentListResponseDto })
  listExperiments(@Query() query: ListExperimentsQueryDto): Promise<ExperimentListResponseDto> {
    return this.experiments.list(query);
  }

  @Get(':experimentId')
  @ApiOperation({ summary: 'Get one experiment' })
  @ApiOkResponse({ type: ExperimentResponseDto })
  @ApiError(404, 'NOT_FOUND: no experiment with this id')
  getExperiment(@Param('experimentId') experimentId: string): Promise<ExperimentResponseDto> {
    return this.experiments.get(experimentId);
  }
}
