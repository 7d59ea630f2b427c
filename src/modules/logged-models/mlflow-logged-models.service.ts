import { Injectable } from '@nestjs/common';
import { InvalidRequestError } from '../../common/errors.js';
import { metricValueJson } from '../metrics/metric-value-json.js';
import { inMlflowTerms } from '../mlflow/mlflow-errors.js';
import { checkParam, checkTag, parseParam } from '../mlflow/mlflow-runs.service.js';
import {
  MlflowFields,
  objectList,
  optionalEnum,
  optionalInt64,
  optionalString,
  requiredString,
  stringList,
  tagList,
} from '../mlflow/mlflow-request.js';
import { LoggedModelStatus } from './entities/logged-model.entity.js';
import { LoggedModelsService, LoggedModelView } from './logged-models.service.js';

/** MLflow's LoggedModelStatus enum (service.proto). */
const STATUS_NUMBERS = {
  LOGGED_MODEL_STATUS_UNSPECIFIED: 0,
  LOGGED_MODEL_PENDING: 1,
  LOGGED_MODEL_READY: 2,
  LOGGED_MODEL_UPLOAD_FAILED: 3,
} as const;
type MlflowModelStatus = keyof typeof STATUS_NUMBERS;

const MLFLOW_STATUS: Readonly<Record<LoggedModelStatus, MlflowModelStatus>> = {
  pending: 'LOGGED_MODEL_PENDING',
  ready: 'LOGGED_MODEL_READY',
  failed: 'LOGGED_MODEL_UPLOAD_FAILED',
};

const DEFAULT_SEARCH_RESULTS = 100;

export interface MlflowLoggedModel {
  info: {
    model_id: string;
    experiment_id: string;
    name: string;
    creation_timestamp_ms: number;
    last_updated_timestamp_ms: number;
    artifact_uri: string;
    status: MlflowModelStatus;
    status_message?: string;
    model_type?: string;
    source_run_id?: string;
    tags?: { key: string; value: string }[];
  };
  data: {
    params?: { key: string; value: string }[];
    metrics?: {
      key: string;
      value: number | string;
      timestamp: number;
      step: number;
      dataset_name?: string;
      dataset_digest?: string;
      model_id: string;
      run_id: string;
    }[];
  };
}

function nonEmpty<T>(items: readonly T[]): T[] | undefined {
  return items.length > 0 ? [...items] : undefined;
}

export function loggedModelJson(view: LoggedModelView): MlflowLoggedModel {
  const { model } = view;
  return {
    info: {
      model_id: model.model_id,
      experiment_id: view.experimentPublicId,
      name: model.name,
      creation_timestamp_ms: model.created_at,
      last_updated_timestamp_ms: model.updated_at,
      artifact_uri: model.artifact_location,
      status: MLFLOW_STATUS[model.status],
      status_message: model.status_message ?? undefined,
      model_type: model.model_type ?? undefined,
      source_run_id: model.source_run_id ?? undefined,
      tags: nonEmpty(view.tags),
    },
    data: {
      params: nonEmpty(view.params),
      metrics: nonEmpty(
        view.metrics.map((point) => ({
          key: point.key,
          value: metricValueJson(point.value, point.is_nan),
          timestamp: point.timestamp,
          step: point.step,
          dataset_name: point.dataset_name || undefined,
          dataset_digest: point.dataset_digest || undefined,
          model_id: point.model_id,
          run_id: point.run_id,
        })),
      ),
    },
  };
}

function paramList(fields: MlflowFields): { key: string; value: string }[] {
  const params = objectList(fields, 'params').map(parseParam);
  params.forEach(checkParam);
  return params;
}

function checkedTags(fields: MlflowFields): { key: string; value: string }[] {
  const tags = tagList(fields);
  tags.forEach(checkTag);
  return tags;
}

/** MLflow's logged-model RPCs (service.proto: CreateLoggedModel … LogLoggedModelParamsRequest) over LoggedModelsService. */
@Injectable()
export class MlflowLoggedModelsService {
  constructor(private readonly models: LoggedModelsService) {}

