import basicAuth from 'basic-auth';

/**
 * The API key an `Authorization` header presents: the token of `Bearer <token>`, or the
 * password of `Basic <user:password>` (how MLflow clients send MLFLOW_TRACKING_PASSWORD).
 */
export function presentedApiKey(header: string | undefined): string | undefined {
  if (header === undefined) {
    return undefined;
  }
  const bearer = /^Bearer ([^ ]+)$/i.exec(header)?.[1];
  if (bearer !== undefined) {
    return bearer;
  }
  return basicAuth.parse(header)?.pass;
}
