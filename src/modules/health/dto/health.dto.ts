import { ApiProperty } from '@nestjs/swagger';
import { Integer } from '../../../common/validation.js';

export class HealthResponseDto {
  @ApiProperty({ enum: ['healthy', 'unhealthy'], example: 'healthy' })
  status!: 'healthy' | 'unhealthy';

  @ApiProperty({ example: '0.1.0' })
  version!: string;

  @ApiProperty({ type: Integer, example: 3600 })
  uptime_secs!: number;
}

/** /health/ready: the /health body, plus what each dependency said. */
export class ReadinessResponseDto extends HealthResponseDto {
  @ApiProperty({ enum: ['up', 'down'], example: 'up', description: 'whether the database answered `SELECT 1` in time' })
  database!: 'up' | 'down';
}
