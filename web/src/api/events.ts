import { auth } from './client';
import type { RunChange } from './types';

export interface ServerSentEvent {
  event: string;
  data: string;
}

/**
 * Splits a text/event-stream into events (WHATWG rules: `event:` and `data:` fields, comments
 * starting with `:` ignored, a blank line ends an event). Fed chunk by chunk; returns the events
 * the chunk completed.
 */
export class EventStreamParser {
  private buffer = '';
  private event = '';
  private data: string[] = [];

  push(chunk: string): ServerSentEvent[] {
    this.buffer += chunk;
    const events: ServerSentEvent[] = [];
    let newline: number;
    while ((newline = this.buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = this.buffer.slice(0, newline);
      const width = this.buffer.startsWith('\r\n', newline) ? 2 : 1;
      this.buffer = this.buffer.slice(newline + width);
      if (line === '') {
        if (this.data.length > 0 || this.event) {
          events.push({ event: this.event || 'message', data: this.data.join('\n') });
        }
        this.event = '';
        this.data = [];
        continue;
      }
      if (line.startsWith(':')) {
        continue;
      }
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) {
        value = value.slice(1);
      }
      if (field === 'event') {
        this.event = value;
      } else if (field === 'data') {
        this.data.push(value);
      }
    }
    return events;
  }
}

/**
 * Follows a change stream (`/api/v1/runs/{id}/events` or `/api/v1/experiments/{id}/events`) with
 * fetch rather than EventSource, so the API key travels in the Authorization header and never in
 * the URL. Reconnects after a dropped connection (1 s, then up to 10 s). Returns the unsubscribe.
 */
export function followChanges(path: string, onChange: (change: RunChange) => void, onReady?: () => void): () => void {
  const controller = new AbortController();
  let delay = 1000;
  const connect = async (): Promise<void> => {
    while (!controller.signal.aborted) {
      try {
        const response = await fetch(path, { headers: { ...auth.headers(), accept: 'text/event-stream' }, signal: controller.signal });
        if (!response.ok || !response.body) {
          throw new Error(`HTTP ${response.status}`);
        }
        delay = 1000;
        const parser = new EventStreamParser();
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) {
            break;
          }
          for (const event of parser.push(value)) {
            if (event.event === 'ready') {
              onReady?.();
            } else if (event.event === 'change') {
              onChange(JSON.parse(event.data) as RunChange);
            }
          }
        }
      } catch {
        // dropped or refused: try again below unless unsubscribed
      }
      if (controller.signal.aborted) {
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(10_000, delay * 2);
    }
  };
  void connect();
  return () => controller.abort();
}
