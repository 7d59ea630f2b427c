import basicAuth from 'basic-auth';

/**
 * The API key an `Authorization` header presents: the token of `Bearer <token>`, or the
 * password of `Basic <user:password>` (how MLflow clients send MLFLOW_TRACKING_PASSWORD).
 */
export function presentedApiKey(header: string | undefined): string | undefined {
  if (header === undefined) {
    return undefined;
  }
  return headerBearerToken(header) ?? basicAuth.parse(header)?.pass;
}

/** The token of an `Authorization: Bearer <token>` header, parsed as passport-http-bearer does. */
export function headerBearerToken(header: string | undefined): string | undefined {
  return /^Bearer ([^ ]+)$/i.exec(header ?? '')?.[1];
}
