import { randomBytes } from 'node:crypto';
import type supertest from 'supertest';

/** Unique names so tests never collide, whatever order they run in. */
export function uniqueName(prefix = 'exp'): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

export interface ExperimentBody {
  id: string;
  name: string;
  config: Record<string, unknown> | null;
  lifecycle_stage: string;
  created_at: string;
  updated_at: string;
}

export interface RunBody {
  id: string;
  experiment_id: string;
  name: string;
  status: string;
  status_reason: string | null;
  lifecycle_stage: string;
  created_at: string;
  started_at: string | null;
  ended_at: string | null;
  updated_at: string;
}

type Agent = () => supertest.Agent;

/** Test-data builders over the real HTTP API; each asserts the write succeeded. */
export function factories(http: Agent, headers: Record<string, string> = {}) {
  return {
    async experiment(overrides: { name?: string; config?: Record<string, unknown> } = {}): Promise<ExperimentBody> {
      const response = await http()
        .post('/api/v1/experiments')
        .set(headers)
        .send({ name: uniqueName(), ...overrides })
        .expect(201);
      return response.body as ExperimentBody;
    },
    async run(experimentId?: string, overrides: { name?: string } = {}): Promise<RunBody> {
      const experiment = experimentId ?? (await this.experiment()).id;
      const response = await http()
        .post('/api/v1/runs')
        .set(headers)
        .send({ experiment_id: experiment, ...overrides })
        .expect(201);
      return response.body as RunBody;
    },
    async runningRun(experimentId?: string): Promise<RunBody> {
      const run = await this.run(experimentId);
      const response = await http().post(`/api/v1/runs/${run.id}/start`).set(headers).expect(200);
      return response.body as RunBody;
    },
  };
}
