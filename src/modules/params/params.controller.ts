import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiError, ApiErrorResponses } from '../../common/decorators/api-error-responses.decorator.js';
import { LogParamDto, ParamDto, ParamListResponseDto, ParamPageQueryDto } from './dto/param.dto.js';
import { ParamsService } from './params.service.js';

@ApiTags('Params')
@ApiErrorResponses()
@Controller('api/v1/runs/:runId/params')
export class ParamsController {
  constructor(private readonly params: ParamsService) {}

  @Post()
  @HttpCode(HttpStatus.CREATED)
  @ApiOperation({ summary: 'Log a parameter (write-once; the same value again is accepted)' })
  @ApiCreatedResponse({ type: ParamDto })
  @ApiError(400, 'INVALID_REQUEST: bad key or value, or an unknown field')
  @ApiError(404, 'NOT_FOUND: no run with this id')
  @ApiError(409, 'CONFLICT: the param already has a different value, or the run is deleted')
  logParam(@Param('runId') runId: string, @Body() dto: LogParamDto): Promise<ParamDto> {
    return this.params.logParam(runId, dto);
  }

  @Get()
  @ApiOperation({ summary: 'List the params of a run, by key' })
  @ApiOkResponse({ type: ParamListResponseDto })
  @ApiError(404, 'NOT_FOUND: no run with this id')
  listParams(@Param('runId') runId: string, @Query() query: ParamPageQueryDto): Promise<ParamListResponseDto> {
    return this.params.listParams(runId, query);
  }
}
