/** MLflow's model version stages, in MLflow's spelling. */
export const MODEL_STAGES = ['None', 'Staging', 'Production', 'Archived'] as const;
export type ModelStage = (typeof MODEL_STAGES)[number];

/** A row of `model_versions`. */
export interface ModelVersionEntity {
  id: number;
  model_id: number;
  /** 1, 2, 3… per registered model, never reused. */
  version: number;
  /** Where the model's files are, as the client gave it (`runs:/<run>/model`, an artifact URI, `models:/…`). */
  source: string;
  /** What get-download-uri answers: `source`, or what a `models:/` source pointed at when the version was made. */
  storage_location: string;
  /** Public id of the run that made the model, if any; not a reference: the run may be deleted. */
  run_id: string | null;
  run_link: string | null;
  /** MLflow's `model_id`: the logged model (`m-…`) the version was made from, if any; not a reference either. */
  logged_model_id: string | null;
  description: string | null;
  current_stage: ModelStage;
  /** Always READY: versions are registered from files that already exist. */
  status: string;
  user_id: string | null;
  created_at: number;
  updated_at: number;
}

/** A row of `model_version_tags`. */
export interface ModelVersionTagEntity {
  version_id: number;
  key: string;
  value: string;
}
