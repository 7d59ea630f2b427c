import { Injectable } from '@nestjs/common';
import { SqlClient } from '../../database/sql-client.js';
import { ChangeFeedService } from '../live/change-feed.service.js';
import { ChangeKind } from '../live/run-change.js';
import { StoredPoint } from '../metrics/metric.store.js';
import { metricKeysOf, MetricsService } from '../metrics/metrics.service.js';
import { checkDistinctParamKeys, ParamsService } from '../params/params.service.js';
import { RUN_NAME_TAG, RunsService, RunTag } from '../runs/runs.service.js';
import { IngestApi } from '../telemetry/telemetry.service.js';

/** Params, metrics and tags logged to one run by one request (MLflow's LogBatch). */
export interface RunBatch {
  params: readonly { key: string; value: string }[];
  points: readonly StoredPoint[];
  tags: readonly RunTag[];
}

/** What a batch changed: metrics, params, tags, and the status (the name) when it sets `mlflow.runName`. */
export function batchChangeKinds(batch: RunBatch): ChangeKind[] {
  const kinds: ChangeKind[] = [];
  if (batch.points.length > 0) {
    kinds.push('metrics');
  }
  if (batch.params.length > 0) {
    kinds.push('params');
  }
  if (batch.tags.length > 0) {
    kinds.push('tags');
  }
  if (batch.tags.some((tag) => tag.key === RUN_NAME_TAG)) {
    kinds.push('status');
  }
  return kinds;
}

/** Writes that span params, metrics and tags of a run: each part's rules stay in its own service. */
@Injectable()
export class RunBatchService {
  constructor(
    private readonly sql: SqlClient,
    private readonly runs: RunsService,
    private readonly params: ParamsService,
    private readonly metrics: MetricsService,
    private readonly changes: ChangeFeedService,
  ) {}

  /**
   * The whole batch in one transaction: unlike MLflow's server, a batch that fails stores
   * nothing, so a client's retry cannot meet half a batch. Params are text (compared as text).
   */
  async logBatch(runId: string, batch: RunBatch, api: IngestApi): Promise<void> {
    checkDistinctParamKeys(batch.params);
    if (batch.params.length === 0 && batch.tags.length === 0) {
      // Metrics only, the training loop's usual batch: the append is atomic on its own, and
      // without an outer transaction it takes the faster synchronous path.
      return this.metrics.logPoints(runId, batch.points, api);
    }
    const target = await this.runs.requireWritable(runId);
    await this.sql.transaction(async (tx) => {
      await this.params.storeParams(target, batch.params, 'text', tx);
      await this.metrics.appendPoints(target, batch.points, api, tx);
      await this.runs.storeTags(target.id, batch.tags, tx);
    });
    this.changes.runChanged(target, batchChangeKinds(batch), metricKeysOf(batch.points));
  }
}
