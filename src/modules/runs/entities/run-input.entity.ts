/** A row of `datasets`: a dataset a run used, identified per experiment by (name, digest). */
export interface DatasetEntity {
  id: number;
  experiment_id: number;
  name: string;
  digest: string;
  source_type: string;
  source: string;
  schema: string | null;
  profile: string | null;
  created_at: number;
}

/** A row of `run_inputs`: a run's use of a dataset; `tags` is the JSON of its input tags. */
export interface RunInputEntity {
  run_id: number;
  dataset_id: number;
  tags: string;
}
