import { executeSearch } from '../../../common/search/execute-search.js';
import { SearchPaging, SearchRow } from '../../../common/search/search-page.js';
import type { SqlClient } from '../../../database/sql-client.js';
import type { RunEntity } from '../entities/run.entity.js';
import { compileRunSearch, RunSearchSpec } from './run-search.sql.js';

/** RunsService.searchRuns: MLflow's SearchRuns over our runs. */
export interface RunSearchRequest extends SearchPaging {
  /** Public experiment ids; unknown ones simply match nothing. */
  experimentIds: readonly string[];
  /** MLflow filter, e.g. `metrics.acc > 0.5 AND params.lr = '0.01'`. */
  filter?: string;
  /** MLflow order_by entries, e.g. `['metrics.acc DESC']`. */
  orderBy?: readonly string[];
}

export interface RunSearchPage {
  /** In search order. */
  runs: RunEntity[];
  nextPageToken?: string;
}

/** Runs the compiled search; each row is the run and its sort key. */
export function queryRunSearch(sql: SqlClient, columns: readonly string[], spec: RunSearchSpec): Promise<SearchRow<RunEntity>[]> {
  return executeSearch<RunEntity>(sql, compileRunSearch(sql.dialect, columns, spec), columns);
}
