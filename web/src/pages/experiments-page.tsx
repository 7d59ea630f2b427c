import { useEffect, useMemo, useState } from 'react';
import { apiGet, apiPost } from '../api/client';
import type { Experiment, ExperimentList, MlflowRunSearchPage } from '../api/types';
import { CopyBlock } from '../components/copy-block';
import { filterExperiments, firstRunSnippet, isFreshInstall, lastActivity, sortExperiments } from '../data/experiments';
import { formatDateTime, relativeTime } from '../data/format';
import { links } from '../router';

const PAGE_SIZE = 1000;

/** Every experiment, following next_page_token. */
async function loadExperiments(signal: AbortSignal): Promise<Experiment[]> {
  const experiments: Experiment[] = [];
  let pageToken: string | undefined;
  do {
    const page = await apiGet<ExperimentList>('/api/v1/experiments', { max_results: PAGE_SIZE, page_token: pageToken }, signal);
    experiments.push(...page.experiments);
    pageToken = page.next_page_token || undefined;
  } while (pageToken !== undefined);
  return experiments;
}

/** Whether the Default experiment has a run, for servers whose list does not count runs. */
async function defaultHasRuns(signal: AbortSignal): Promise<boolean> {
  const page = await apiPost<MlflowRunSearchPage>('/ajax-api/2.0/mlflow/runs/search', { experiment_ids: ['0'], max_results: 1 }, signal);
  return (page.runs ?? []).length > 0;
}

type Loaded = { state: 'loading' } | { state: 'error'; message: string } | { state: 'ready'; experiments: Experiment[]; fresh: boolean };

function FirstRun() {
  return (
    <section className="empty-state" aria-labelledby="first-run-title">
      <h2 id="first-run-title">Log your first run</h2>
      <p className="muted">
        Nothing has been logged to this server yet. With MLflow&apos;s Python client (pip install mlflow), three lines do it:
      </p>
      <CopyBlock label="Python code that logs a first run" code={firstRunSnippet(window.location.origin)} />
      <p className="muted">The run shows up here as soon as it is logged.</p>
    </section>
  );
}

/** `#/`: every experiment with its run count and last activity, searchable by name. */
export function ExperimentsPage(props: { query: URLSearchParams }) {
  const [loaded, setLoaded] = useState<Loaded>({ state: 'loading' });
  const [search, setSearch] = useState('');
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const controller = new AbortController();
    const load = async (): Promise<void> => {
      const experiments = await loadExperiments(controller.signal);
      let fresh = isFreshInstall(experiments);
      if (!fresh && experiments.length === 1 && experiments[0].id === '0' && experiments[0].run_count === undefined) {
        fresh = isFreshInstall(experiments, await defaultHasRuns(controller.signal));
      }
      setNow(Date.now());
      setLoaded({ state: 'ready', experiments: sortExperiments(experiments), fresh });
    };
    load().catch((error: unknown) => {
      if (!controller.signal.aborted) {
        setLoaded({ state: 'error', message: error instanceof Error ? error.message : String(error) });
      }
    });
    return () => controller.abort();
  }, [props.query]);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(timer);
  }, []);

  const shown = useMemo(() => (loaded.state === 'ready' ? filterExperiments(loaded.experiments, search) : []), [loaded, search]);
  return (
    <main className="page experiments-page">
      <div className="page-head">
        <h1>Experiments</h1>
        {loaded.state === 'ready' ? (
          <span className="muted">
            {loaded.experiments.length} experiment{loaded.experiments.length === 1 ? '' : 's'}
          </span>
        ) : null}
      </div>
      {loaded.state === 'loading' ? <p className="muted">Loading…</p> : null}
      {loaded.state === 'error' ? <p className="error-text">Could not load the experiments: {loaded.message}</p> : null}
      {loaded.state === 'ready' && loaded.fresh ? <FirstRun /> : null}
      {loaded.state === 'ready' && loaded.experiments.length > 0 ? (
        <>
          <div className="toolbar">
            <input
              type="search"
              className="grow"
              aria-label="Search experiments"
              placeholder="Search experiments by name…"
              value={search}
              onChange={(event) => setSearch(event.target.value)}
            />
          </div>
          <table className="data-table" data-testid="experiments-table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col" className="num">
                  Runs
                </th>
                <th scope="col">Last activity</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((experiment) => {
                const activity = lastActivity(experiment);
                return (
                  <tr key={experiment.id} data-testid="experiment-row" data-experiment-id={experiment.id}>
                    <td>
                      <a href={links.runs(experiment.id)}>{experiment.name}</a>
                    </td>
                    <td className="num" data-testid="run-count">
                      {experiment.run_count ?? '—'}
                    </td>
                    <td>
                      <time dateTime={new Date(activity).toISOString()} title={new Date(activity).toISOString()}>
                        {relativeTime(activity, now)}
                      </time>
                    </td>
                    <td>
                      <time dateTime={experiment.created_at} title={experiment.created_at}>
                        {formatDateTime(Date.parse(experiment.created_at))}
                      </time>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          {shown.length === 0 ? <p className="muted">No experiment name contains “{search.trim()}”.</p> : null}
        </>
      ) : null}
    </main>
  );
}
