/** Shapes of the /api/v1 responses, as the client returns them. */
export type RunStatus = 'pending' | 'running' | 'success' | 'failed' | 'cancelled';
export type CompletionStatus = 'success' | 'failed' | 'cancelled';
export type ParamValue = string | number | boolean;

export interface Experiment {
  id: string;
  name: string;
  config: Record<string, unknown> | null;
  lifecycle_stage: 'active' | 'deleted';
  created_at: string;
  updated_at: string;
}

export interface Run {
  id: string;
  experiment_id: string;
  name: string;
  status: RunStatus;
  status_reason: string | null;
  lifecycle_stage: 'active' | 'deleted';
  created_at: string;
  started_at: string | null;
  ended_at: string | null;
  updated_at: string;
  /** Last write or heartbeat the server knows of. */
  last_activity_at: string | null;
}

export interface MetricPoint {
  key: string;
  step: number;
  value: number;
  /** RFC 3339 text or epoch milliseconds; the server's clock when absent. */
  timestamp?: string | number;
}

export interface StoredMetricPoint {
  key: string;
  step: number;
  value: number | 'NaN' | 'Infinity' | '-Infinity';
  timestamp: string;
}

export interface Param {
  key: string;
  value: ParamValue;
}

export interface Artifact {
  key: string;
  hash: string;
  size_bytes: number;
}

export interface Page<T> {
  items: T[];
  /** Pass back as `pageToken` for the next page; undefined on the last one. */
  nextPageToken?: string;
}

export interface PageOptions {
  maxResults?: number;
  pageToken?: string;
}
