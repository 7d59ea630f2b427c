import type { Experiment } from '../api/types';

/** Time of an experiment's latest sign of life (its runs', else its own update), epoch ms. */
export function lastActivity(experiment: Experiment): number {
  return Date.parse(experiment.last_activity_at ?? experiment.updated_at ?? experiment.created_at) || 0;
}

/** Most recently active first, then by name. */
export function sortExperiments(experiments: readonly Experiment[]): Experiment[] {
  return experiments.slice().sort((a, b) => lastActivity(b) - lastActivity(a) || a.name.localeCompare(b.name));
}

/** Experiments whose name contains `search`, ignoring case (and surrounding blanks). */
export function filterExperiments(experiments: readonly Experiment[], search: string): Experiment[] {
  const needle = search.trim().toLocaleLowerCase();
  return needle ? experiments.filter((experiment) => experiment.name.toLocaleLowerCase().includes(needle)) : experiments.slice();
}

/**
 * Nothing logged yet: no experiment, or only the Default one (id 0) without runs. `run_count` unknown
 * (an older server) counts as not empty unless `defaultHasRuns` says otherwise.
 */
export function isFreshInstall(experiments: readonly Experiment[], defaultHasRuns?: boolean): boolean {
  if (experiments.length === 0) {
    return true;
  }
  if (experiments.length > 1 || experiments[0].id !== '0') {
    return false;
  }
  const count = experiments[0].run_count;
  return count === undefined ? defaultHasRuns === false : count === 0;
}

/** The three lines that log a first run to this server, with MLflow's Python client. */
export function firstRunSnippet(origin: string): string {
  return [
    'import mlflow',
    `mlflow.set_tracking_uri(${JSON.stringify(origin)})`,
    'with mlflow.start_run(): mlflow.log_metric("loss", 0.5)',
  ].join('\n');
}
