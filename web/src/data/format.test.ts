import { describe, expect, it } from 'vitest';
import { formatBytes, formatDateTime, formatDuration, formatMetric, formatValue, relativeTime } from './format';

const NOW = Date.parse('2024-05-10T12:00:00Z');

describe('relativeTime', () => {
  it.each([
    [NOW - 10_000, 'just now'],
    [NOW + 5_000, 'just now'],
    [NOW - 3 * 60_000, '3 min ago'],
    [NOW - 59 * 60_000, '59 min ago'],
    [NOW - 5 * 3_600_000 - 60_000, '5 h ago'],
    [NOW - 26 * 3_600_000, 'yesterday'],
    [NOW - 4 * 86_400_000, '4 days ago'],
    [Date.parse('2024-01-02T08:00:00Z'), '2024-01-02'],
  ])('%s reads %s', (time, text) => {
    expect(relativeTime(time, NOW)).toBe(text);
  });
});

describe('formatDuration', () => {
  it.each([
    [850, '850 ms'],
    [12_340, '12.3 s'],
    [4 * 60_000 + 5_000, '4 min 05 s'],
    [2 * 3_600_000 + 7 * 60_000 + 30_000, '2 h 07 min'],
    [3 * 86_400_000 + 4 * 3_600_000, '3 d 4 h'],
    [-1, '—'],
  ])('%s ms reads %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('formatMetric', () => {
  it('keeps integers, trims floats to six significant digits and names non-finite values', () => {
    expect(formatMetric(42)).toBe('42');
    expect(formatMetric(0.123456789)).toBe('0.123457');
    expect(formatMetric(0.00001234)).toBe('1.2340e-5');
    expect(formatMetric(Number.NaN)).toBe('NaN');
    expect(formatMetric(-Infinity)).toBe('-Infinity');
  });
});

describe('formatValue', () => {
  it('formats numbers like formatMetric, passes text through and marks absence', () => {
    expect(formatValue(0.123456789)).toBe('0.123457');
    expect(formatValue('NaN')).toBe('NaN');
    expect(formatValue(null)).toBe('—');
    expect(formatValue(undefined)).toBe('—');
  });
});

describe('formatDateTime', () => {
  it('accepts epoch ms or ISO text and marks absent or unreadable times', () => {
    const time = new Date(2024, 4, 1, 14, 3, 22).getTime();
    expect(formatDateTime(time)).toBe('2024-05-01 14:03:22');
    expect(formatDateTime(new Date(time).toISOString())).toBe('2024-05-01 14:03:22');
    expect(formatDateTime(null)).toBe('—');
    expect(formatDateTime('not a date')).toBe('—');
  });
});

describe('formatBytes', () => {
  it('uses binary units with one decimal below 10', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1024)).toBe('1.0 KiB');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(200 * 1024 * 1024)).toBe('200 MiB');
    expect(formatBytes(5 * 1024 ** 3)).toBe('5.0 GiB');
    expect(formatBytes(-1)).toBe('—');
  });
});
