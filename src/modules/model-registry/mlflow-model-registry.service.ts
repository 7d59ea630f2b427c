import { Injectable } from '@nestjs/common';
import { InvalidRequestError } from '../../common/errors.js';
import type { MlflowFields } from '../mlflow/mlflow-request.js';
import { optionalInt64, optionalString, requiredString, stringList, tagList } from '../mlflow/mlflow-request.js';
import { mlflowModelVersion, mlflowRegisteredModel, type MlflowModelVersion, type MlflowRegisteredModel } from './mlflow-registry-json.js';
import { ModelRegistryService } from './model-registry.service.js';

type Empty = Record<string, never>;

/** A bool field: JSON true/false, or "true"/"false" from a query string. */
function optionalBool(fields: MlflowFields, name: string): boolean {
  const raw = fields[name];
  const value = Array.isArray(raw) ? (raw as unknown[])[0] : raw;
  if (value === undefined || value === null || value === '') {
    return false;
  }
  if (typeof value === 'boolean') {
    return value;
  }
  if (value === 'true' || value === 'false') {
    return value === 'true';
  }
  throw new InvalidRequestError(`Invalid value ${JSON.stringify(value)} for parameter '${name}' supplied: expected a boolean.`);
}

/** `version` as MLflow sends it: a string ("3"), sometimes a number. */
function requiredVersion(fields: MlflowFields): string {
  const value = fields.version;
  if (typeof value === 'number') {
    return String(value);
  }
  return requiredString(fields, 'version');
}

/**
 * MLflow's registry RPCs (model_registry.proto) translated onto ModelRegistryService: reads
 * MLflow's fields, renders MLflow's messages. No rule lives here.
 */
@Injectable()
export class MlflowModelRegistryService {
  constructor(private readonly registry: ModelRegistryService) {}

  async createRegisteredModel(fields: MlflowFields): Promise<{ registered_model: MlflowRegisteredModel }> {
    const model = await this.registry.createModel(requiredString(fields, 'name'), optionalString(fields, 'description'), tagList(fields));
    return { registered_model: mlflowRegisteredModel(model) };
  }

  async getRegisteredModel(fields: MlflowFields): Promise<{ registered_model: MlflowRegisteredModel }> {
    return { registered_model: mlflowRegisteredModel(await this.registry.getModel(requiredString(fields, 'name'))) };
  }

  async renameRegisteredModel(fields: MlflowFields): Promise<{ registered_model: MlflowRegisteredModel }> {
    const model = await this.registry.renameModel(requiredString(fields, 'name'), requiredString(fields, 'new_name'));
    return { registered_model: mlflowRegisteredModel(model) };
  }

  async updateRegisteredModel(fields: MlflowFields): Promise<{ registered_model: MlflowRegisteredModel }> {
    const model = await this.registry.updateModel(requiredString(fields, 'name'), optionalString(fields, 'description') ?? '');
    return { registered_model: mlflowRegisteredModel(model) };
  }

  async deleteRegisteredModel(fields: MlflowFields): Promise<Empty> {
    await this.registry.deleteModel(requiredString(fields, 'name'));
    return {};
  }

  async searchRegisteredModels(fields: MlflowFields): Promise<{ registered_models?: MlflowRegisteredModel[]; next_page_token?: string }> {
    const page = await this.registry.searchModels({
      filter: optionalString(fields, 'filter'),
      orderBy: stringList(fields, 'order_by'),
      maxResults: optionalInt64(fields, 'max_results'),
      pageToken: optionalString(fields, 'page_token'),
    });
    return {
      ...(page.items.length > 0 ? { registered_models: page.items.map(mlflowRegisteredModel) } : {}),
      ...(page.nextPageToken ? { next_page_token: page.nextPageToken } : {}),
    };
  }

  async getLatestVersions(fields: MlflowFields): Promise<{ model_versions?: MlflowModelVersion[] }> {
    const versions = await this.registry.latestVersions(requiredString(fields, 'name'), stringList(fields, 'stages'));
    return versions.length > 0 ? { model_versions: versions.map(mlflowModelVersion) } : {};
  }

