import { InvalidRequestError } from '../errors.js';
import { CursorValue, decodeSearchToken, encodeSearchToken, orderSignature } from './keyset.js';
import { SEARCH_DEFAULT_MAX_RESULTS, SEARCH_MAX_RESULTS, VIEW_TYPE_STAGES, ViewType } from './view-type.js';

/** A matching row and its sort key (the `sort_<i>` columns), as the search repositories return them. */
export interface SearchRow<T> {
  entity: T;
  sortKey: CursorValue[];
}

/** What every search request shares: view type, page size and page token. */
export interface SearchPaging {
  viewType: ViewType;
  /** 1..50,000; default 1,000 (MLflow's bounds). */
  maxResults?: number;
  pageToken?: string;
}

export interface SearchWindow {
  lifecycleStages: readonly ('active' | 'deleted')[];
  /** Page size. */
  maxResults: number;
  /** Signature of the full order, for page tokens. */
  signature: string;
  after?: CursorValue[];
}

/** Checks view type, page size and page token (against the full order) of a search request. */
export function searchWindow(paging: SearchPaging, order: unknown): SearchWindow {
  const maxResults = paging.maxResults ?? SEARCH_DEFAULT_MAX_RESULTS;
  if (!Number.isSafeInteger(maxResults) || maxResults < 1 || maxResults > SEARCH_MAX_RESULTS) {
    throw new InvalidRequestError(
      `max_results: must be an integer from 1 to ${SEARCH_MAX_RESULTS}, got ${String(maxResults)}`,
      'INVALID_PARAMETER_VALUE',
    );
  }
  if (!Object.hasOwn(VIEW_TYPE_STAGES, paging.viewType)) {
    throw new InvalidRequestError(
      `view_type: must be ACTIVE_ONLY, DELETED_ONLY or ALL, got ${String(paging.viewType)}`,
      'INVALID_PARAMETER_VALUE',
    );
  }
  const signature = orderSignature(order);
  return {
    lifecycleStages: VIEW_TYPE_STAGES[paging.viewType],
    maxResults,
    signature,
    after: paging.pageToken ? decodeSearchToken(paging.pageToken, signature) : undefined,
  };
}

/** Given up to `maxResults + 1` rows, the page and the token of the next one (if any). */
export function searchPage<T>(rows: readonly SearchRow<T>[], window: SearchWindow): { items: T[]; nextPageToken?: string } {
  const hasMore = rows.length > window.maxResults;
  const pageRows = hasMore ? rows.slice(0, window.maxResults) : rows;
  return {
    items: pageRows.map((row) => row.entity),
    nextPageToken: hasMore ? encodeSearchToken(window.signature, pageRows[pageRows.length - 1].sortKey) : undefined,
  };
}
