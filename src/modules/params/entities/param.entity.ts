export type ParamValueType = 'string' | 'number' | 'boolean';

/** A row of `params`: a run parameter. `value` is the text MLflow sees; `value_type` restores the JSON type for /api/v1. */
export interface ParamEntity {
  run_id: number;
  key: string;
  value: string;
  value_type: ParamValueType;
}