  async setRegisteredModelTag(fields: MlflowFields): Promise<Empty> {
    await this.registry.setModelTag(requiredString(fields, 'name'), {
      key: requiredString(fields, 'key'),
      value: optionalString(fields, 'value') ?? '',
    });
    return {};
  }

  async deleteRegisteredModelTag(fields: MlflowFields): Promise<Empty> {
    await this.registry.deleteModelTag(requiredString(fields, 'name'), requiredString(fields, 'key'));
    return {};
  }

  async setAlias(fields: MlflowFields): Promise<Empty> {
    await this.registry.setAlias(requiredString(fields, 'name'), requiredString(fields, 'alias'), requiredVersion(fields));
    return {};
  }

  async deleteAlias(fields: MlflowFields): Promise<Empty> {
    await this.registry.deleteAlias(requiredString(fields, 'name'), requiredString(fields, 'alias'));
    return {};
  }

  async getByAlias(fields: MlflowFields): Promise<{ model_version: MlflowModelVersion }> {
    const version = await this.registry.getVersionByAlias(requiredString(fields, 'name'), requiredString(fields, 'alias'));
    return { model_version: mlflowModelVersion(version) };
  }

  async createModelVersion(fields: MlflowFields): Promise<{ model_version: MlflowModelVersion }> {
    const version = await this.registry.createVersion({
      name: requiredString(fields, 'name'),
      source: requiredString(fields, 'source'),
      runId: optionalString(fields, 'run_id'),
      runLink: optionalString(fields, 'run_link'),
      modelId: optionalString(fields, 'model_id'),
      description: optionalString(fields, 'description'),
      tags: tagList(fields),
    });
    return { model_version: mlflowModelVersion(version) };
  }

  async getModelVersion(fields: MlflowFields): Promise<{ model_version: MlflowModelVersion }> {
    return { model_version: mlflowModelVersion(await this.registry.getVersion(requiredString(fields, 'name'), requiredVersion(fields))) };
  }

  async updateModelVersion(fields: MlflowFields): Promise<{ model_version: MlflowModelVersion }> {
    const version = await this.registry.updateVersion(
      requiredString(fields, 'name'),
      requiredVersion(fields),
      optionalString(fields, 'description') ?? '',
    );
    return { model_version: mlflowModelVersion(version) };
  }

  async deleteModelVersion(fields: MlflowFields): Promise<Empty> {
    await this.registry.deleteVersion(requiredString(fields, 'name'), requiredVersion(fields));
    return {};
  }

  async searchModelVersions(fields: MlflowFields): Promise<{ model_versions?: MlflowModelVersion[]; next_page_token?: string }> {
    const page = await this.registry.searchVersions({
      filter: optionalString(fields, 'filter'),
      orderBy: stringList(fields, 'order_by'),
      maxResults: optionalInt64(fields, 'max_results'),
      pageToken: optionalString(fields, 'page_token'),
    });
    return {
      ...(page.items.length > 0 ? { model_versions: page.items.map(mlflowModelVersion) } : {}),
      ...(page.nextPageToken ? { next_page_token: page.nextPageToken } : {}),
    };
  }

  async transitionStage(fields: MlflowFields): Promise<{ model_version: MlflowModelVersion }> {
    const version = await this.registry.transitionStage(
      requiredString(fields, 'name'),
      requiredVersion(fields),
      requiredString(fields, 'stage'),
      optionalBool(fields, 'archive_existing_versions'),
    );
    return { model_version: mlflowModelVersion(version) };
  }

  async setModelVersionTag(fields: MlflowFields): Promise<Empty> {
    await this.registry.setVersionTag(requiredString(fields, 'name'), requiredVersion(fields), {
      key: requiredString(fields, 'key'),
      value: optionalString(fields, 'value') ?? '',
    });
    return {};
  }

  async deleteModelVersionTag(fields: MlflowFields): Promise<Empty> {
    await this.registry.deleteVersionTag(requiredString(fields, 'name'), requiredVersion(fields), requiredString(fields, 'key'));
    return {};
  }

  async getDownloadUri(fields: MlflowFields): Promise<{ artifact_uri: string }> {
    return { artifact_uri: await this.registry.downloadUri(requiredString(fields, 'name'), requiredVersion(fields)) };
  }
}