  async create(fields: MlflowFields): Promise<{ model: MlflowLoggedModel }> {
    const view = await inMlflowTerms(
      this.models.create({
        experimentId: requiredString(fields, 'experiment_id'),
        name: optionalString(fields, 'name') || undefined,
        modelType: optionalString(fields, 'model_type') || undefined,
        sourceRunId: optionalString(fields, 'source_run_id') || undefined,
        tags: checkedTags(fields),
        params: paramList(fields),
      }),
    );
    return { model: loggedModelJson(view) };
  }

  async get(modelId: string, allowDeleted: string | undefined): Promise<{ model: MlflowLoggedModel }> {
    return { model: loggedModelJson(await this.models.get(modelId, allowDeleted === 'true')) };
  }

  async finalize(modelId: string, fields: MlflowFields): Promise<{ model: MlflowLoggedModel }> {
    const status = optionalEnum<MlflowModelStatus>(fields, 'status', STATUS_NUMBERS);
    if (status === undefined || status === 'LOGGED_MODEL_STATUS_UNSPECIFIED') {
      throw new InvalidRequestError(
        "Missing value for required parameter 'status'. See the API docs for more information about request parameters.",
      );
    }
    const domainStatus = status === 'LOGGED_MODEL_READY' ? 'ready' : status === 'LOGGED_MODEL_UPLOAD_FAILED' ? 'failed' : 'pending';
    return { model: loggedModelJson(await this.models.finalize(modelId, domainStatus)) };
  }

  async delete(modelId: string): Promise<Record<string, never>> {
    await this.models.delete(modelId);
    return {};
  }

  async setTags(modelId: string, fields: MlflowFields): Promise<Record<string, never>> {
    await this.models.setTags(modelId, checkedTags(fields));
    return {};
  }

  async deleteTag(modelId: string, key: string): Promise<Record<string, never>> {
    await this.models.deleteTag(modelId, key);
    return {};
  }

  async logParams(modelId: string, fields: MlflowFields): Promise<Record<string, never>> {
    await this.models.logParams(modelId, paramList(fields));
    return {};
  }

  async search(fields: MlflowFields): Promise<{ models?: MlflowLoggedModel[]; next_page_token?: string }> {
    const experimentIds = stringList(fields, 'experiment_ids');
    if (experimentIds.length === 0) {
      throw new InvalidRequestError(
        "Missing value for required parameter 'experiment_ids'. See the API docs for more information about request parameters.",
      );
    }
    if (objectList(fields, 'datasets').length > 0) {
      throw new InvalidRequestError('datasets: filtering logged models by dataset is not supported by entrenar-tracking');
    }
    const orderBy = objectList(fields, 'order_by').map((term) => {
      if (optionalString(term, 'dataset_name')) {
        throw new InvalidRequestError('order_by: ordering by a dataset is not supported by entrenar-tracking');
      }
      const ascending = term.ascending;
      return {
        field: requiredString(term, 'field_name'),
        ascending: ascending === undefined || ascending === null ? true : ascending === true || ascending === 'true',
      };
    });
    const page = await inMlflowTerms(
      this.models.search({
        experimentIds,
        filter: optionalString(fields, 'filter') || undefined,
        orderBy,
        maxResults: optionalInt64(fields, 'max_results') ?? DEFAULT_SEARCH_RESULTS,
        pageToken: optionalString(fields, 'page_token') || undefined,
      }),
    );
    return { models: nonEmpty(page.models.map(loggedModelJson)), next_page_token: page.nextPageToken };
  }

  /** runs/outputs: the models a run produced. */
  async logOutputs(fields: MlflowFields): Promise<Record<string, never>> {
    const runId = requiredString(fields, 'run_id');
    const outputs = objectList(fields, 'models').map((output) => ({
      modelId: requiredString(output, 'model_id'),
      step: optionalInt64(output, 'step') ?? 0,
    }));
    await inMlflowTerms(this.models.recordOutputs(runId, outputs));
    return {};
  }
}
