import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** A file logged by a run. The bytes live in the artifact store under their SHA-256 (`hash`). */
@Entity('artifacts')
export class ArtifactEntity {
  @PrimaryGeneratedColumn() id!: number;
  @Column({ type: 'bigint' }) run_id!: number;
  @Column({ type: 'text' }) path!: string;
  @Column({ type: 'text' }) hash!: string;
  @Column({ type: 'bigint' }) size_bytes!: number;
  @Column({ type: 'text' }) content_type!: string;
  @Column({ type: 'bigint' }) created_at!: number;
}
