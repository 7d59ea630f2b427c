export type LifecycleStage = 'active' | 'deleted';

/** A row of `experiments`; property names are the column names so SQL rows map onto it directly. */
export interface ExperimentEntity {
  id: number;
  public_id: string;
  name: string;
  /** JSON text of the experiment's config object. */
  config: string | null;
  artifact_location: string;
  lifecycle_stage: LifecycleStage;
  created_at: number;
  updated_at: number;
  deleted_at: number | null;
}

/** A row of `experiment_tags`. */
export interface ExperimentTagEntity {
  experiment_id: number;
  key: string;
  value: string;
}
