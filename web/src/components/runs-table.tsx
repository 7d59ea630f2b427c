import {
  createColumnHelper,
  createSortedRowModel,
  rowSortingFeature,
  tableFeatures,
  useTable,
  type SortingState,
} from '@tanstack/react-table';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { formatDateTime, formatDuration, formatMetric } from '../data/format';
import { runDuration, type RunRow } from '../data/run-rows';
import { compareValues, parseKeyColumn, sortValue, type ColumnSort } from '../data/runs-view';
import { links } from '../router';
import { StatusBadge } from './status-badge';

const ROW_HEIGHT = 34;
const HEADER_HEIGHT = 36;

const features = tableFeatures({ rowSortingFeature, sortedRowModel: createSortedRowModel() });
const helper = createColumnHelper<typeof features, RunRow>();

const FIXED_HEADERS: Record<string, string> = { name: 'Name', status: 'Status', start_time: 'Started', duration: 'Duration' };
const FIXED_WIDTHS: Record<string, number> = { name: 240, status: 104, start_time: 168, duration: 124 };
const KEY_WIDTH = 128;

function headerOf(id: string): string {
  const column = parseKeyColumn(id);
  return column ? column.key : (FIXED_HEADERS[id] ?? id);
}

/** Columns whose first click sorts descending: newest, longest, biggest metric first reads better. */
function descendingFirst(id: string): boolean {
  return id === 'start_time' || id === 'duration';
}

function Cell({ row, id, now }: { row: RunRow; id: string; now: number }) {
  switch (id) {
    case 'name':
      return (
        <a href={links.run(row.experimentId, row.id)} tabIndex={-1} title={row.name}>
          {row.name}
        </a>
      );
    case 'status':
      return <StatusBadge status={row.status} />;
    case 'start_time':
      return row.startTime === null ? (
        <span className="muted">—</span>
      ) : (
        <span title={new Date(row.startTime).toISOString()}>{formatDateTime(row.startTime)}</span>
      );
    case 'duration': {
      const duration = runDuration(row, now);
      if (!duration) {
        return <span className="muted">—</span>;
      }
      return duration.ongoing ? (
        <span className="ongoing">running for {formatDuration(duration.ms)}</span>
      ) : (
        <>{formatDuration(duration.ms)}</>
      );
    }
  }
  const column = parseKeyColumn(id);
  if (!column) {
    return null;
  }
  if (column.kind === 'metrics') {
    const value = row.metrics[column.key];
    return value === undefined ? <span className="muted">—</span> : <span title={String(value)}>{formatMetric(value)}</span>;
  }
  const value = row.params[column.key];
  return value === undefined ? <span className="muted">—</span> : <span title={value}>{value}</span>;
}

export interface RunsTableProps {
  rows: RunRow[];
  /** Chosen `params.*` / `metrics.*` columns, after the fixed ones. */
  keyColumns: readonly string[];
  sort: ColumnSort | null;
  /** A header was clicked: the page decides the next sort (and keeps it in the URL). */
  onSortClick: (columnId: string, descendingFirst: boolean) => void;
  selected: ReadonlySet<string>;
  onSelectionChange: (selected: Set<string>) => void;
  loading: boolean;
  /** Called once the rows of a new load are in the DOM (for the performance marks). */
  onRowsRendered?: (count: number) => void;
  emptyText: string;
}

/**
 * The runs of an experiment: a real <table> whose body holds only the rows in view (TanStack Virtual,
 * spacer rows above and below), sorted on the client by TanStack Table. Keyboard: Tab lands on a row,
 * arrows move, Space selects, Enter opens the run.
 */
