import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { LifecycleStage } from '../../experiments/entities/experiment.entity.js';

export type RunStatus = 'pending' | 'running' | 'success' | 'failed' | 'cancelled';
export const RUN_STATUSES: readonly RunStatus[] = ['pending', 'running', 'success', 'failed', 'cancelled'];
export const TERMINAL_STATUSES: readonly RunStatus[] = ['success', 'failed', 'cancelled'];

@Entity('runs')
export class RunEntity {
  @PrimaryGeneratedColumn() id!: number;
  @Column({ type: 'text', unique: true }) public_id!: string;
  @Column({ type: 'bigint' }) experiment_id!: number;
  @Column({ type: 'text' }) name!: string;
  @Column({ type: 'text' }) status!: RunStatus;
  @Column({ type: 'text', nullable: true }) status_reason!: string | null;
  @Column({ type: 'text', default: 'active' }) lifecycle_stage!: LifecycleStage;
  @Column({ type: 'text', nullable: true }) user_id!: string | null;
  @Column({ type: 'bigint' }) created_at!: number;
  @Column({ type: 'bigint', nullable: true }) started_at!: number | null;
  @Column({ type: 'bigint', nullable: true }) ended_at!: number | null;
  @Column({ type: 'bigint' }) updated_at!: number;
  @Column({ type: 'bigint', nullable: true }) deleted_at!: number | null;
  /** Last write or heartbeat; the sweep fails running runs silent for longer than --run-timeout-secs. */
  @Column({ type: 'bigint', nullable: true }) last_activity_at!: number | null;
}

@Entity('run_tags')
export class RunTagEntity {
  @Column({ type: 'bigint', primary: true }) run_id!: number;
  @Column({ type: 'text', primary: true }) key!: string;
  @Column({ type: 'text' }) value!: string;
}
