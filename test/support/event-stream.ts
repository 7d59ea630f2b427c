/** One Server-Sent Event as a browser would see it (comments kept, for the heartbeat). */
export interface StreamEvent {
  event?: string;
  id?: string;
  data?: string;
  comment?: string;
}

/** A `text/event-stream` response read with fetch, as the dashboard reads it, parsed into events. */
export interface EventStreamReader {
  status: number;
  headers: Headers;
  /** Every event received so far. */
  events: StreamEvent[];
  /** The body, when the answer was not a stream (an error envelope). */
  body?: unknown;
  /** Resolves with the first event (from `from` on) matching `predicate`; rejects after `timeoutMs`. */
  waitFor(predicate: (event: StreamEvent) => boolean, timeoutMs?: number, from?: number): Promise<StreamEvent>;
  /** Resolves once the server has ended the stream. */
  ended: Promise<void>;
  close(): void;
}

/** The `data` of an event, parsed as JSON. */
export function dataOf<T = Record<string, unknown>>(event: StreamEvent): T {
  return JSON.parse(event.data ?? 'null') as T;
}

function parseBlock(block: string): StreamEvent | undefined {
  const event: StreamEvent = {};
  let seen = false;
  for (const line of block.split('\n')) {
    if (line === '') {
      continue;
    }
    seen = true;
    if (line.startsWith(':')) {
      event.comment = line.slice(1).trimStart();
      continue;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') {
      event.event = value;
    } else if (field === 'id') {
      event.id = value;
    } else if (field === 'data') {
      event.data = event.data === undefined ? value : `${event.data}\n${value}`;
    }
  }
  return seen ? event : undefined;
}

export async function openEventStream(url: string, headers: Record<string, string> = {}): Promise<EventStreamReader> {
  const abort = new AbortController();
  const response = await fetch(url, { headers: { Accept: 'text/event-stream', ...headers }, signal: abort.signal });
  const events: StreamEvent[] = [];
  const waiters = new Set<() => void>();
  const notify = () => waiters.forEach((wake) => wake());
  const isStream = (response.headers.get('content-type') ?? '').startsWith('text/event-stream');
  let body: unknown;
  let ended: Promise<void> = Promise.resolve();
  if (!isStream) {
    const text = await response.text();
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  } else if (response.body) {
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    ended = (async () => {
      let buffer = '';
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) {
            break;
          }
          buffer += value.replace(/\r\n?/g, '\n');
          let end: number;
          while ((end = buffer.indexOf('\n\n')) !== -1) {
            const parsed = parseBlock(buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
            if (parsed) {
              events.push(parsed);
            }
          }
          notify();
        }
      } catch {
        // aborted by close()
      }
      notify();
    })();
  }
  return {
    status: response.status,
    headers: response.headers,
    events,
    body,
    ended,
    waitFor(predicate, timeoutMs = 5000, from = 0) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = events.slice(from).find(predicate);
          if (found) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(found);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching event within ${timeoutMs} ms; received: ${JSON.stringify(events)}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close: () => abort.abort(),
  };
}
