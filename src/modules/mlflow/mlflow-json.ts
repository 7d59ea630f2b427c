import { RunEntity, RunStatus } from '../runs/entities/run.entity.js';
import { ExperimentEntity } from '../experiments/entities/experiment.entity.js';
import { metricValueJson } from '../metrics/metric-value-json.js';
import { MetricSeriesEntity } from '../metrics/entities/metric.entity.js';
import { ParamEntity } from '../params/entities/param.entity.js';
import type { DatasetInput } from '../runs/run-input.repository.js';
import { MlflowExperiment, MlflowMetric, MlflowRun, MlflowRunInfo, MlflowRunStatus, MlflowTag } from './dto/mlflow.dto.js';

/** The status mapping between the two APIs (written down in the README). */
export const MLFLOW_STATUS: Readonly<Record<RunStatus, MlflowRunStatus>> = {
  pending: 'SCHEDULED',
  running: 'RUNNING',
  success: 'FINISHED',
  failed: 'FAILED',
  cancelled: 'KILLED',
};

export const RUN_STATUS: Readonly<Record<MlflowRunStatus, RunStatus>> = {
  SCHEDULED: 'pending',
  RUNNING: 'running',
  FINISHED: 'success',
  FAILED: 'failed',
  KILLED: 'cancelled',
};

/** A list, or nothing when empty: MLflow leaves empty repeated fields out. */
export function nonEmpty<T>(items: readonly T[] | undefined): T[] | undefined {
  return items && items.length > 0 ? [...items] : undefined;
}

export function experimentJson(experiment: ExperimentEntity, tags: readonly MlflowTag[] = []): MlflowExperiment {
  return {
    experiment_id: experiment.public_id,
    name: experiment.name,
    artifact_location: experiment.artifact_location,
    lifecycle_stage: experiment.lifecycle_stage,
    last_update_time: experiment.updated_at,
    creation_time: experiment.created_at,
    tags: nonEmpty(tags),
  };
}

export function runArtifactUri(experiment: Pick<ExperimentEntity, 'artifact_location'>, runPublicId: string): string {
  return `${experiment.artifact_location.replace(/\/+$/, '')}/${runPublicId}/artifacts`;
}

export function runInfoJson(run: RunEntity, experiment: Pick<ExperimentEntity, 'public_id' | 'artifact_location'>): MlflowRunInfo {
  return {
    run_id: run.public_id,
    run_uuid: run.public_id,
    run_name: run.name,
    experiment_id: experiment.public_id,
    user_id: run.user_id ?? undefined,
    status: MLFLOW_STATUS[run.status],
    start_time: run.started_at ?? undefined,
    end_time: run.ended_at ?? undefined,
    artifact_uri: runArtifactUri(experiment, run.public_id),
    lifecycle_stage: run.lifecycle_stage,
  };
}

export function latestMetricJson(series: MetricSeriesEntity): MlflowMetric {
  return {
    key: series.key,
    value: metricValueJson(series.last_value ?? 0, series.last_is_nan ?? 0),
    timestamp: series.last_timestamp ?? 0,
    step: series.last_step ?? 0,
  };
}

export interface RunData {
  metrics: readonly MetricSeriesEntity[];
  params: readonly ParamEntity[];
  tags: readonly MlflowTag[];
  inputs: readonly DatasetInput[];
}

export function runJson(run: RunEntity, experiment: Pick<ExperimentEntity, 'public_id' | 'artifact_location'>, data: RunData): MlflowRun {
  return {
    info: runInfoJson(run, experiment),
    data: {
      metrics: nonEmpty(data.metrics.map(latestMetricJson)),
      params: nonEmpty(data.params.map((param) => ({ key: param.key, value: param.value }))),
      tags: nonEmpty(data.tags),
    },
    inputs: {
      dataset_inputs: nonEmpty(
        data.inputs.map((input) => ({
          tags: nonEmpty(input.tags),
          dataset: {
            name: input.dataset.name,
            digest: input.dataset.digest,
            source_type: input.dataset.source_type,
            source: input.dataset.source,
            schema: input.dataset.schema ?? undefined,
            profile: input.dataset.profile ?? undefined,
          },
        })),
      ),
    },
    outputs: {},
  };
}
