import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * An MLflow multipart upload in progress (schema: migration MultipartUploads): the artifact it
 * will become (`run_id`, `path`), how many parts the client announced, and the secret that
 * signs its part-upload credentials.
 */
@Entity('multipart_uploads')
export class MultipartUploadEntity {
  @PrimaryColumn({ type: 'text' }) upload_id!: string;
  @Column({ type: 'bigint' }) run_id!: number;
  @Column({ type: 'text' }) path!: string;
  @Column({ type: 'integer' }) num_parts!: number;
  @Column({ type: 'text' }) part_secret!: string;
  @Column({ type: 'bigint', nullable: true }) completing_since!: number | null;
  @Column({ type: 'bigint' }) created_at!: number;
  @Column({ type: 'bigint' }) expires_at!: number;
}

/** One part received for a multipart upload: where its bytes are staged and their SHA-256. */
@Entity('multipart_upload_parts')
export class MultipartUploadPartEntity {
  @PrimaryColumn({ type: 'text' }) upload_id!: string;
  @PrimaryColumn({ type: 'integer' }) part_number!: number;
  @Column({ type: 'text' }) staged_name!: string;
  @Column({ type: 'text' }) hash!: string;
  @Column({ type: 'bigint' }) size_bytes!: number;
  @Column({ type: 'bigint' }) uploaded_at!: number;
}
