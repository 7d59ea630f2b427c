/** RFC 3339 in UTC with a `Z` and milliseconds, e.g. `2024-12-05T10:30:00.000Z`. */
export function toRfc3339(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

export function toRfc3339OrNull(epochMs: number | null | undefined): string | null {
  return epochMs === null || epochMs === undefined ? null : toRfc3339(epochMs);
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|([+-])(\d{2}):(\d{2}))$/i;

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * Milliseconds since the epoch from an RFC 3339 string, or undefined if it is not one. The date
 * must exist (no 30 February) and the time be in range, as RFC 3339 §5.7 requires; `Date.parse`
 * alone would quietly roll such dates over.
 */
export function parseRfc3339(text: string): number | undefined {
  const match = RFC3339.exec(text);
  if (!match) {
    return undefined;
  }
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number);
  const offsetHours = match[10] === undefined ? 0 : Number(match[10]);
  const offsetMinutes = match[11] === undefined ? 0 : Number(match[11]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) {
    return undefined;
  }
  if (offsetHours > 23 || offsetMinutes > 59) {
    return undefined;
  }
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}
