import type supertest from 'supertest';
import { uniqueName } from './factories.js';

/** Where MLflow clients send tracking calls; the bundled UI uses the /ajax-api twin. */
export const MLFLOW_API = '/api/2.0/mlflow';
export const MLFLOW_AJAX_API = '/ajax-api/2.0/mlflow';

/** MLflow's run-id and experiment-id rules (mlflow/utils/validation.py), which its client checks locally. */
export const MLFLOW_RUN_ID = /^[a-zA-Z0-9][\w-]{0,255}$/;
export const MLFLOW_EXPERIMENT_ID = /^[a-zA-Z0-9][\w-]{0,63}$/;

interface AnyResponse {
  status: number;
  body: unknown;
  text?: string;
  headers: Record<string, string>;
}

/** Asserts MLflow's error envelope, exactly: `{"error_code","message"}` and nothing else. */
export function expectMlflowError(response: AnyResponse, status: number, errorCode: string, message: string | RegExp): void {
  expect({ status: response.status, body: response.body }).toEqual({
    status,
    body: { error_code: errorCode, message: typeof message === 'string' ? message : expect.stringMatching(message) },
  });
  expect(response.headers['content-type']).toMatch(/^application\/json/);
}

/** MLflow's message for a required field that is missing or empty. */
export function missingParameter(name: string): string {
  return `Missing value for required parameter '${name}'. See the API docs for more information about request parameters.`;
}

/** Asserts the body is valid JSON as sent (no bare NaN or Infinity) and returns it parsed. */
export function strictJson(response: { text: string }): unknown {
  return JSON.parse(response.text) as unknown;
}

export type QueryValue = string | number | readonly (string | number)[];

/** A query string as MLflow's client writes one: a list becomes repeated keys (`?a=1&a=2`). */
export function mlflowQuery(fields: Readonly<Record<string, QueryValue>>): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) {
    for (const item of Array.isArray(value) ? (value as readonly (string | number)[]) : [value as string | number]) {
      query.append(name, String(item));
    }
  }
  return query.toString();
}

export interface MlflowTagBody {
  key: string;
  value: string;
}

export interface MlflowExperimentBody {
  experiment_id: string;
  name: string;
  artifact_location: string;
  lifecycle_stage: string;
  last_update_time: number;
  creation_time: number;
  tags?: MlflowTagBody[];
}

export interface MlflowMetricBody {
  key: string;
  value: number | string;
  timestamp: number;
  step: number;
  run_id?: string;
}

export interface MlflowRunInfoBody {
  run_id: string;
  run_uuid: string;
  run_name: string;
  experiment_id: string;
  user_id?: string;
  status: string;
  start_time?: number;
  end_time?: number;
  artifact_uri: string;
  lifecycle_stage: string;
}

export interface MlflowRunBody {
  info: MlflowRunInfoBody;
  data: { metrics?: MlflowMetricBody[]; params?: MlflowTagBody[]; tags?: MlflowTagBody[] };
  inputs: { dataset_inputs?: unknown[] };
  outputs: Record<string, unknown>;
}

type Agent = () => supertest.Agent;

/**
 * MLflow's tracking API over supertest, as MLflow's Python client calls it: POST with a JSON
 * body, GET with the query string. The helpers that return data assert HTTP 200 first.
 */
export function mlflowApi(http: Agent, options: { headers?: Record<string, string>; base?: string } = {}) {
  const headers = options.headers ?? {};
  const base = options.base ?? MLFLOW_API;
  const api = {
    post: (path: string, body: object = {}): supertest.Test => http().post(`${base}/${path}`).set(headers).send(body),
    get: (path: string, fields: Readonly<Record<string, QueryValue>> = {}): supertest.Test =>
      http().get(`${base}/${path}`).set(headers).query(mlflowQuery(fields)),

    async createExperiment(name: string = uniqueName('mlflow'), extra: object = {}): Promise<string> {
      const response = await api.post('experiments/create', { name, ...extra }).expect(200);
      expect(response.body).toEqual({ experiment_id: expect.stringMatching(MLFLOW_EXPERIMENT_ID) });
      return response.body.experiment_id as string;
    },
    async getExperiment(experimentId: string): Promise<MlflowExperimentBody> {
      const response = await api.get('experiments/get', { experiment_id: experimentId }).expect(200);
      return response.body.experiment as MlflowExperimentBody;
    },
    async createRun(experimentId: string, extra: object = {}): Promise<MlflowRunBody> {
      const response = await api.post('runs/create', { experiment_id: experimentId, ...extra }).expect(200);
      return response.body.run as MlflowRunBody;
    },
    async getRun(runId: string): Promise<MlflowRunBody> {
      const response = await api.get('runs/get', { run_id: runId }).expect(200);
      return response.body.run as MlflowRunBody;
    },
    /** A metric's whole history (no max_results: everything, in one answer). */
    async history(runId: string, key: string): Promise<MlflowMetricBody[]> {
      const response = await api.get('metrics/get-history', { run_id: runId, metric_key: key }).expect(200);
      expect(response.body.next_page_token).toBeUndefined();
      return (response.body.metrics ?? []) as MlflowMetricBody[];
    },
    async logBatch(runId: string, batch: { metrics?: object[]; params?: object[]; tags?: object[] }): Promise<void> {
      const response = await api.post('runs/log-batch', { run_id: runId, ...batch }).expect(200);
      expect(response.body).toEqual({});
    },
  };
  return api;
}

export type MlflowApi = ReturnType<typeof mlflowApi>;
