import type { IncomingMessage } from 'node:http';

/**
 * After refusing a request we answer at once, then keep discarding what the client still sends
 * for this long (a lingering close, so the client can read the answer rather than meet a reset
 * mid-send), then cut the connection.
 */
const LINGER_MS = 5_000;

/**
 * Stops reading a body that will not be used: what is left is discarded as it arrives (never
 * buffered) while the answer goes out, for at most LINGER_MS; then the connection is closed. A
 * body that ends within that keeps the connection alive for the client's next request.
 */
export function refuseUnreadBody(request: IncomingMessage): void {
  request.unpipe();
  if (request.complete || request.destroyed) {
    return;
  }
  request.resume();
  const timer = setTimeout(() => {
    if (!request.complete) {
      request.socket.destroy();
    }
  }, LINGER_MS);
  timer.unref();
  request.once('close', () => clearTimeout(timer));
}
