export type LoggedModelStatus = 'pending' | 'ready' | 'failed';

/** A row of `logged_models` (schema: migration LoggedModels): an MLflow 3 logged model. */
export interface LoggedModelEntity {
  /** `m-` and 32 lowercase hex digits, as MLflow makes them. */
  model_id: string;
  /** Internal id of the experiment. */
  experiment_id: number;
  name: string;
  artifact_location: string;
  status: LoggedModelStatus;
  status_message: string | null;
  model_type: string | null;
  /** Public id of the run that produced the model. */
  source_run_id: string | null;
  lifecycle_stage: 'active' | 'deleted';
  created_at: number;
  updated_at: number;
}

/** A row of `logged_model_tags` or `logged_model_params`. */
export interface LoggedModelKeyValueEntity {
  model_id: string;
  key: string;
  value: string;
}

/** A row of `logged_model_metrics`: a metric point logged with `model_id`. NaN is `is_nan = 1` (value 0). */
export interface LoggedModelMetricEntity {
  model_id: string;
  key: string;
  step: number;
  timestamp: number;
  /** Public id of the run the point was logged to. */
  run_id: string;
  /** '' when the point names no dataset. */
  dataset_name: string;
  dataset_digest: string;
  value: number;
  is_nan: number;
}

/** A row of `logged_model_artifacts`: a file of a logged model; the bytes live in the artifact store under `hash`. */
export interface LoggedModelArtifactEntity {
  model_id: string;
  path: string;
  hash: string;
  size_bytes: number;
  content_type: string;
  created_at: number;
}

/** A row of `run_model_outputs`: a model a run produced (MLflow's `runs/outputs`). */
export interface RunModelOutputEntity {
  run_id: number;
  model_id: string;
  step: number;
}
