/** A row of `registered_models`; property names are the column names so SQL rows map onto it directly. */
export interface RegisteredModelEntity {
  id: number;
  name: string;
  description: string | null;
  user_id: string | null;
  /** The highest version number this model ever gave (0 before its first version). */
  last_version: number;
  created_at: number;
  updated_at: number;
}

/** A row of `registered_model_tags`. */
export interface RegisteredModelTagEntity {
  model_id: number;
  key: string;
  value: string;
}

/** A row of `registered_model_aliases`: `alias` points at one version of the model. */
export interface RegisteredModelAliasEntity {
  model_id: number;
  alias: string;
  version_id: number;
}
