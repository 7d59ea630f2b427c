/**
 * MLflow's JSON shapes (mlflow/protos/service.proto), as its server writes them: snake_case,
 * int64 as JSON numbers, enums by name, unset fields and empty lists left out.
 */
export type MlflowRunStatus = 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';
export type MlflowViewType = 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL';

/** Proto enum numbers, accepted on input alongside the names. */
export const RUN_STATUS_NUMBERS: Readonly<Record<MlflowRunStatus, number>> = {
  RUNNING: 1,
  SCHEDULED: 2,
  FINISHED: 3,
  FAILED: 4,
  KILLED: 5,
};
export const VIEW_TYPE_NUMBERS: Readonly<Record<MlflowViewType, number>> = { ACTIVE_ONLY: 1, DELETED_ONLY: 2, ALL: 3 };

export interface MlflowTag {
  key: string;
  value: string;
}

export interface MlflowExperiment {
  experiment_id: string;
  name: string;
  artifact_location: string;
  lifecycle_stage: 'active' | 'deleted';
  last_update_time: number;
  creation_time: number;
  tags?: MlflowTag[];
}

export interface MlflowRunInfo {
  run_id: string;
  run_uuid: string;
  run_name: string;
  experiment_id: string;
  user_id?: string;
  status: MlflowRunStatus;
  start_time?: number;
  end_time?: number;
  artifact_uri: string;
  lifecycle_stage: 'active' | 'deleted';
}

export interface MlflowMetric {
  key: string;
  value: number | string;
  timestamp: number;
  step: number;
  run_id?: string;
}

export interface MlflowDatasetInput {
  tags?: MlflowTag[];
  dataset: { name: string; digest: string; source_type: string; source: string; schema?: string; profile?: string };
}

export interface MlflowRun {
  info: MlflowRunInfo;
  data: { metrics?: MlflowMetric[]; params?: MlflowTag[]; tags?: MlflowTag[] };
  inputs: { dataset_inputs?: MlflowDatasetInput[] };
  /** The logged models the run produced (`runs/outputs`); filled by runs/get only. */
  outputs: { model_outputs?: { model_id: string; step: number }[] };
}

/** `{}`: MLflow's answer to a write that returns nothing. */
export type MlflowEmpty = Record<string, never>;
