import type { ModelVersionView, RegisteredModelView } from './model-registry.service.js';

/** MLflow's ModelVersion message (model_registry.proto) in JSON; unset fields are left out, as protobuf's JSON does. */
export interface MlflowModelVersion {
  name: string;
  version: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  user_id?: string;
  current_stage: string;
  description?: string;
  source: string;
  run_id?: string;
  status: string;
  run_link?: string;
  model_id?: string;
  tags?: { key: string; value: string }[];
  aliases?: string[];
}

/** MLflow's RegisteredModel message in JSON. */
export interface MlflowRegisteredModel {
  name: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  user_id?: string;
  description?: string;
  latest_versions?: MlflowModelVersion[];
  tags?: { key: string; value: string }[];
  aliases?: { alias: string; version: string }[];
}

function nonEmpty<T>(items: readonly T[]): T[] | undefined {
  return items.length === 0 ? undefined : [...items];
}

function present(value: string | null): string | undefined {
  return value === null || value === '' ? undefined : value;
}

export function mlflowModelVersion(version: ModelVersionView): MlflowModelVersion {
  return {
    name: version.name,
    version: String(version.version),
    creation_timestamp: version.createdAt,
    last_updated_timestamp: version.updatedAt,
    user_id: present(version.userId),
    current_stage: version.stage,
    description: present(version.description),
    source: version.source,
    run_id: present(version.runId),
    status: version.status,
    run_link: present(version.runLink),
    model_id: present(version.modelId),
    tags: nonEmpty(version.tags),
    aliases: nonEmpty(version.aliases),
  };
}

export function mlflowRegisteredModel(model: RegisteredModelView): MlflowRegisteredModel {
  return {
    name: model.name,
    creation_timestamp: model.createdAt,
    last_updated_timestamp: model.updatedAt,
    user_id: present(model.userId),
    description: present(model.description),
    latest_versions: nonEmpty(model.latestVersions.map(mlflowModelVersion)),
    tags: nonEmpty(model.tags),
    aliases: nonEmpty(model.aliases.map((alias) => ({ alias: alias.alias, version: String(alias.version) }))),
  };
}
