/**
 * A row of `artifact_blobs`: a blob in the artifact store (schema: migration ArtifactBlobs). `pending_uploads` and
 * `pinned_until` are the pending references of uploads that have not recorded their artifact
 * row yet; the garbage collector leaves a blob alone while one is live.
 */
export interface ArtifactBlobEntity {
  hash: string;
  size_bytes: number;
  pending_uploads: number;
  pinned_until: number;
  created_at: number;
}
