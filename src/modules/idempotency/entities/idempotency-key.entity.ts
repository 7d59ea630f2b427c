import { Column, Entity } from 'typeorm';

/** The stored outcome of the first request sent with an Idempotency-Key. */
@Entity('idempotency_keys')
export class IdempotencyKeyEntity {
  @Column({ type: 'text', primary: true }) key!: string;
  /** SHA-256 of method, path and body: the same key with another request is refused. */
  @Column({ type: 'text' }) fingerprint!: string;
  @Column({ type: 'integer' }) status!: number;
  /** The response body, as JSON text. */
  @Column({ type: 'text' }) body!: string;
  @Column({ type: 'bigint' }) created_at!: number;
}
