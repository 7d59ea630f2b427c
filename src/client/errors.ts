/** A failed call: the server's error code and message, the HTTP status and the request id to quote. */
export class TrackingError extends Error {
  constructor(
    /** The server's code (NOT_FOUND, INVALID_REQUEST, CONFLICT, …), or NETWORK_ERROR / TIMEOUT. */
    readonly code: string,
    message: string,
    /** The HTTP status, or 0 when no response arrived. */
    readonly status: number,
    /** The server's x-request-id, when a response arrived. */
    readonly requestId?: string,
  ) {
    super(message);
    this.name = 'TrackingError';
  }

  /** Worth retrying: the network, a timeout, rate limiting or a server that is (re)starting. */
  get transient(): boolean {
    return this.status === 0 || this.status === 429 || this.status === 502 || this.status === 503 || this.status === 504;
  }
}
