import { Controller, Get, UseInterceptors } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthResponseDto, ReadinessResponseDto } from './dto/health.dto.js';
import { HealthStatusInterceptor } from './health-status.interceptor.js';
import { DATABASE_CHECK_TIMEOUT_MS, HealthService } from './health.service.js';

@ApiTags('Health')
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get()
  @UseInterceptors(HealthStatusInterceptor)
  @ApiOperation({ summary: 'Liveness and database reachability (always public)' })
  @ApiOkResponse({ type: HealthResponseDto })
  @ApiServiceUnavailableResponse({ type: HealthResponseDto, description: 'the database does not answer' })
  getHealth(): Promise<HealthResponseDto> {
    return this.health.check();
  }

  @Get('live')
  @ApiOperation({
    summary: 'Liveness probe: the process answers requests (always public)',
    description: 'Never touches the database, so a database outage does not get the server restarted.',
  })
  @ApiOkResponse({ type: HealthResponseDto })
  getLiveness(): HealthResponseDto {
    return this.health.live();
  }

  @Get('ready')
  @UseInterceptors(HealthStatusInterceptor)
  @ApiOperation({
    summary: 'Readiness probe: the database answers (always public)',
    description: `The database must answer \`SELECT 1\` within ${DATABASE_CHECK_TIMEOUT_MS / 1000} s; otherwise 503, and traffic should go elsewhere until it does.`,
  })
  @ApiOkResponse({ type: ReadinessResponseDto })
  @ApiServiceUnavailableResponse({ type: ReadinessResponseDto, description: 'the database does not answer in time' })
  getReadiness(): Promise<ReadinessResponseDto> {
    return this.health.ready();
  }
}
