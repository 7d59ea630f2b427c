import { memo, useEffect, useMemo, useRef, useState } from 'react';
import type { MlflowRun } from '../api/types';
import { ChartControls, settingsFromQuery, settingsToQuery, type ChartSettings } from '../components/chart-controls';
import { MetricChart, type ChartRun } from '../components/metric-chart';
import { ScatterChart } from '../components/scatter-chart';
import { formatValue } from '../data/format';
import { compareKeys, diffParams } from '../data/params-diff';
import { fetchRunDetails, statusLabel } from '../data/run-api';
import { buildScatter } from '../data/scatter';
import { links, parseIdList, replaceQuery } from '../router';
import { RUN_COLORS } from '../theme';

const Chart = memo(MetricChart);

type Loaded = { id: string; run: MlflowRun | null; error?: string };

/**
 * Several runs side by side: a legend of their colours, every metric they log overlaid in one
 * chart per key, a scatter of a chosen param against a chosen metric, and their params as a
 * diff table.
 */
export function ComparePage({ runIds, query }: { runIds: string[]; query: URLSearchParams }) {
  const [loaded, setLoaded] = useState<Loaded[] | null>(null);
  const [onlyDifferences, setOnlyDifferences] = useState(query.get('diff') === '1');
  const settings = settingsFromQuery(query);
  const queryRef = useRef(query);
  queryRef.current = query;
  const idsKey = runIds.join(',');

  useEffect(() => {
    const controller = new AbortController();
    setLoaded(null);
    const ids = idsKey ? idsKey.split(',') : [];
    void Promise.all(
      ids.map((id) =>
        fetchRunDetails(id, controller.signal).then(
          (details): Loaded => ({ id, run: details.mlflow }),
          (reason: unknown): Loaded => ({ id, run: null, error: reason instanceof Error ? reason.message : String(reason) }),
        ),
      ),
    ).then((all) => {
      if (!controller.signal.aborted) {
        setLoaded(all);
      }
    });
    return () => controller.abort();
  }, [idsKey]);

  const runs = useMemo(() => (loaded ?? []).filter((entry): entry is Loaded & { run: MlflowRun } => entry.run !== null), [loaded]);
  const chartRuns = useMemo<ChartRun[]>(
    () =>
      runs.map((entry, index) => ({
        id: entry.id,
        name: entry.run.info.run_name ?? entry.id,
        color: RUN_COLORS[index % RUN_COLORS.length],
        startTime: entry.run.info.start_time,
      })),
    [runs],
  );
  const metricKeys = useMemo(
    () => [...new Set(runs.flatMap((entry) => (entry.run.data.metrics ?? []).map((metric) => metric.key)))].sort(compareKeys),
    [runs],
  );
  // For each key, the runs that log it, in legend order (so colours match the legend).
  const runsByKey = useMemo(() => {
    const map = new Map<string, ChartRun[]>();
    for (const key of metricKeys) {
      map.set(
        key,
        chartRuns.filter((_, index) => (runs[index].run.data.metrics ?? []).some((metric) => metric.key === key)),
      );
    }
    return map;
  }, [metricKeys, chartRuns, runs]);
  const diff = useMemo(() => diffParams(runs.map((entry) => entry.run.data.params ?? [])), [runs]);

  const changeSettings = (next: ChartSettings): void => replaceQuery(settingsToQuery(next, queryRef.current));
  const toggleDifferences = (value: boolean): void => {
    setOnlyDifferences(value);
    const next = new URLSearchParams(queryRef.current);
    if (value) {
      next.set('diff', '1');
    } else {
      next.delete('diff');
    }
    replaceQuery(next);
  };

  const experimentIds = parseIdList(query.get('experiments'));
  const backLink = experimentIds.length === 1 ? links.runs(experimentIds[0]) : null;

  if (runIds.length === 0) {
    return (
      <main className="page">
        <h1>Compare runs</h1>
        <p className="muted">
          No runs chosen. Select runs in an experiment&apos;s runs table and press Compare.{' '}
          <a href={links.experiments()}>All experiments</a>
        </p>
      </main>
    );
  }

  const failed = (loaded ?? []).filter((entry) => entry.run === null);
  const rows = onlyDifferences ? diff.filter((row) => row.differs) : diff;
  return (
    <main className="page compare-page">
      <nav aria-label="Breadcrumb" className="breadcrumbs page-crumbs">
        <a href={links.experiments()}>Experiments</a>
        {backLink ? (
          <>
            <span className="muted"> / </span>
            <a href={backLink}>Runs</a>
          </>
        ) : null}
        <span className="muted"> / </span>
        <span aria-current="page">Compare</span>
      </nav>
      <h1>
        Compare {runIds.length} run{runIds.length === 1 ? '' : 's'}
      </h1>
      {loaded === null ? <p className="muted">Loading runs…</p> : null}
      {failed.map((entry) => (
        <p key={entry.id} className="error-text" role="alert">
          Could not load run {entry.id}: {entry.error}
        </p>
      ))}
      {runs.length > 0 ? (
        <ul className="run-legend" aria-label="Runs compared" data-testid="run-legend">
          {runs.map((entry, index) => {
            const status = statusLabel(entry.run.info.status);
            return (
              <li key={entry.id}>
                <span className="swatch" style={{ background: chartRuns[index].color }} aria-hidden="true" />
                <a href={links.run(entry.run.info.experiment_id, entry.id)}>{chartRuns[index].name}</a>
                <span className={status.className}>{status.text}</span>
              </li>
            );
          })}
        </ul>
      ) : null}

      {runs.length > 0 ? (
        <>
          <section aria-labelledby="compare-metrics-title">
            <div className="section-head">
              <h2 id="compare-metrics-title">Metrics</h2>
              <ChartControls settings={settings} onChange={changeSettings} />
            </div>
            {metricKeys.length === 0 ? <p className="muted">These runs have no metrics.</p> : null}
            <div className="chart-grid">
              {metricKeys.map((key) => (
                <div key={key} className="chart-card">
                  <Chart
                    metricKey={key}
                    runs={runsByKey.get(key) ?? []}
                    xMode={settings.xMode}
                    logScale={settings.logScale}
                    smoothing={settings.smoothing}
                  />
                </div>
              ))}
            </div>
          </section>

          <ScatterSection runs={runs.map((entry) => entry.run)} chartRuns={chartRuns} metricKeys={metricKeys} paramKeys={diff} />

          <section aria-labelledby="params-diff-title">
            <div className="section-head">
              <h2 id="params-diff-title">Parameters</h2>
              <label className="check">
                <input type="checkbox" checked={onlyDifferences} onChange={(event) => toggleDifferences(event.target.checked)} />
                Only differences ({diff.filter((row) => row.differs).length})
              </label>
            </div>
            {diff.length === 0 ? (
              <p className="muted">No parameters logged.</p>
            ) : (
              <div className="table-scroll">
                <table className="data-table diff-table" data-testid="params-diff">
                  <thead>
                    <tr>
                      <th scope="col">Param</th>
                      {chartRuns.map((run) => (
                        <th scope="col" key={run.id}>
                          <span className="swatch" style={{ background: run.color }} aria-hidden="true" /> {run.name}
                        </th>
                      ))}
                    </tr>
                  </thead>
                  <tbody>
                    {rows.map((row) => (
                      <tr
                        key={row.key}
                        className={row.differs ? 'differs' : undefined}
                        data-testid="param-row"
                        data-key={row.key}
                        data-differs={row.differs}
                      >
                        <th scope="row" className="mono">
                          {row.key}
                          {row.differs ? <span className="visually-hidden"> (differs)</span> : null}
                        </th>
                        {row.values.map((value, index) => (
                          <td key={chartRuns[index].id} className="mono wrap">
                            {value ?? <span className="muted">—</span>}
                          </td>
                        ))}
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>
        </>
      ) : null}
    </main>
  );
}

function ScatterSection({
  runs,
  chartRuns,
  metricKeys,
  paramKeys,
}: {
  runs: MlflowRun[];
  chartRuns: ChartRun[];
  metricKeys: string[];
  paramKeys: { key: string; differs: boolean }[];
}) {
  // Default: the first param that differs (the interesting one) against the first metric.
  const [param, setParam] = useState<string>('');
  const [metric, setMetric] = useState<string>('');
  const chosenParam = param || (paramKeys.find((row) => row.differs) ?? paramKeys[0])?.key || '';
  const chosenMetric = metric || metricKeys[0] || '';
  const scatter = useMemo(
    () =>
      buildScatter(
        runs.map((run) => ({
          param: run.data.params?.find((entry) => entry.key === chosenParam)?.value,
          metric: run.data.metrics?.find((entry) => entry.key === chosenMetric)?.value,
        })),
      ),
    [runs, chosenParam, chosenMetric],
  );
  const colors = useMemo(() => chartRuns.map((run) => run.color), [chartRuns]);
  const names = useMemo(() => chartRuns.map((run) => run.name), [chartRuns]);
  if (paramKeys.length === 0 || metricKeys.length === 0) {
    return null;
  }
  return (
    <section aria-labelledby="scatter-title">
      <div className="section-head">
        <h2 id="scatter-title">Param against metric</h2>
        <div className="chart-controls">
          <label>
            Param (x){' '}
            <select value={chosenParam} onChange={(event) => setParam(event.target.value)}>
              {paramKeys.map((row) => (
                <option key={row.key} value={row.key}>
                  {row.key}
                </option>
              ))}
            </select>
          </label>
          <label>
            Metric (y, latest){' '}
            <select value={chosenMetric} onChange={(event) => setMetric(event.target.value)}>
              {metricKeys.map((key) => (
                <option key={key} value={key}>
                  {key}
                </option>
              ))}
            </select>
          </label>
        </div>
      </div>
      <div className="chart-card">
        <ScatterChart scatter={scatter} colors={colors} names={names} xLabel={chosenParam} yLabel={chosenMetric} />
        <p className="muted small-text">
          {scatter.plotted} of {runs.length} runs have both values.{' '}
          {scatter.plotted > 0
            ? runs
                .map((run, index) => {
                  const value = run.data.metrics?.find((entry) => entry.key === chosenMetric)?.value;
                  return value === undefined ? null : `${names[index]}: ${formatValue(value)}`;
                })
                .filter(Boolean)
                .join(' · ')
            : null}
        </p>
      </div>
    </section>
  );
}
