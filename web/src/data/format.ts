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

/** A duration in ms as "850 ms", "9.3 s", "42 s", "4m 05s", "3h 02m", "2d 4h". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) {
    return '—';
  }
  const sign = ms < 0 ? '-' : '';
  const abs = Math.abs(ms);
  if (abs < 1000) {
    return `${sign}${Math.round(abs)} ms`;
  }
  const seconds = abs / 1000;
  if (seconds < 60) {
    return `${sign}${seconds < 10 ? seconds.toFixed(1) : Math.floor(seconds).toString()} s`;
  }
  const totalSeconds = Math.floor(seconds);
  const days = Math.floor(totalSeconds / 86400);
  const hours = Math.floor((totalSeconds % 86400) / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const secs = totalSeconds % 60;
  const two = (n: number): string => n.toString().padStart(2, '0');
  if (days > 0) {
    return `${sign}${days}d ${hours}h`;
  }
  if (hours > 0) {
    return `${sign}${hours}h ${two(minutes)}m`;
  }
  return `${sign}${minutes}m ${two(secs)}s`;
}

/** A metric value, short but exact enough to read: 4 significant digits, exponent for the very large or small. */
export function formatValue(value: number | string | null | undefined): string {
  if (value === null || value === undefined) {
    return '—';
  }
  if (typeof value === 'string') {
    return value;
  }
  if (!Number.isFinite(value)) {
    return String(value);
  }
  if (value === 0) {
    return '0';
  }
  const abs = Math.abs(value);
  if (abs >= 1e6 || abs < 1e-4) {
    return value.toExponential(3);
  }
  if (Number.isInteger(value)) {
    return value.toString();
  }
  return Number(value.toPrecision(5)).toString();
}

/** A date-time (epoch ms or ISO text) in the reader's locale, or — when absent. */
export function formatDateTime(value: number | string | null | undefined): string {
  if (value === null || value === undefined || value === '') {
    return '—';
  }
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? '—' : date.toLocaleString();
}
