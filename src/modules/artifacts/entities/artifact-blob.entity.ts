import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A blob in the artifact store (schema: migration ArtifactBlobs). `pending_uploads` and
 * `pinned_until` are the pending references of uploads that have not recorded their artifact
 * row yet; the garbage collector leaves a blob alone while one is live.
 */
@Entity('artifact_blobs')
export class ArtifactBlobEntity {
  @PrimaryColumn({ type: 'text' }) hash!: string;
  @Column({ type: 'bigint' }) size_bytes!: number;
  @Column({ type: 'bigint', default: 0 }) pending_uploads!: number;
  @Column({ type: 'bigint', default: 0 }) pinned_until!: number;
  @Column({ type: 'bigint' }) created_at!: number;
}
