import type { RunRowStatus } from '../data/run-rows';

const LABELS: Record<RunRowStatus, string> = {
  RUNNING: 'running',
  SCHEDULED: 'scheduled',
  FINISHED: 'finished',
  FAILED: 'failed',
  KILLED: 'killed',
};

/** A run's status as a coloured pill (colours come from the theme, the word carries the meaning). */
export function StatusBadge({ status }: { status: RunRowStatus }) {
  return <span className={`status status-${status.toLowerCase()}`}>{LABELS[status] ?? status.toLowerCase()}</span>;
}
