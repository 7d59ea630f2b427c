import { memo, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { followChanges } from '../api/events';
import { pathOf } from '../api/client';
import type { RunChange } from '../api/types';
import { ArtifactBrowser } from '../components/artifact-browser';
import { ChartControls, settingsFromQuery, settingsToQuery, type ChartSettings } from '../components/chart-controls';
import { MetricChart, type ChartRun } from '../components/metric-chart';
import { formatDateTime, formatDuration } from '../data/format';
import { compareKeys } from '../data/params-diff';
import { fetchExperiment, fetchRunDetails, statusLabel, type RunDetails } from '../data/run-api';
import { links, replaceQuery } from '../router';
import { RUN_COLORS } from '../theme';

const Chart = memo(MetricChart);

/** A run's duration so far, ticking once a second while it runs. */
function Elapsed({ start, end }: { start?: number; end?: number }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (start === undefined || end !== undefined) {
      return;
    }
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [start, end]);
  if (start === undefined) {
    return <>—</>;
  }
  return <>{formatDuration((end ?? now) - start)}</>;
}

function KeyValueTable({ caption, rows, empty }: { caption: string; rows: { key: string; value: string }[]; empty: string }) {
  if (rows.length === 0) {
    return <p className="muted">{empty}</p>;
  }
  return (
    <table className="data-table kv-table">
      <caption className="visually-hidden">{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Key</th>
          <th scope="col">Value</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row.key}>
            <th scope="row" className="mono">
              {row.key}
            </th>
            <td className="mono wrap">{row.value}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * One run: header (name, status and why, times), a chart per metric that follows the run live,
 * its params and tags, and its artifacts. The MLflow client's "View run at …" link lands here.
 */
export function RunPage({ experimentId, runId, query }: { experimentId: string; runId: string; query: URLSearchParams }) {
  const [details, setDetails] = useState<RunDetails | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [experimentName, setExperimentName] = useState<string | null>(null);
  const [metricKeys, setMetricKeys] = useState<string[]>([]);
  const [refreshes, setRefreshes] = useState<Record<string, number>>({});
  const [artifactsRefresh, setArtifactsRefresh] = useState(0);
  const [showSystemTags, setShowSystemTags] = useState(false);
  const settings = settingsFromQuery(query);
  const queryRef = useRef(query);
  queryRef.current = query;

  const loadDetails = useCallback(
    (signal?: AbortSignal) =>
      fetchRunDetails(runId, signal).then(
        (loaded) => {
          setDetails(loaded);
          setError(null);
          const keys = (loaded.mlflow.data.metrics ?? []).map((metric) => metric.key);
          setMetricKeys((previous) => mergeKeys(previous, keys));
        },
        (reason: unknown) => {
          if (!signal?.aborted) {
            setError(reason instanceof Error ? reason.message : String(reason));
          }
        },
      ),
    [runId],
  );

  useEffect(() => {
    const controller = new AbortController();
    setDetails(null);
    setMetricKeys([]);
    setRefreshes({});
    void loadDetails(controller.signal);
    return () => controller.abort();
  }, [loadDetails]);

  useEffect(() => {
    const controller = new AbortController();
    fetchExperiment(experimentId, controller.signal).then(
      (experiment) => setExperimentName(experiment.name),
      () => setExperimentName(null),
    );
    return () => controller.abort();
  }, [experimentId]);

  // Live: charts of the keys that changed fetch again at once (the server already coalesces).
  useEffect(() => {
    let readies = 0;
    const onChange = (change: RunChange): void => {
      if (change.kinds.includes('metrics')) {
        const keys = change.metric_keys;
        if (keys && keys.length > 0) {
          setMetricKeys((previous) => mergeKeys(previous, keys));
          setRefreshes((previous) => bump(previous, keys));
        } else {
          setRefreshes((previous) => bump(previous, [], true));
          void loadDetails();
        }
      }
      if (change.kinds.some((kind) => kind === 'status' || kind === 'params' || kind === 'tags' || kind === 'deleted')) {
        void loadDetails();
      }
      if (change.kinds.includes('artifacts')) {
        setArtifactsRefresh((value) => value + 1);
      }
    };
    // After a reconnect changes may have been missed: catch up once.
    const onReady = (): void => {
      readies++;
      if (readies > 1) {
        void loadDetails();
        setRefreshes((previous) => bump(previous, [], true));
        setArtifactsRefresh((value) => value + 1);
      }
    };
    return followChanges(`/api/v1/runs/${pathOf(runId)}/events`, onChange, onReady);
  }, [runId, loadDetails]);

  const run = details?.mlflow;
  const chartRuns = useMemo<ChartRun[]>(
    () =>
      run
        ? [{ id: run.info.run_id, name: run.info.run_name ?? run.info.run_id, color: RUN_COLORS[0], startTime: run.info.start_time }]
        : [],
    [run],
  );
  // The chart runs change identity with every details fetch; keep them stable while nothing drawn changed.
  const stableRuns = useStable(chartRuns);

  const changeSettings = (next: ChartSettings): void => replaceQuery(settingsToQuery(next, queryRef.current));

  if (error && !details) {
    return (
      <main className="page">
        <Breadcrumbs experimentId={experimentId} experimentName={experimentName} runName={runId} />
        <h1>Run {runId}</h1>
        <p className="error-text" role="alert">
          Could not load this run: {error}
        </p>
      </main>
    );
  }
  if (!run) {
    return (
      <main className="page">
        <Breadcrumbs experimentId={experimentId} experimentName={experimentName} runName={runId} />
        <h1 className="muted">Loading run…</h1>
      </main>
    );
  }

  const name = run.info.run_name ?? run.info.run_id;
  const status = statusLabel(run.info.status);
  const reason = details.native?.status_reason;
  const params = [...(run.data.params ?? [])].sort((a, b) => compareKeys(a.key, b.key));
  const allTags = [...(run.data.tags ?? [])].sort((a, b) => compareKeys(a.key, b.key));
  const systemTags = allTags.filter((tag) => tag.key.startsWith('mlflow.'));
  const tags = showSystemTags ? allTags : allTags.filter((tag) => !tag.key.startsWith('mlflow.'));

  return (
    <main className="page run-page">
      <Breadcrumbs experimentId={run.info.experiment_id || experimentId} experimentName={experimentName} runName={name} />
      <header className="run-header">
        <div className="run-title">
          <h1>{name}</h1>
          <span className={status.className} data-testid="run-status">
            {status.text}
          </span>
          <a className="button-link" href={links.compare([run.info.run_id], [run.info.experiment_id])}>
            Compare…
          </a>
        </div>
        {reason ? (
          <p className="status-reason" data-testid="status-reason">
            {status.text} — {reason}
          </p>
        ) : null}
        <dl className="run-meta">
          <div>
            <dt>Started</dt>
            <dd>{formatDateTime(run.info.start_time)}</dd>
          </div>
          <div>
            <dt>Ended</dt>
            <dd>{formatDateTime(run.info.end_time)}</dd>
          </div>
          <div>
            <dt>Duration</dt>
            <dd>
              <Elapsed start={run.info.start_time} end={run.info.end_time} />
            </dd>
          </div>
          <div>
            <dt>Run id</dt>
            <dd className="mono">{run.info.run_id}</dd>
          </div>
        </dl>
      </header>

      <section aria-labelledby="metrics-title">
        <div className="section-head">
          <h2 id="metrics-title">Metrics</h2>
          <ChartControls settings={settings} onChange={changeSettings} />
        </div>
        {metricKeys.length === 0 ? (
          <p className="muted">No metrics logged yet. They appear here as the run logs them.</p>
        ) : (
          <div className="chart-grid">
            {metricKeys.map((key) => (
              <div key={key} className="chart-card">
                <Chart
                  metricKey={key}
                  runs={stableRuns}
                  xMode={settings.xMode}
                  logScale={settings.logScale}
                  smoothing={settings.smoothing}
                  refresh={(refreshes[key] ?? 0) + (refreshes['*'] ?? 0)}
                />
              </div>
            ))}
          </div>
        )}
      </section>

      <div className="two-columns">
        <section aria-labelledby="params-title">
          <h2 id="params-title">Parameters ({params.length})</h2>
          <KeyValueTable caption="Parameters" rows={params} empty="No parameters." />
        </section>
        <section aria-labelledby="tags-title">
          <div className="section-head">
            <h2 id="tags-title">Tags ({tags.length})</h2>
            {systemTags.length > 0 ? (
              <label className="check">
                <input type="checkbox" checked={showSystemTags} onChange={(event) => setShowSystemTags(event.target.checked)} />
                Show {systemTags.length} system tag{systemTags.length === 1 ? '' : 's'} (mlflow.*)
              </label>
            ) : null}
          </div>
          <KeyValueTable caption="Tags" rows={tags} empty="No tags." />
        </section>
      </div>

      <ArtifactBrowser runId={run.info.run_id} refresh={artifactsRefresh} />
    </main>
  );
}

function Breadcrumbs({ experimentId, experimentName, runName }: { experimentId: string; experimentName: string | null; runName: string }) {
  return (
    <nav aria-label="Breadcrumb" className="breadcrumbs page-crumbs">
      <a href={links.experiments()}>Experiments</a>
      <span className="muted"> / </span>
      <a href={links.runs(experimentId)}>{experimentName ?? experimentId}</a>
      <span className="muted"> / </span>
      <span aria-current="page">{runName}</span>
    </nav>
  );
}

function mergeKeys(previous: string[], keys: readonly string[]): string[] {
  const missing = keys.filter((key) => !previous.includes(key));
  return missing.length === 0 ? previous : [...previous, ...missing].sort(compareKeys);
}

/** Refresh counters per metric key; `*` counts the changes that concern every chart. */
function bump(previous: Record<string, number>, keys: readonly string[], all = false): Record<string, number> {
  const next = { ...previous };
  for (const key of keys) {
    next[key] = (next[key] ?? 0) + 1;
  }
  if (all) {
    next['*'] = (next['*'] ?? 0) + 1;
  }
  return next;
}

/** The same array as last time while its JSON is the same (so memoised children skip the render). */
function useStable<T>(value: T): T {
  const ref = useRef<{ json: string; value: T } | null>(null);
  const json = JSON.stringify(value);
  if (!ref.current || ref.current.json !== json) {
    ref.current = { json, value };
  }
  return ref.current.value;
}
