import type { LifecycleStage } from '../../experiments/entities/experiment.entity.js';

export type RunStatus = 'pending' | 'running' | 'success' | 'failed' | 'cancelled';
export const RUN_STATUSES: readonly RunStatus[] = ['pending', 'running', 'success', 'failed', 'cancelled'];
export const TERMINAL_STATUSES: readonly RunStatus[] = ['success', 'failed', 'cancelled'];

/** A row of `runs`. */
export interface RunEntity {
  id: number;
  public_id: string;
  experiment_id: number;
  name: string;
  status: RunStatus;
  status_reason: string | null;
  lifecycle_stage: LifecycleStage;
  user_id: string | null;
  created_at: number;
  started_at: number | null;
  ended_at: number | null;
  updated_at: number;
  deleted_at: number | null;
  /** Last write or heartbeat; the sweep fails running runs silent for longer than --run-timeout-secs. */
  last_activity_at: number | null;
}

/** A row of `run_tags`. */
export interface RunTagEntity {
  run_id: number;
  key: string;
  value: string;
}
