import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/** How often connections that went idle while draining are hung up. */
const IDLE_SWEEP_MS = 100;

/**
 * Stops accepting connections and resolves once every request in flight has been answered and
 * every connection is closed. Node's server.close() hangs up idle keep-alive connections only at
 * the call: a connection whose request is answered later would stay open until the client or the
 * keep-alive timeout (65 s) ends it, and the shutdown would wait for it. So answers from now on
 * say "Connection: close", and connections that go idle anyway are hung up as they do.
 */
export function drainHttpServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    const closeAfterAnswer = (_request: IncomingMessage, response: ServerResponse) => {
      if (!response.headersSent) {
        response.setHeader('Connection', 'close');
      }
    };
    server.prependListener('request', closeAfterAnswer);
    const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
    server.close(() => {
      clearInterval(sweep);
      server.removeListener('request', closeAfterAnswer);
      resolve();
    });
  });
}
