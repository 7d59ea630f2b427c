/** A row of `artifacts`: a file logged by a run. The bytes live in the artifact store under their SHA-256 (`hash`). */
export interface ArtifactEntity {
  id: number;
  run_id: number;
  path: string;
  hash: string;
  size_bytes: number;
  content_type: string;
  created_at: number;
}
