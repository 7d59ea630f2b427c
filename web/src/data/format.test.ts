import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, formatValue } from './format';

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

describe('formatDuration', () => {
  it('reads naturally from milliseconds to days', () => {
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(9_300)).toBe('9.3 s');
    expect(formatDuration(12_300)).toBe('12 s');
    expect(formatDuration(245_000)).toBe('4m 05s');
    expect(formatDuration(3 * 3600_000 + 2 * 60_000)).toBe('3h 02m');
    expect(formatDuration(2 * 86400_000 + 4 * 3600_000)).toBe('2d 4h');
  });
});

describe('formatValue', () => {
  it('keeps 5 significant digits and uses exponents for extremes', () => {
    expect(formatValue(0.123456789)).toBe('0.12346');
    expect(formatValue(42)).toBe('42');
    expect(formatValue(1.5e-7)).toBe('1.500e-7');
    expect(formatValue('NaN')).toBe('NaN');
    expect(formatValue(null)).toBe('—');
  });
});
