import { describe, expect, it } from 'vitest';
import { parseCsv } from './csv';

describe('parseCsv', () => {
  it('reads quoted fields with commas, doubled quotes and newlines', () => {
    expect(parseCsv('a,b,c\n1,"x, y","say ""hi"""\n2,"two\nlines",\n')).toEqual([
      ['a', 'b', 'c'],
      ['1', 'x, y', 'say "hi"'],
      ['2', 'two\nlines', ''],
    ]);
  });

  it('accepts CRLF, a BOM and a last line without a newline', () => {
    expect(parseCsv('\ufeffh1,h2\r\n1,2\r\n3,4')).toEqual([
      ['h1', 'h2'],
      ['1', '2'],
      ['3', '4'],
    ]);
  });

  it('stops after maxRows', () => {
    expect(parseCsv('a\n1\n2\n3\n', { maxRows: 2 })).toEqual([['a'], ['1']]);
  });

  it('drops the cut-off last row of a truncated download', () => {
    expect(parseCsv('a,b\n1,2\n3,"unfinish', { truncated: true })).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
  });

  it('reads an empty text as no rows', () => {
    expect(parseCsv('')).toEqual([]);
  });
});
