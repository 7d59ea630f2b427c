import { describe, expect, it } from 'vitest';
import { errorPosition, locateFilterError, tokenSpanAt } from './filter-error';

describe('errorPosition', () => {
  it('reads the 0-based offset the server names', () => {
    expect(errorPosition("filter: unexpected 'OR' at position 17; only AND can join clauses")).toBe(17);
    expect(errorPosition('filter: unexpected end of input, expected a value at position 12')).toBe(12);
    expect(errorPosition('experiment 7 does not exist')).toBeNull();
  });
});

describe('tokenSpanAt', () => {
  const filter = "metrics.acc > 0.5 OR params.optimizer = 'ad''am' AND x";
  it('spans a word, a number, an operator and a quoted string with a doubled quote', () => {
    expect(tokenSpanAt(filter, 18)).toEqual({ start: 18, end: 20 });
    expect(tokenSpanAt(filter, 0)).toEqual({ start: 0, end: 11 });
    expect(tokenSpanAt(filter, 14)).toEqual({ start: 14, end: 17 });
    expect(tokenSpanAt(filter, 12)).toEqual({ start: 12, end: 13 });
    expect(filter.slice(40, tokenSpanAt(filter, 40).end)).toBe("'ad''am'");
  });
  it('points past the end for an error at the end of input, and runs an unterminated string to the end', () => {
    expect(tokenSpanAt('metrics.acc >', 13)).toEqual({ start: 13, end: 13 });
    expect(tokenSpanAt("params.a = 'open", 11)).toEqual({ start: 11, end: 16 });
  });
});

describe('locateFilterError', () => {
  it('cuts the filter around the offending token', () => {
    const filter = 'metrics.acc > 0.5 OR params.lr = 1';
    expect(locateFilterError(filter, "filter: unexpected 'OR' at position 18; only AND can join clauses")).toEqual({
      before: 'metrics.acc > 0.5 ',
      token: 'OR',
      after: ' params.lr = 1',
      position: 18,
    });
    expect(locateFilterError(filter, 'no position here')).toBeNull();
  });
});
