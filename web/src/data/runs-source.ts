import { apiPost } from '../api/client';
import type { MlflowRunSearchPage } from '../api/types';
import { toRunRow, type RunRow } from './run-rows';

const SEARCH_PATH = '/ajax-api/2.0/mlflow/runs/search';
/** A small first page so rows show at once, then the rest in pages as large as the server allows. */
export const FIRST_PAGE_SIZE = 200;
export const LATER_PAGE_SIZE = 50_000;
/** Most run ids in one live refresh (`attributes.run_id IN (...)`). */
export const LIVE_BATCH_SIZE = 500;

async function searchPage(
  experimentId: string,
  filter: string,
  maxResults: number,
  pageToken: string | undefined,
  signal: AbortSignal,
): Promise<MlflowRunSearchPage> {
  const body: Record<string, unknown> = { experiment_ids: [experimentId], max_results: maxResults };
  if (filter.trim()) {
    body.filter = filter.trim();
  }
  if (pageToken) {
    body.page_token = pageToken;
  }
  return apiPost<MlflowRunSearchPage>(SEARCH_PATH, body, signal);
}

/**
 * Every run of the experiment matching `filter`, page by page (newest first, the server's default
 * order): `onPage` gets each page's rows as they land and whether it was the last. Throws ApiError
 * (a 400 for a bad filter) from the first page; stops quietly when `signal` aborts.
 */
export async function loadRuns(
  experimentId: string,
  filter: string,
  signal: AbortSignal,
  onPage: (rows: RunRow[], first: boolean, done: boolean) => void,
): Promise<void> {
  let pageToken: string | undefined;
  let first = true;
  do {
    const page = await searchPage(experimentId, filter, first ? FIRST_PAGE_SIZE : LATER_PAGE_SIZE, pageToken, signal);
    if (signal.aborted) {
      return;
    }
    pageToken = page.next_page_token || undefined;
    onPage((page.runs ?? []).map(toRunRow), first, pageToken === undefined);
    first = false;
  } while (pageToken !== undefined);
}

/** `filter` narrowed to the given runs: which of them match it now. */
export function liveFilter(filter: string, runIds: readonly string[]): string {
  const list = runIds.map((id) => `'${id.replace(/'/g, "''")}'`).join(', ');
  const narrowed = `attributes.run_id IN (${list})`;
  return filter.trim() ? `${filter.trim()} AND ${narrowed}` : narrowed;
}

/** The current rows of the given runs that match `filter` (ids absent from the answer no longer match or are gone). */
export async function fetchRunsMatching(
  experimentId: string,
  filter: string,
  runIds: readonly string[],
  signal: AbortSignal,
): Promise<RunRow[]> {
  const rows: RunRow[] = [];
  for (let start = 0; start < runIds.length; start += LIVE_BATCH_SIZE) {
    const batch = runIds.slice(start, start + LIVE_BATCH_SIZE);
    const page = await searchPage(experimentId, liveFilter(filter, batch), batch.length, undefined, signal);
    rows.push(...(page.runs ?? []).map(toRunRow));
  }
  return rows;
}
