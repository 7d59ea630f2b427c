/** RFC 3339 in UTC with a `Z` and milliseconds, e.g. `2024-12-05T10:30:00.000Z`. */
export function toRfc3339(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

export function toRfc3339OrNull(epochMs: number | null | undefined): string | null {
  return epochMs === null || epochMs === undefined ? null : toRfc3339(epochMs);
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/i;

/** Milliseconds since the epoch from an RFC 3339 string, or undefined if it is not one. */
export function parseRfc3339(text: string): number | undefined {
  if (!RFC3339.test(text)) {
    return undefined;
  }
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}
