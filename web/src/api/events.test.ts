import { describe, expect, it } from 'vitest';
import { EventStreamParser } from './events';

describe('EventStreamParser', () => {
  it('splits events across chunk boundaries and ignores heartbeat comments', () => {
    const parser = new EventStreamParser();
    expect(parser.push('event: ready\ndata: {"run_id":"r1"}\n\n: heartbeat\n\nevent: cha')).toEqual([
      { event: 'ready', data: '{"run_id":"r1"}' },
    ]);
    expect(parser.push('nge\r\ndata: {"kinds":["metrics"]}\r\n\r\n')).toEqual([{ event: 'change', data: '{"kinds":["metrics"]}' }]);
  });

  it('joins multi-line data with newlines', () => {
    const parser = new EventStreamParser();
    expect(parser.push('data: a\ndata: b\n\n')).toEqual([{ event: 'message', data: 'a\nb' }]);
  });
});
