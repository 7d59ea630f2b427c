/**
 * A row of `multipart_uploads`: an MLflow multipart upload in progress (schema: migration MultipartUploads): the artifact it
 * will become (`run_id`, `path`), how many parts the client announced, and the secret that
 * signs its part-upload credentials.
 */
export interface MultipartUploadEntity {
  upload_id: string;
  run_id: number;
  path: string;
  num_parts: number;
  part_secret: string;
  completing_since: number | null;
  created_at: number;
  expires_at: number;
}

/** A row of `multipart_upload_parts`: one part received for a multipart upload: where its bytes are staged and their SHA-256. */
export interface MultipartUploadPartEntity {
  upload_id: string;
  part_number: number;
  staged_name: string;
  hash: string;
  size_bytes: number;
  uploaded_at: number;
}
