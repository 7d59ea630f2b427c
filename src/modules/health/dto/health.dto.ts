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
