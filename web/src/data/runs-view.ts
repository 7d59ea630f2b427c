import type { RunRow } from './run-rows';
import { runDuration } from './run-rows';

/**
 * The runs table's state kept in the hash query so a reload or a shared link restores it:
 *   ?filter=metrics.acc > 0.5&columns=params.lr,metrics.loss&sort=metrics.loss:desc
 * Column ids are `name`, `status`, `start_time`, `duration`, `params.<key>` and `metrics.<key>`;
 * a comma or percent sign inside a key is percent-escaped in the `columns` list.
 */
export type FixedColumnId = 'name' | 'status' | 'start_time' | 'duration';
export const FIXED_COLUMNS: readonly FixedColumnId[] = ['name', 'status', 'start_time', 'duration'];

export interface ColumnSort {
  id: string;
  desc: boolean;
}

export interface RunsView {
  /** The applied filter (MLflow grammar), '' for none. */
  filter: string;
  /** Chosen param/metric columns in order; null when none were chosen (the defaults apply). */
  columns: string[] | null;
  sort: ColumnSort | null;
}

export type KeyColumn = { kind: 'params' | 'metrics'; key: string };

/** `params.lr` → {kind: 'params', key: 'lr'}; null for the fixed columns or nonsense. */
export function parseKeyColumn(id: string): KeyColumn | null {
  for (const kind of ['params', 'metrics'] as const) {
    if (id.startsWith(`${kind}.`) && id.length > kind.length + 1) {
      return { kind, key: id.slice(kind.length + 1) };
    }
  }
  return null;
}

export function keyColumnId(kind: 'params' | 'metrics', key: string): string {
  return `${kind}.${key}`;
}

function escapeListItem(item: string): string {
  return item.replace(/%/g, '%25').replace(/,/g, '%2C');
}

function unescapeListItem(item: string): string {
  return item.replace(/%2C/gi, ',').replace(/%25/g, '%');
}

export function readRunsView(query: URLSearchParams): RunsView {
  const columnsText = query.get('columns');
  const columns =
    columnsText === null
      ? null
      : columnsText
          .split(',')
          .filter((item) => item.length > 0)
          .map(unescapeListItem)
          .filter((id) => parseKeyColumn(id) !== null);
  let sort: ColumnSort | null = null;
  const sortText = query.get('sort');
  if (sortText) {
    const colon = sortText.lastIndexOf(':');
    const direction = colon < 0 ? '' : sortText.slice(colon + 1);
    if (direction === 'asc' || direction === 'desc') {
      sort = { id: sortText.slice(0, colon), desc: direction === 'desc' };
    } else {
      sort = { id: sortText, desc: false };
    }
    if (!sort.id) {
      sort = null;
    }
  }
  return { filter: query.get('filter') ?? '', columns, sort };
}

/** The hash query for `view`, keeping any other parameter of `base` as it was. */
export function writeRunsView(base: URLSearchParams, view: RunsView): URLSearchParams {
  const query = new URLSearchParams(base);
  if (view.filter.trim()) {
    query.set('filter', view.filter.trim());
  } else {
    query.delete('filter');
  }
  if (view.columns === null) {
    query.delete('columns');
  } else {
    query.set('columns', view.columns.map(escapeListItem).join(','));
  }
  if (view.sort) {
    query.set('sort', `${view.sort.id}:${view.sort.desc ? 'desc' : 'asc'}`);
  } else {
    query.delete('sort');
  }
  return query;
}

/** Columns shown when none were chosen: the first three metrics and the first three params. */
export function defaultColumns(keys: { params: readonly string[]; metrics: readonly string[] }): string[] {
  return [
    ...keys.metrics.slice(0, 3).map((key) => keyColumnId('metrics', key)),
    ...keys.params.slice(0, 3).map((key) => keyColumnId('params', key)),
  ];
}

/** The chosen columns toggled by one id (appended when added, so the order is the order of choice). */
export function toggleColumn(current: readonly string[], id: string): string[] {
  return current.includes(id) ? current.filter((item) => item !== id) : [...current, id];
}

/** The next sort after a click on a column header: ascending, then descending, then none. */
export function nextSort(current: ColumnSort | null, id: string, descFirst: boolean): ColumnSort | null {
  if (!current || current.id !== id) {
    return { id, desc: descFirst };
  }
  if (current.desc === descFirst) {
    return { id, desc: !descFirst };
  }
  return null;
}

/** The value a column sorts by; undefined sorts last whichever the direction. */
export function sortValue(row: RunRow, id: string, now: number): number | string | undefined {
  switch (id) {
    case 'name':
      return row.name;
    case 'status':
      return row.status;
    case 'start_time':
      return row.startTime ?? undefined;
    case 'duration':
      return runDuration(row, now)?.ms;
  }
  const column = parseKeyColumn(id);
  if (!column) {
    return undefined;
  }
  if (column.kind === 'metrics') {
    const value = row.metrics[column.key];
    return value === undefined || Number.isNaN(value) ? undefined : value;
  }
  const text = row.params[column.key];
  if (text === undefined) {
    return undefined;
  }
  // Params are strings; numeric ones (lr=0.001, layers=12) sort as numbers.
  const number = Number(text);
  return text.trim() !== '' && Number.isFinite(number) ? number : text;
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

/** Ascending comparison of two sort values: numbers before text, text by natural order. */
export function compareValues(a: number | string, b: number | string): number {
  if (typeof a === 'number' && typeof b === 'number') {
    return a - b;
  }
  if (typeof a === 'number') {
    return -1;
  }
  if (typeof b === 'number') {
    return 1;
  }
  return collator.compare(a, b);
}
