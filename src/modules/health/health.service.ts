import { Injectable } from '@nestjs/common';
import { VERSION } from '../../common/version.js';
import { SqlClient } from '../../database/sql-client.js';
import { HealthResponseDto, ReadinessResponseDto } from './dto/health.dto.js';

/**
 * How long /health and /health/ready wait for the database before answering 503: shorter than
 * the probes' timeoutSeconds (k8s/deployment.yaml), so a slow database reads as "not ready", not
 * as a probe that timed out.
 */
export const DATABASE_CHECK_TIMEOUT_MS = 2000;

@Injectable()
export class HealthService {
  private readonly startedAt = Date.now();

  constructor(private readonly sql: SqlClient) {}

  /** GET /health, as the seed has it: healthy when the database answers. */
  async check(): Promise<HealthResponseDto> {
    return this.summary(await this.databaseAnswers());
  }

  /** Liveness: answering at all is the check; the database is not touched. */
  live(): HealthResponseDto {
    return this.summary(true);
  }

  /** Readiness: the database answers within DATABASE_CHECK_TIMEOUT_MS. */
  async ready(): Promise<ReadinessResponseDto> {
    const databaseUp = await this.databaseAnswers();
    return { ...this.summary(databaseUp), database: databaseUp ? 'up' : 'down' };
  }

  private summary(healthy: boolean): HealthResponseDto {
    return {
      status: healthy ? 'healthy' : 'unhealthy',
      version: VERSION,
      uptime_secs: Math.floor((Date.now() - this.startedAt) / 1000),
    };
  }

  private async databaseAnswers(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), DATABASE_CHECK_TIMEOUT_MS);
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
