import type { MlflowRun } from '../api/types';

export type RunRowStatus = MlflowRun['info']['status'];

/** One row of the runs table: an MLflow run flattened for fast cell access and sorting. */
export interface RunRow {
  id: string;
  name: string;
  experimentId: string;
  status: RunRowStatus;
  /** Epoch milliseconds. */
  startTime: number | null;
  endTime: number | null;
  /** Latest value of each metric key. */
  metrics: Record<string, number>;
  params: Record<string, string>;
}

export function toRunRow(run: MlflowRun): RunRow {
  const metrics: Record<string, number> = {};
  for (const metric of run.data.metrics ?? []) {
    metrics[metric.key] = Number(metric.value);
  }
  const params: Record<string, string> = {};
  for (const param of run.data.params ?? []) {
    params[param.key] = param.value;
  }
  return {
    id: run.info.run_id,
    name: run.info.run_name || run.info.run_id,
    experimentId: run.info.experiment_id,
    status: run.info.status,
    startTime: run.info.start_time ?? null,
    endTime: run.info.end_time ?? null,
    metrics,
    params,
  };
}

/** A run's duration: end − start, or how long it has been going for when it has not ended; null without a start. */
export function runDuration(row: RunRow, now: number): { ms: number; ongoing: boolean } | null {
  if (row.startTime === null) {
    return null;
  }
  if (row.endTime !== null && row.endTime >= row.startTime) {
    return { ms: row.endTime - row.startTime, ongoing: false };
  }
  if (row.status === 'RUNNING' || row.status === 'SCHEDULED') {
    return { ms: Math.max(0, now - row.startTime), ongoing: true };
  }
  return null;
}

/** Rows of a further page appended to those loaded; a run already present (a live update got there first) keeps its row. */
export function appendRows(rows: readonly RunRow[], page: readonly RunRow[]): RunRow[] {
  const present = new Set(rows.map((row) => row.id));
  const next = rows.slice();
  for (const row of page) {
    if (!present.has(row.id)) {
      present.add(row.id);
      next.push(row);
    }
  }
  return next;
}

/**
 * Merges a live refresh into the table: `requested` are the ids that changed, `fresh` those of them that
 * (still) match the filter. Matching rows are replaced in place, new ones go first (the server lists
 * newest first), and requested rows that no longer match (deleted, or filtered out now) leave.
 * Returns the same array when nothing changed, so React skips the render.
 */
export function mergeLiveRows(rows: readonly RunRow[], requested: readonly string[], fresh: readonly RunRow[]): RunRow[] {
  const freshById = new Map(fresh.map((row) => [row.id, row]));
  const gone = new Set(requested.filter((id) => !freshById.has(id)));
  let changed = false;
  const kept: RunRow[] = [];
  for (const row of rows) {
    if (gone.has(row.id)) {
      changed = true;
      continue;
    }
    const update = freshById.get(row.id);
    if (update) {
      freshById.delete(row.id);
      if (!sameRow(row, update)) {
        changed = true;
        kept.push(update);
        continue;
      }
    }
    kept.push(row);
  }
  const added = [...freshById.values()].sort((a, b) => (b.startTime ?? 0) - (a.startTime ?? 0));
  if (added.length > 0) {
    return [...added, ...kept];
  }
  return changed ? kept : (rows as RunRow[]);
}

function sameRecord<T>(a: Record<string, T>, b: Record<string, T>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => Object.is(a[key], b[key]));
}

function sameRow(a: RunRow, b: RunRow): boolean {
  return (
    a.name === b.name &&
    a.status === b.status &&
    a.startTime === b.startTime &&
    a.endTime === b.endTime &&
    sameRecord(a.metrics, b.metrics) &&
    sameRecord(a.params, b.params)
  );
}

/** Every param and metric key of the loaded runs, sorted, for the column chooser. */
export function collectKeys(rows: readonly RunRow[]): { params: string[]; metrics: string[] } {
  const params = new Set<string>();
  const metrics = new Set<string>();
  for (const row of rows) {
    for (const key in row.params) {
      params.add(key);
    }
    for (const key in row.metrics) {
      metrics.add(key);
    }
  }
  const byName = (a: string, b: string): number => a.localeCompare(b, undefined, { numeric: true });
  return { params: [...params].sort(byName), metrics: [...metrics].sort(byName) };
}
