/** Routes whose request body is a file, streamed by the artifact module itself: no body parser may read it. */
const RAW_UPLOAD_PATHS = [
  /^\/api\/v1\/runs\/[^/?#]+\/artifacts\/[^?#]/,
  /^\/(?:api|ajax-api)\/2\.0\/mlflow-artifacts\/artifacts\/[^?#]/,
  /^\/api\/2\.0\/mlflow-artifacts\/mpu\/parts\/[^?#]/,
];

/** Whether this request uploads a raw file body (`PUT` to an artifact key), whatever its Content-Type. */
export function isRawUploadRequest(method: string | undefined, url: string | undefined): boolean {
  return method === 'PUT' && url !== undefined && RAW_UPLOAD_PATHS.some((pattern) => pattern.test(url));
}
