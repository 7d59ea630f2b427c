/** Text for times and durations, kept pure so the tests pin it down. */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** "just now", "3 min ago", "5 h ago", "2 days ago", then the date; a time ahead of `now` (clock skew) reads "just now". */
export function relativeTime(time: number, now: number): string {
  const elapsed = now - time;
  if (elapsed < 45 * SECOND) {
    return 'just now';
  }
  if (elapsed < HOUR) {
    return `${Math.max(1, Math.round(elapsed / MINUTE))} min ago`;
  }
  if (elapsed < DAY) {
    return `${Math.floor(elapsed / HOUR)} h ago`;
  }
  if (elapsed < 30 * DAY) {
    const days = Math.floor(elapsed / DAY);
    return days === 1 ? 'yesterday' : `${days} days ago`;
  }
  return new Date(time).toISOString().slice(0, 10);
}

/** A duration as its two largest units: "850 ms", "12.3 s", "4 min 05 s", "2 h 07 min", "3 d 4 h". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) {
    return '—';
  }
  if (ms < SECOND) {
    return `${Math.round(ms)} ms`;
  }
  if (ms < MINUTE) {
    return `${(ms / SECOND).toFixed(1)} s`;
  }
  const pad = (value: number): string => String(value).padStart(2, '0');
  if (ms < HOUR) {
    return `${Math.floor(ms / MINUTE)} min ${pad(Math.floor((ms % MINUTE) / SECOND))} s`;
  }
  if (ms < DAY) {
    return `${Math.floor(ms / HOUR)} h ${pad(Math.floor((ms % HOUR) / MINUTE))} min`;
  }
  return `${Math.floor(ms / DAY)} d ${Math.floor((ms % DAY) / HOUR)} h`;
}

/** A local date and time to the second, "2024-05-01 14:03:22", stable in width for table columns; "—" when absent. */
export function formatDateTime(time: number | string | null | undefined): string {
  if (time === null || time === undefined || time === '') {
    return '—';
  }
  const date = new Date(time);
  if (Number.isNaN(date.getTime())) {
    return '—';
  }
  const pad = (value: number): string => String(value).padStart(2, '0');
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
  );
}

/** A metric value in at most ~6 significant digits; integers as they are, NaN/Infinity by name. */
export function formatMetric(value: number): string {
  if (!Number.isFinite(value)) {
    return String(value);
  }
  if (Number.isInteger(value) && Math.abs(value) < 1e12) {
    return String(value);
  }
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude < 1e-4 || magnitude >= 1e12)) {
    return value.toExponential(4);
  }
  return String(Number(value.toPrecision(6)));
}

/** Like formatMetric, for values that may be absent or already text (MLflow sends "NaN" as a string). */
export function formatValue(value: number | string | null | undefined): string {
  if (value === null || value === undefined) {
    return '—';
  }
  return typeof value === 'string' ? value : formatMetric(value);
}

/** Human-readable byte sizes in binary units: 0 B, 1023 B, 1.0 KiB, 1.5 MiB … */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) {
    return '—';
  }
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) {
    return `${bytes} B`;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value).toString()} ${units[unit]}`;
}
