/** A row of `idempotency_keys`: the stored outcome of the first request sent with an Idempotency-Key. */
export interface IdempotencyKeyEntity {
  key: string;
  /** SHA-256 of method, path and body: the same key with another request is refused. */
  fingerprint: string;
  status: number;
  /** The response body, as JSON text. */
  body: string;
  created_at: number;
}
