import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** A dataset a run used, identified per experiment by (name, digest). */
@Entity('datasets')
export class DatasetEntity {
  @PrimaryGeneratedColumn() id!: number;
  @Column({ type: 'bigint' }) experiment_id!: number;
  @Column({ type: 'text' }) name!: string;
  @Column({ type: 'text' }) digest!: string;
  @Column({ type: 'text' }) source_type!: string;
  @Column({ type: 'text' }) source!: string;
  @Column({ type: 'text', nullable: true }) schema!: string | null;
  @Column({ type: 'text', nullable: true }) profile!: string | null;
  @Column({ type: 'bigint' }) created_at!: number;
}

/** A run's use of a dataset; `tags` is the JSON of its input tags. */
@Entity('run_inputs')
export class RunInputEntity {
  @Column({ type: 'bigint', primary: true }) run_id!: number;
  @Column({ type: 'bigint', primary: true }) dataset_id!: number;
  @Column({ type: 'text' }) tags!: string;
}
