import { apiGet, apiRaw, pathOf } from '../api/client';
import type { ArtifactList, Experiment, MlflowRun, Run, Series } from '../api/types';
import { seriesQuery, type StepWindow } from './zoom';

/** A run as both APIs tell it: MLflow's runs/get (params, tags, latest metrics) and the native run (status reason). */
export interface RunDetails {
  mlflow: MlflowRun;
  native: Run | null;
}

export async function fetchRunDetails(runId: string, signal?: AbortSignal): Promise<RunDetails> {
  const [mlflow, native] = await Promise.all([
    apiGet<{ run: MlflowRun }>('/ajax-api/2.0/mlflow/runs/get', { run_id: runId }, signal),
    // The native run only adds the status reason: a page still works without it.
    apiGet<Run>(`/api/v1/runs/${pathOf(runId)}`, undefined, signal).catch((error: unknown) => {
      if (signal?.aborted) {
        throw error;
      }
      return null;
    }),
  ]);
  return { mlflow: mlflow.run, native };
}

export function fetchExperiment(experimentId: string, signal?: AbortSignal): Promise<Experiment> {
  return apiGet<Experiment>(`/api/v1/experiments/${pathOf(experimentId)}`, undefined, signal);
}

export function fetchSeries(runId: string, key: string, points: number, window: StepWindow | null, signal?: AbortSignal): Promise<Series> {
  return apiGet<Series>(`/api/v1/runs/${pathOf(runId)}/metrics/${pathOf(key)}/series`, seriesQuery(points, window), signal);
}

export function fetchArtifacts(runId: string, prefix: string, pageToken?: string, signal?: AbortSignal): Promise<ArtifactList> {
  return apiGet<ArtifactList>(
    `/api/v1/runs/${pathOf(runId)}/artifacts`,
    { prefix: prefix || undefined, delimiter: '/', page_token: pageToken },
    signal,
  );
}

/** The first `bytes` of an artifact (a Range request), or all of it without a limit. */
export async function fetchArtifact(runId: string, key: string, bytes?: number, signal?: AbortSignal): Promise<Blob> {
  const headers: Record<string, string> = bytes === undefined ? {} : { range: `bytes=0-${bytes - 1}` };
  const response = await apiRaw(artifactPath(runId, key), { headers, signal });
  return response.blob();
}

export function artifactPath(runId: string, key: string): string {
  return `/api/v1/runs/${pathOf(runId)}/artifacts/${key.split('/').map(encodeURIComponent).join('/')}`;
}

/** Saves an artifact through a temporary <a download>: the key travels as a header, so a plain link cannot. */
export async function downloadArtifact(runId: string, key: string): Promise<void> {
  const blob = await fetchArtifact(runId, key);
  const url = URL.createObjectURL(blob);
  const anchor = document.createElement('a');
  anchor.href = url;
  anchor.download = key.slice(key.lastIndexOf('/') + 1) || 'artifact';
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** MLflow status → the badge's class and words. */
export function statusLabel(status: MlflowRun['info']['status']): { className: string; text: string } {
  return { className: `status status-${status.toLowerCase()}`, text: status.toLowerCase() };
}