export function RunsTable(props: RunsTableProps) {
  const { rows, keyColumns, sort, onSortClick, selected, onSelectionChange, loading, onRowsRendered, emptyText } = props;
  const [now, setNow] = useState(() => Date.now());
  const hasRunning = useMemo(() => rows.some((row) => row.status === 'RUNNING' && row.endTime === null), [rows]);
  useEffect(() => {
    if (!hasRunning) {
      return;
    }
    const timer = setInterval(() => setNow(Date.now()), 5000);
    return () => clearInterval(timer);
  }, [hasRunning]);

  const columnIds = useMemo(() => ['name', 'status', 'start_time', 'duration', ...keyColumns], [keyColumns]);
  const columns = useMemo(
    () =>
      helper.columns(
        columnIds.map((id) =>
          helper.accessor((row: RunRow) => sortValue(row, id, Date.now()), {
            id,
            header: headerOf(id),
            sortUndefined: 'last',
            sortFn: (a, b, columnId) => compareValues(a.getValue<number | string>(columnId), b.getValue<number | string>(columnId)),
          }),
        ),
      ),
    [columnIds],
  );
  const sorting: SortingState = useMemo(() => (sort && columnIds.includes(sort.id) ? [sort] : []), [sort, columnIds]);
  const table = useTable({
    features,
    columns,
    data: rows,
    getRowId: (row) => row.id,
    state: { sorting },
    onSortingChange: () => undefined,
    enableMultiSort: false,
  });
  const sortedRows = table.getRowModel().rows;

  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: sortedRows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
    scrollMargin: HEADER_HEIGHT,
    getItemKey: (index) => sortedRows[index]?.id ?? index,
  });
  const items = virtualizer.getVirtualItems();
  const paddingTop = items.length > 0 ? items[0].start - HEADER_HEIGHT : 0;
  const paddingBottom = items.length > 0 ? virtualizer.getTotalSize() - (items[items.length - 1].end - HEADER_HEIGHT) : 0;

  // Live rows inserted above the view must not push what the user is reading down: the row at
  // the top of the view (the anchor) stays there when the rows change under the same sort.
  const sortKey = sort ? `${sort.id}:${sort.desc}` : '';
  const anchor = useRef<{ id: string; index: number; sortKey: string } | null>(null);
  const shownRows = useRef(sortedRows);
  const rememberAnchor = (): void => {
    const element = scrollRef.current;
    const index = element ? Math.floor(element.scrollTop / ROW_HEIGHT) : 0;
    const row = shownRows.current[index];
    anchor.current = element && element.scrollTop > 0 && row ? { id: row.id, index, sortKey } : null;
  };
  useLayoutEffect(() => {
    const element = scrollRef.current;
    const previous = anchor.current;
    shownRows.current = sortedRows;
    if (element && previous && previous.sortKey === sortKey) {
      const index = sortedRows.findIndex((row) => row.id === previous.id);
      if (index >= 0 && index !== previous.index) {
        element.scrollTop += (index - previous.index) * ROW_HEIGHT;
      }
    }
    rememberAnchor();
  }, [sortedRows]);

  useEffect(() => {
    if (sortedRows.length > 0 || !loading) {
      onRowsRendered?.(sortedRows.length);
    }
  });

  const [focusIndex, setFocusIndex] = useState(0);
  const focusRow = (index: number): void => {
    const target = Math.max(0, Math.min(sortedRows.length - 1, index));
    setFocusIndex(target);
    virtualizer.scrollToIndex(target, { align: 'auto' });
    requestAnimationFrame(() => {
      scrollRef.current?.querySelector<HTMLElement>(`tr[data-index="${target}"]`)?.focus();
    });
  };
  const toggle = (id: string): void => {
    const next = new Set(selected);
    if (next.has(id)) {
      next.delete(id);
    } else {
      next.add(id);
    }
    onSelectionChange(next);
  };
  const onRowKey = (event: KeyboardEvent<HTMLTableRowElement>, index: number, row: RunRow): void => {
    const page = Math.max(1, Math.floor((scrollRef.current?.clientHeight ?? 300) / ROW_HEIGHT) - 1);
    const moves: Record<string, number> = { ArrowDown: 1, ArrowUp: -1, PageDown: page, PageUp: -page };
    if (event.key in moves) {
      event.preventDefault();
      focusRow(index + moves[event.key]);
    } else if (event.key === 'Home' || event.key === 'End') {
      event.preventDefault();
      focusRow(event.key === 'Home' ? 0 : sortedRows.length - 1);
    } else if (event.key === ' ') {
      event.preventDefault();
      toggle(row.id);
    } else if (event.key === 'Enter') {
      window.location.hash = links.run(row.experimentId, row.id);
    }
  };

  const allSelected = sortedRows.length > 0 && sortedRows.every((row) => selected.has(row.id));
  const someSelected = !allSelected && sortedRows.some((row) => selected.has(row.id));
  const tabbableIndex = Math.min(focusIndex, sortedRows.length - 1);

  return (
    <div className="runs-table" data-testid="runs-table" data-row-count={rows.length} data-loading={loading ? 'true' : 'false'}>
      <div className="runs-scroll" ref={scrollRef} onScroll={rememberAnchor}>
        <table aria-rowcount={rows.length + 1}>
          <colgroup>
            <col style={{ width: 40 }} />
            {columnIds.map((id) => (
              <col key={id} style={{ width: FIXED_WIDTHS[id] ?? KEY_WIDTH }} />
            ))}
          </colgroup>
          <thead>
            <tr style={{ height: HEADER_HEIGHT }}>
              <th scope="col" className="select-cell">
                <input
                  type="checkbox"
                  aria-label="Select all runs shown"
                  checked={allSelected}
                  ref={(element) => {
                    if (element) {
                      element.indeterminate = someSelected;
                    }
                  }}
                  onChange={() => onSelectionChange(allSelected ? new Set() : new Set(sortedRows.map((row) => row.id)))}
                />
              </th>
              {table.getHeaderGroups()[0].headers.map((header) => {
                const id = header.column.id;
                const direction = sort?.id === id ? (sort.desc ? 'descending' : 'ascending') : 'none';
                const key = parseKeyColumn(id);
                return (
                  <th key={id} scope="col" aria-sort={direction} className={key ? `key-col key-${key.kind}` : undefined} title={id}>
                    <button type="button" className="sort-button" onClick={() => onSortClick(id, descendingFirst(id))} data-column-id={id}>
                      {key ? <span className="key-kind">{key.kind === 'metrics' ? 'm' : 'p'}</span> : null}
                      <span className="sort-label">{headerOf(id)}</span>
                      <span className="sort-arrow" aria-hidden="true">
                        {direction === 'ascending' ? '▲' : direction === 'descending' ? '▼' : ''}
                      </span>
                    </button>
                  </th>
                );
              })}
            </tr>
          </thead>
          <tbody>
            {paddingTop > 0 ? (
              <tr aria-hidden="true" style={{ height: paddingTop }}>
                <td colSpan={columnIds.length + 1} />
              </tr>
            ) : null}
            {items.map((item) => {
              const tableRow = sortedRows[item.index];
              if (!tableRow) {
                return null;
              }
              const row = tableRow.original;
              const isSelected = selected.has(row.id);
              return (
                <tr
                  key={row.id}
                  data-testid="run-row"
                  data-run-id={row.id}
                  data-index={item.index}
                  aria-rowindex={item.index + 2}
                  aria-selected={isSelected}
                  className={isSelected ? 'selected' : undefined}
                  style={{ height: ROW_HEIGHT }}
                  tabIndex={item.index === tabbableIndex ? 0 : -1}
                  onFocus={() => setFocusIndex(item.index)}
                  onKeyDown={(event) => onRowKey(event, item.index, row)}
                >
                  <td className="select-cell">
                    <input
                      type="checkbox"
                      tabIndex={-1}
                      aria-label={`Select run ${row.name}`}
                      checked={isSelected}
                      onChange={() => toggle(row.id)}
                    />
                  </td>
                  {columnIds.map((id) => (
                    <td key={id} data-column-id={id} className={parseKeyColumn(id)?.kind === 'metrics' ? 'num' : undefined}>
                      <Cell row={row} id={id} now={now} />
                    </td>
                  ))}
                </tr>
              );
            })}
            {paddingBottom > 0 ? (
              <tr aria-hidden="true" style={{ height: paddingBottom }}>
                <td colSpan={columnIds.length + 1} />
              </tr>
            ) : null}
          </tbody>
        </table>
        {rows.length === 0 && !loading ? <p className="runs-empty muted">{emptyText}</p> : null}
      </div>
    </div>
  );
}
