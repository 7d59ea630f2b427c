import { Injectable } from '@nestjs/common';
import { VERSION } from '../../common/version.js';
import { SqlClient } from '../../database/sql-client.js';
import { HealthResponseDto } from './dto/health.dto.js';

const DATABASE_PROBE_TIMEOUT_MS = 2000;

@Injectable()
export class HealthService {
  private readonly startedAt = Date.now();

  constructor(private readonly sql: SqlClient) {}

  async check(): Promise<HealthResponseDto> {
    const healthy = await this.databaseAnswers();
    return {
      status: healthy ? 'healthy' : 'unhealthy',
      version: VERSION,
      uptime_secs: Math.floor((Date.now() - this.startedAt) / 1000),
    };
  }

  private async databaseAnswers(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), DATABASE_PROBE_TIMEOUT_MS);
    });
    const probe = this.sql.queryOne<{ ok: number }>('SELECT 1 AS ok').then(
      (row) => row?.ok === 1,
      () => false,
    );
    try {
      return await Promise.race([probe, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
