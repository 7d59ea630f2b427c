import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/** A request the server has received and not yet answered, as the shutdown log shows it. */
export interface InFlightRequest {
  /** The request id the request log uses (x-request-id), once one was given. */
  id?: string;
  method: string;
  /** Without the query string, as in the request log: no tokens in logs. */
  path: string;
  /** The client is still sending the body: an upload in progress. */
  receivingBody: boolean;
  ageMs: number;
}

interface Tracked {
  request: IncomingMessage & { id?: string };
  method: string;
  path: string;
  startedAt: number;
}

/**
 * Keeps the requests a server is serving, from their arrival until their response is done or
 * their connection is gone, so that a shutdown can say which work it waits for, and which it cut.
 */
export class InFlightRequests {
  private readonly requests = new Set<Tracked>();

  /** Watches every request `server` receives from now on, before any other listener sees it. */
  static watch(server: Server): InFlightRequests {
    const inFlight = new InFlightRequests();
    server.prependListener('request', (request: IncomingMessage, response: ServerResponse) => inFlight.track(request, response));
    return inFlight;
  }

  track(request: IncomingMessage, response: ServerResponse, now = Date.now()): void {
    const tracked: Tracked = {
      request,
      method: request.method ?? '?',
      // Read on arrival: Express rewrites request.url while routing.
      path: (request.url ?? '').split('?')[0],
      startedAt: now,
    };
    this.requests.add(tracked);
    // 'close' comes after the response is sent, and also when the client goes away first.
    response.once('close', () => this.requests.delete(tracked));
  }

  get size(): number {
    return this.requests.size;
  }

  /** Oldest first. */
  list(now = Date.now()): InFlightRequest[] {
    return [...this.requests].map(({ request, method, path, startedAt }) => ({
      ...(request.id === undefined ? {} : { id: request.id }),
      method,
      path,
      // `complete` turns true once the whole message (headers and body) has been received.
      receivingBody: !request.complete,
      ageMs: now - startedAt,
    }));
  }
}

const LISTED_AT_MOST = 20;

/** One line for the log: how many, how many uploads, and which (the first 20). */
export function describeInFlight(requests: readonly InFlightRequest[]): string {
  const uploads = requests.filter((request) => request.receivingBody).length;
  const shown = requests.slice(0, LISTED_AT_MOST).map((request) => {
    const what = request.receivingBody ? 'upload still receiving its body, ' : '';
    const id = request.id === undefined ? '' : `, request ${request.id}`;
    return `${request.method} ${request.path} (${what}${(request.ageMs / 1000).toFixed(1)} s${id})`;
  });
  const more = requests.length > LISTED_AT_MOST ? `, and ${requests.length - LISTED_AT_MOST} more` : '';
  const noun = requests.length === 1 ? 'request' : 'requests';
  const uploadNoun = uploads === 1 ? 'upload' : 'uploads';
  return `${requests.length} ${noun} in flight (${uploads} ${uploadNoun} in progress)${shown.length > 0 ? `: ${shown.join(', ')}${more}` : ''}`;
}
