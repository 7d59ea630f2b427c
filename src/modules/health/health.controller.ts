import { Controller, Get, UseInterceptors } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthResponseDto } from './dto/health.dto.js';
import { HealthStatusInterceptor } from './health-status.interceptor.js';
import { HealthService } from './health.service.js';

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
}
