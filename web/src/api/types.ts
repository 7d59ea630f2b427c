/** Shapes of the server's answers the dashboard reads (see openapi.json for the native API). */

export interface Experiment {
  id: string;
  name: string;
  lifecycle_stage: string;
  created_at: string;
  updated_at: string;
  /** Active runs in the experiment. */
  run_count?: number;
  /** Latest sign of life of any of its runs, or null without runs. */
  last_activity_at?: string | null;
}

export interface ExperimentList {
  experiments: Experiment[];
  next_page_token?: string;
}

export type RunStatus = 'pending' | 'running' | 'success' | 'failed' | 'cancelled';

export interface Run {
  id: string;
  experiment_id: string;
  name: string;
  status: RunStatus;
  status_reason: string | null;
  lifecycle_stage: string;
  created_at: string;
  started_at: string | null;
  ended_at: string | null;
  updated_at: string;
  last_activity_at: string | null;
}

export interface SeriesBucket {
  start_step: number;
  end_step: number;
  first_step: number;
  last_step: number;
  count: number;
  min: number | null;
  max: number | null;
  last: number | string | null;
  last_timestamp: string;
}

export interface Series {
  key: string;
  start_step: number;
  end_step: number;
  bucket_width: number;
  bucket_alignment: number;
  buckets: SeriesBucket[];
}

export interface Artifact {
  key: string;
  size_bytes: number;
  content_type: string;
  hash: string;
  created_at: string;
}

export interface ArtifactList {
  artifacts: Artifact[];
  folders?: string[];
  next_page_token?: string;
}

export interface Param {
  key: string;
  value: string;
}

export interface ParamList {
  params: Param[];
  next_page_token?: string;
}

export interface LatestMetric {
  key: string;
  value: number | string | null;
  step: number;
  timestamp: string;
}

/** MLflow's run, as `runs/search` and `runs/get` answer it (times are epoch milliseconds). */
export interface MlflowRun {
  info: {
    run_id: string;
    run_name?: string;
    experiment_id: string;
    status: 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';
    start_time?: number;
    end_time?: number;
    lifecycle_stage: string;
    artifact_uri?: string;
  };
  data: {
    metrics?: { key: string; value: number; timestamp: number; step: number }[];
    params?: { key: string; value: string }[];
    tags?: { key: string; value: string }[];
  };
}

export interface MlflowRunSearchPage {
  runs?: MlflowRun[];
  next_page_token?: string;
}

/** One Server-Sent Event of `/api/v1/runs/{id}/events` or `/api/v1/experiments/{id}/events`. */
export interface RunChange {
  run_id: string;
  experiment_id: string;
  kinds: ('metrics' | 'params' | 'tags' | 'status' | 'artifacts' | 'created' | 'deleted')[];
  metric_keys?: string[];
}
