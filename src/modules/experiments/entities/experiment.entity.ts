import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type LifecycleStage = 'active' | 'deleted';

/** A row of `experiments`; property names are the column names so SQL rows map onto it directly. */
@Entity('experiments')
export class ExperimentEntity {
  @PrimaryGeneratedColumn() id!: number;
  @Column({ type: 'text', unique: true }) public_id!: string;
  @Column({ type: 'text', unique: true }) name!: string;
  /** JSON text of the experiment's config object. */
  @Column({ type: 'text', nullable: true }) config!: string | null;
  @Column({ type: 'text' }) artifact_location!: string;
  @Column({ type: 'text', default: 'active' }) lifecycle_stage!: LifecycleStage;
  @Column({ type: 'bigint' }) created_at!: number;
  @Column({ type: 'bigint' }) updated_at!: number;
  @Column({ type: 'bigint', nullable: true }) deleted_at!: number | null;
}

@Entity('experiment_tags')
export class ExperimentTagEntity {
  @Column({ type: 'bigint', primary: true }) experiment_id!: number;
  @Column({ type: 'text', primary: true }) key!: string;
  @Column({ type: 'text' }) value!: string;
}
