/** The token of an `Authorization: Bearer <token>` header, parsed as passport-http-bearer does. */
export function headerBearerToken(header: string | undefined): string | undefined {
  return /^Bearer ([^ ]+)$/i.exec(header ?? '')?.[1];
}
