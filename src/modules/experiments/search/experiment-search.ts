import { executeSearch } from '../../../common/search/execute-search.js';
import { SearchPaging, SearchRow } from '../../../common/search/search-page.js';
import type { SqlClient } from '../../../database/sql-client.js';
import type { ExperimentEntity } from '../entities/experiment.entity.js';
import { compileExperimentSearch, ExperimentSearchSpec } from './experiment-search.sql.js';

/** ExperimentsService.searchExperiments: MLflow's SearchExperiments over our experiments. */
export interface ExperimentSearchRequest extends SearchPaging {
  /** MLflow filter, e.g. `name LIKE 'bert-%' AND tags.team = 'nlp'`. */
  filter?: string;
  /** MLflow order_by entries; default `['creation_time DESC', 'experiment_id ASC']`. */
  orderBy?: readonly string[];
}

export interface ExperimentSearchPage {
  experiments: ExperimentEntity[];
  nextPageToken?: string;
}

/** Runs the compiled search; each row is the experiment and its sort key. */
export function queryExperimentSearch(
  sql: SqlClient,
  columns: readonly string[],
  spec: ExperimentSearchSpec,
): Promise<SearchRow<ExperimentEntity>[]> {
  return executeSearch<ExperimentEntity>(sql, compileExperimentSearch(sql.dialect, columns, spec), columns);
}
