/** MLflow's ViewType: which lifecycle stages a search returns. */
export type ViewType = 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL';

export const VIEW_TYPE_STAGES: Readonly<Record<ViewType, readonly ('active' | 'deleted')[]>> = {
  ACTIVE_ONLY: ['active'],
  DELETED_ONLY: ['deleted'],
  ALL: ['active', 'deleted'],
};

/** MLflow's bounds on a search page (`SEARCH_MAX_RESULTS_DEFAULT`, `SEARCH_MAX_RESULTS_THRESHOLD`). */
export const SEARCH_DEFAULT_MAX_RESULTS = 1000;
export const SEARCH_MAX_RESULTS = 50_000;
