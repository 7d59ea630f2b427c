import { useEffect, useState } from 'react';

/**
 * Hash routes, the same as MLflow's UI so the links its client prints ("View run at
 * http://host/#/experiments/1/runs/abc") open the right page:
 *   #/                                   experiments list
 *   #/experiments/{id}                   runs table of an experiment
 *   #/experiments/{id}/runs/{runId}      run page
 *   #/compare-runs?runs=["a","b"]        compare runs
 * A query after `?` inside the hash keeps page state (filter, columns, sort) shareable.
 */
export type Route =
  | { page: 'experiments'; query: URLSearchParams }
  | { page: 'runs'; experimentId: string; query: URLSearchParams }
  | { page: 'run'; experimentId: string; runId: string; query: URLSearchParams }
  | { page: 'compare'; runIds: string[]; query: URLSearchParams }
  | { page: 'not-found'; path: string; query: URLSearchParams };

export function parseRoute(hash: string): Route {
  const bare = hash.startsWith('#') ? hash.slice(1) : hash;
  const queryAt = bare.indexOf('?');
  const path = (queryAt < 0 ? bare : bare.slice(0, queryAt)) || '/';
  const query = new URLSearchParams(queryAt < 0 ? '' : bare.slice(queryAt + 1));
  const parts = path
    .split('/')
    .filter((part) => part.length > 0)
    .map(decodeURIComponent);
  if (parts.length === 0 || (parts.length === 1 && parts[0] === 'experiments')) {
    return { page: 'experiments', query };
  }
  if (parts[0] === 'experiments' && parts.length === 2) {
    return { page: 'runs', experimentId: parts[1], query };
  }
  if (parts[0] === 'experiments' && parts.length === 4 && parts[2] === 'runs') {
    return { page: 'run', experimentId: parts[1], runId: parts[3], query };
  }
  if (parts[0] === 'compare-runs' && parts.length === 1) {
    return { page: 'compare', runIds: parseIdList(query.get('runs')), query };
  }
  return { page: 'not-found', path, query };
}

/** MLflow writes `runs=["a","b"]` (JSON); a plain comma list is accepted too. */
export function parseIdList(text: string | null): string[] {
  if (!text) {
    return [];
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (Array.isArray(parsed)) {
      return parsed.filter((item): item is string => typeof item === 'string' && item.length > 0);
    }
  } catch {
    // not JSON: a comma list
  }
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

export const links = {
  experiments: (): string => '#/',
  runs: (experimentId: string, query?: URLSearchParams): string =>
    `#/experiments/${encodeURIComponent(experimentId)}${query && query.size > 0 ? `?${query.toString()}` : ''}`,
  run: (experimentId: string, runId: string): string =>
    `#/experiments/${encodeURIComponent(experimentId)}/runs/${encodeURIComponent(runId)}`,
  compare: (runIds: readonly string[], experimentIds: readonly string[] = []): string => {
    const query = new URLSearchParams({ runs: JSON.stringify(runIds) });
    if (experimentIds.length > 0) {
      query.set('experiments', JSON.stringify(experimentIds));
    }
    return `#/compare-runs?${query.toString()}`;
  },
};

/** Replaces the hash query of the current route without adding a history entry (state in the URL). */
export function replaceQuery(query: URLSearchParams): void {
  const bare = window.location.hash.slice(1);
  const queryAt = bare.indexOf('?');
  const path = queryAt < 0 ? bare : bare.slice(0, queryAt);
  const text = query.toString();
  window.history.replaceState(null, '', `#${path || '/'}${text ? `?${text}` : ''}`);
  window.dispatchEvent(new HashChangeEvent('hashchange'));
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const update = (): void => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}
