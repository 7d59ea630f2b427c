import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { apiGet, pathOf } from '../api/client';
import { followChanges } from '../api/events';
import type { Experiment } from '../api/types';
import { ColumnChooser } from '../components/column-chooser';
import { FilterBox } from '../components/filter-box';
import { RunsTable } from '../components/runs-table';
import { ChangeBatcher } from '../data/change-batcher';
import { appendRows, collectKeys, mergeLiveRows, type RunRow } from '../data/run-rows';
import { fetchRunsMatching, loadRuns } from '../data/runs-source';
import { defaultColumns, nextSort, readRunsView, toggleColumn, writeRunsView, type RunsView } from '../data/runs-view';
import { links, replaceQuery } from '../router';

/** Live refreshes of changed runs: one batched search at most every half second. */
const LIVE_INTERVAL_MS = 500;

interface Load {
  /** Bumped for every new search, so late answers of an older one are dropped. */
  generation: number;
  filter: string;
  rows: RunRow[];
  loading: boolean;
  error: string | null;
}

/** `#/experiments/{id}`: the runs of an experiment, filtered on the server, sorted and chosen on the client, live. */
export function RunsPage(props: { experimentId: string; query: URLSearchParams }) {
  const { experimentId, query } = props;
  const queryText = query.toString();
  const view = useMemo(() => readRunsView(new URLSearchParams(queryText)), [queryText]);
  const setView = useCallback(
    (change: Partial<RunsView>) => {
      const current = readRunsView(new URLSearchParams(queryText));
      replaceQuery(writeRunsView(new URLSearchParams(queryText), { ...current, ...change }));
    },
    [queryText],
  );

  const [experiment, setExperiment] = useState<Experiment | null>(null);
  const [experimentError, setExperimentError] = useState<string | null>(null);
  useEffect(() => {
    const controller = new AbortController();
    apiGet<Experiment>(`/api/v1/experiments/${pathOf(experimentId)}`, undefined, controller.signal).then(
      setExperiment,
      (error: unknown) => {
        if (!controller.signal.aborted) {
          setExperimentError(error instanceof Error ? error.message : String(error));
        }
      },
    );
    return () => controller.abort();
  }, [experimentId]);

  const [load, setLoad] = useState<Load>({ generation: 0, filter: view.filter, rows: [], loading: true, error: null });
  const generation = useRef(0);
  const appliedFilter = useRef(view.filter);
  useEffect(() => {
    const controller = new AbortController();
    const current = ++generation.current;
    appliedFilter.current = view.filter;
    setLoad({ generation: current, filter: view.filter, rows: [], loading: true, error: null });
    loadRuns(experimentId, view.filter, controller.signal, (page, first, done) => {
      if (generation.current !== current) {
        return;
      }
      setLoad((previous) => ({ ...previous, rows: first ? appendRows([], page) : appendRows(previous.rows, page), loading: !done }));
    }).catch((error: unknown) => {
      if (controller.signal.aborted || generation.current !== current) {
        return;
      }
      const message = error instanceof Error ? error.message : String(error);
      setLoad((previous) => ({ ...previous, loading: false, error: message }));
    });
    return () => controller.abort();
  }, [experimentId, view.filter]);

  // Live: the experiment's change stream names the runs that changed; the rows of those that match
  // the applied filter are fetched in batches and merged in place (scroll and selection stay).
  useEffect(() => {
    const controller = new AbortController();
    const batcher = new ChangeBatcher(async (ids) => {
      const current = generation.current;
      const fresh = await fetchRunsMatching(experimentId, appliedFilter.current, ids, controller.signal);
      if (generation.current === current) {
        setLoad((previous) => (previous.error ? previous : { ...previous, rows: mergeLiveRows(previous.rows, ids, fresh) }));
      }
    }, LIVE_INTERVAL_MS);
    const stop = followChanges(`/api/v1/experiments/${pathOf(experimentId)}/events`, (change) => batcher.add([change.run_id]));
    return () => {
      stop();
      batcher.dispose();
      controller.abort();
    };
  }, [experimentId]);

  // Instrumentation for the benchmark and the browser tests (see WEB.md).
  const marked = useRef({ rowsVisible: false, filterGeneration: 0 });
  const onRowsRendered = useCallback(
    (count: number) => {
      if (count > 0 && !marked.current.rowsVisible) {
        marked.current.rowsVisible = true;
        performance.mark('entrenar:runs-rows-visible');
      }
      if (load.generation > 1 && marked.current.filterGeneration !== load.generation && (count > 0 || !load.loading)) {
        marked.current.filterGeneration = load.generation;
        performance.mark('entrenar:runs-filter-applied');
      }
    },
    [load.generation, load.loading],
  );

  // While a filter matches nothing (or is invalid) the columns stay those of the last runs seen.
  const lastKeys = useRef<ReturnType<typeof collectKeys>>({ params: [], metrics: [] });
  const keys = useMemo(() => {
    if (load.rows.length > 0) {
      lastKeys.current = collectKeys(load.rows);
    }
    return lastKeys.current;
  }, [load.rows]);
  const keyColumns = useMemo(() => view.columns ?? defaultColumns(keys), [view.columns, keys]);
  const [selected, setSelected] = useState<Set<string>>(() => new Set());
  const selectedIds = [...selected];
  const name = experiment?.name ?? (experimentError ? `Experiment ${experimentId}` : '');

  return (
    <main className="page runs-page">
      <nav className="breadcrumb" aria-label="Breadcrumb">
        <a href={links.experiments()}>Experiments</a> <span aria-hidden="true">/</span>
      </nav>
      <div className="page-head">
        <h1>{name || '\u00a0'}</h1>
        <span className="muted" aria-live="polite">
          {load.error
            ? ''
            : `${load.rows.length.toLocaleString()} run${load.rows.length === 1 ? '' : 's'}${load.loading ? ' (loading…)' : ''}`}
        </span>
      </div>
      {experimentError ? <p className="error-text">{experimentError}</p> : null}
      <div className="toolbar">
        <FilterBox applied={view.filter} error={load.error} onApply={(filter) => setView({ filter })} />
        <ColumnChooser
          keys={keys}
          chosen={keyColumns}
          onToggle={(id) => setView({ columns: toggleColumn(keyColumns, id) })}
          onReset={() => setView({ columns: null })}
        />
        {selected.size > 0 ? (
          <button type="button" onClick={() => setSelected(new Set())}>
            Clear selection
          </button>
        ) : null}
        <button
          type="button"
          className="primary"
          disabled={selected.size < 2}
          title={selected.size < 2 ? 'Select two or more runs to compare them' : undefined}
          onClick={() => {
            window.location.hash = links.compare(selectedIds, [experimentId]);
          }}
        >
          Compare ({selected.size})
        </button>
      </div>
      <RunsTable
        rows={load.rows}
        keyColumns={keyColumns}
        sort={view.sort}
        onSortClick={(id, descendingFirst) => setView({ sort: nextSort(view.sort, id, descendingFirst) })}
        selected={selected}
        onSelectionChange={setSelected}
        loading={load.loading}
        onRowsRendered={onRowsRendered}
        emptyText={
          load.error ? 'No runs: the filter is not valid.' : view.filter ? 'No run matches the filter.' : 'No runs in this experiment yet.'
        }
      />
    </main>
  );
}
