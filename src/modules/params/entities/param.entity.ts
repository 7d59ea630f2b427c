import { Column, Entity } from 'typeorm';

export type ParamValueType = 'string' | 'number' | 'boolean';

/** A run parameter. `value` is the text MLflow sees; `value_type` restores the JSON type for /api/v1. */
@Entity('params')
export class ParamEntity {
  @Column({ type: 'bigint', primary: true }) run_id!: number;
  @Column({ type: 'text', primary: true }) key!: string;
  @Column({ type: 'text' }) value!: string;
  @Column({ type: 'text' }) value_type!: ParamValueType;
}
