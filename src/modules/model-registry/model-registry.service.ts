import { Injectable } from '@nestjs/common';
import { ConflictError, InvalidRequestError, ResourceNotFoundError } from '../../common/errors.js';
import { decodePageToken, encodePageToken } from '../../common/paging.js';
import { keyProblem } from '../../common/validation.js';
import { LoggedModelsService } from '../logged-models/logged-models.service.js';
import type { LoggedModelEntity } from '../logged-models/entities/logged-model.entity.js';
import { MODEL_STAGES, type ModelStage } from './entities/model-version.entity.js';
import type { RegisteredModelEntity } from './entities/registered-model.entity.js';
import { parseRegistryFilter, parseRegistryOrderBy, type RegistrySubject } from './model-registry-search.js';
import { ModelRegistryStore, type ModelVersionRow, type Tag } from './model-registry.store.js';
import {
  isArtifactProxySource,
  isLocalPathWithin,
  isLocalUri,
  isUriWithinRoot,
  parseModelsPath,
  splitUri,
  type ModelsUri,
} from './model-version-source.js';

export const MAX_MODEL_NAME_LENGTH = 500;
export const MAX_ALIAS_LENGTH = 255;
export const MAX_DESCRIPTION_LENGTH = 65_535;

/** A model version as both APIs show it. */
export interface ModelVersionView {
  name: string;
  version: number;
  source: string;
  runId: string | null;
  runLink: string | null;
  /** MLflow's `model_id`: the logged model the version was made from. */
  modelId: string | null;
  description: string | null;
  stage: ModelStage;
  status: string;
  userId: string | null;
  createdAt: number;
  updatedAt: number;
  tags: Tag[];
  aliases: string[];
}

/** A registered model as both APIs show it. */
export interface RegisteredModelView {
  name: string;
  description: string | null;
  userId: string | null;
  createdAt: number;
  updatedAt: number;
  tags: Tag[];
  aliases: { alias: string; version: number }[];
  /** The newest version in each stage that has one. */
  latestVersions: ModelVersionView[];
}

export interface RegistrySearchRequest {
  filter?: string;
  /** Names matching this LIKE pattern, ignoring case (besides the filter). */
  nameLike?: string;
  orderBy?: readonly string[];
  maxResults?: number;
  pageToken?: string;
}

export interface RegistryPage<T> {
  items: T[];
  nextPageToken?: string;
}

export interface NewModelVersionRequest {
  name: string;
  source: string;
  /** Given (even empty) or not: a `models:/<name>/<version>` source inherits what is not given. */
  runId?: string;
  runLink?: string;
  /** MLflow's `model_id`: the logged model (`m-…`) the version is made from. */
  modelId?: string;
  description?: string;
  tags?: readonly Tag[];
}

/** What a search may return in one page, by default and at most (MLflow's limits). */
export const SEARCH_LIMITS: Readonly<Record<RegistrySubject, { default: number; max: number }>> = {
  'registered models': { default: 100, max: 1000 },
  'model versions': { default: 10_000, max: 200_000 },
};

export class RegisteredModelNameTakenError extends ConflictError {
  constructor(readonly modelName: string) {
    super(`Registered Model (name=${modelName}) already exists.`, 'RESOURCE_ALREADY_EXISTS');
  }
}

function invalid(message: string): InvalidRequestError {
  return new InvalidRequestError(message, 'INVALID_PARAMETER_VALUE');
}

function checkName(name: string, field = 'name'): void {
  if (name.trim() === '') {
    throw invalid(`Registered model name cannot be empty (${field}).`);
  }
  if (name.length > MAX_MODEL_NAME_LENGTH) {
    throw invalid(`${field}: a registered model name is at most ${MAX_MODEL_NAME_LENGTH} characters`);
  }
}

function checkTag(tag: Tag): void {
  const problem = keyProblem(tag.key);
  if (problem !== undefined) {
    throw invalid(`Invalid tag key '${tag.key}': ${problem}`);
  }
}

function checkDescription(description: string): void {
  if (description.length > MAX_DESCRIPTION_LENGTH) {
    throw invalid(`description: at most ${MAX_DESCRIPTION_LENGTH} characters`);
  }
}

/** A version number as clients send it ("3" or 3). */
export function parseVersion(version: string | number): number {
  const text = String(version).trim();
  const number = /^\d{1,15}$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(number) || number < 1) {
    throw invalid(`Parameter 'version' must be a positive integer, got '${String(version)}'.`);
  }
  return number;
}

/** A stage in any case ("production"), as MLflow accepts it; answered in MLflow's spelling. */
export function parseStage(stage: string): ModelStage {
  const found = MODEL_STAGES.find((candidate) => candidate.toLowerCase() === stage.trim().toLowerCase());
  if (found === undefined) {
    throw invalid(`Invalid Model Version stage: ${stage}. Value must be one of ${MODEL_STAGES.join(', ')}.`);
  }
  return found;
}

/** MLflow's alias rule: letters, digits, _ and -; not `latest` nor `v<number>`, which name versions in model URIs. */
function checkAlias(alias: string): void {
  if (alias === '' || alias.length > MAX_ALIAS_LENGTH || !/^[\w-]+$/.test(alias)) {
    throw invalid(`Invalid alias name '${alias}': 1 to ${MAX_ALIAS_LENGTH} letters, digits, '_' or '-'.`);
  }
  if (alias.toLowerCase() === 'latest' || /^v\d+$/i.test(alias)) {
    throw invalid(`Invalid alias name '${alias}': 'latest' and 'v<number>' are reserved for model URIs.`);
  }
}

function invalidSource(source: string, idName: 'run_id' | 'model_id'): InvalidRequestError {
  return invalid(
    `Invalid model version source: '${source}'. The ${idName} request parameter must identify the resource that contains the source.`,
  );
}

/** What a new version is made from, once its `source` is read. */
interface ResolvedSource {
  source: string;
  storageLocation: string;
  runId: string | null;
  modelId: string | null;
}

/**
 * The model registry's rules, for the MLflow adapter and /api/v1 alike: registered models with
 * unique names, versions numbered 1, 2, 3… per model and never reused, stages, tags and
 * aliases. Deleting a model or version removes registry rows only; the run and its artifacts
 * stay.
 */
@Injectable()
export class ModelRegistryService {
  constructor(
    private readonly store: ModelRegistryStore,
    private readonly loggedModels: LoggedModelsService,
  ) {}

  async createModel(name: string, description?: string, tags: readonly Tag[] = []): Promise<RegisteredModelView> {
    checkName(name);
    tags.forEach(checkTag);
    if (description !== undefined) {
      checkDescription(description);
    }
    const row = await this.store.insertModel(name, description ?? null, tags, Date.now());
    if (row === 'name_taken') {
      throw new RegisteredModelNameTakenError(name);
    }
    return this.modelView(row);
  }

  async getModel(name: string): Promise<RegisteredModelView> {
    return this.modelView(await this.requireModel(name));
  }

  async renameModel(name: string, newName: string): Promise<RegisteredModelView> {
    checkName(newName, 'new_name');
    const model = await this.requireModel(name);
    if (newName !== name && (await this.store.renameModel(model.id, newName, Date.now())) === 'name_taken') {
      throw new RegisteredModelNameTakenError(newName);
    }
    return this.getModel(newName);
  }

  async updateModel(name: string, description: string): Promise<RegisteredModelView> {
    checkDescription(description);
    const model = await this.requireModel(name);
    await this.store.updateModelDescription(model.id, description, Date.now());
    return this.getModel(name);
  }

  async deleteModel(name: string): Promise<void> {
    await this.store.deleteModel((await this.requireModel(name)).id);
  }

  async searchModels(request: RegistrySearchRequest): Promise<RegistryPage<RegisteredModelView>> {
    const page = this.pageOf(request, 'registered models');
    const rows = await this.store.searchModels({
      clauses: [
        ...parseRegistryFilter(request.filter, 'registered models'),
        ...(request.nameLike === undefined ? [] : [{ kind: 'name', comparator: 'ILIKE', value: request.nameLike } as const]),
      ],
      order: parseRegistryOrderBy(request.orderBy ?? [], 'registered models'),
      offset: page.offset,
      limit: page.limit + 1,
    });
    return { items: await this.modelViews(rows.slice(0, page.limit)), ...this.nextToken(rows.length, page) };
  }

  async setModelTag(name: string, tag: Tag): Promise<void> {
    checkTag(tag);
    await this.store.setModelTag((await this.requireModel(name)).id, tag, Date.now());
  }

  async deleteModelTag(name: string, key: string): Promise<void> {
    await this.store.deleteModelTag((await this.requireModel(name)).id, key);
  }

  async setAlias(name: string, alias: string, version: string | number): Promise<void> {
    checkAlias(alias);
    const model = await this.requireModel(name);
    const target = await this.requireVersion(model, parseVersion(version));
    await this.store.setAlias(model.id, alias, target.id, Date.now());
  }

  async deleteAlias(name: string, alias: string): Promise<void> {
    await this.store.deleteAlias((await this.requireModel(name)).id, alias);
  }

  async getVersionByAlias(name: string, alias: string): Promise<ModelVersionView> {
    const model = await this.requireModel(name);
    const row = await this.store.findVersionByAlias(model.id, alias);
    if (!row) {
      throw new ResourceNotFoundError(`Registered model alias ${alias} not found.`);
    }
    return this.versionView(row);
  }

  /** The newest version in each of `stages` (all stages when none are given) that has one. */
  async latestVersions(name: string, stages: readonly string[] = []): Promise<ModelVersionView[]> {
    const model = await this.requireModel(name);
    const wanted = stages.length === 0 ? undefined : new Set(stages.map(parseStage));
    const latest = latestPerStage(await this.store.versionsOf([model.id])).filter((row) => !wanted || wanted.has(row.current_stage));
    return this.versionViews(latest);
  }

  async createVersion(request: NewModelVersionRequest): Promise<ModelVersionView> {
    checkName(request.name);
    if (request.source.trim() === '') {
      throw invalid("Missing value for required parameter 'source'.");
    }
    const tags = request.tags ?? [];
    tags.forEach(checkTag);
    if (request.description !== undefined) {
      checkDescription(request.description);
    }
    const model = await this.requireModel(request.name);
    const resolved = await this.resolveSource(request);
    const row = await this.store.insertVersion(
      model.id,
      {
        source: resolved.source,
        storage_location: resolved.storageLocation,
        run_id: resolved.runId,
        run_link: request.runLink || null,
        logged_model_id: resolved.modelId,
        description: request.description ?? null,
        user_id: null,
      },
      tags,
      Date.now(),
    );
    if (resolved.modelId !== null) {
      await this.loggedModels.recordModelVersion(resolved.modelId, row.name, Number(row.version));
    }
    return this.versionView(row);
  }

  /**
   * MLflow's reading of a new version's source: a `models:/<name>/<version|stage|latest|@alias>`
   * source becomes `models:/<name>/<number>` and inherits that version's run, logged model and
   * files (a run_id or model_id given must match them); a `model_id` must name an existing
   * logged model that holds the source; the files of `models:/<model id>` are the logged
   * model's folder; the run defaults to the logged model's source run.
   */
  private async resolveSource(request: NewModelVersionRequest): Promise<ResolvedSource> {
    let source = request.source;
    let storageLocation = source;
    let runId = request.runId ?? null;
    let modelId = request.modelId ?? null;
    const { scheme, authority, path } = splitUri(source);
    const parsed = scheme === 'models' ? parseModelsPath(path) : undefined;
    if (scheme === 'models') {
      if (authority !== '') {
        throw invalid(`Invalid model version source: '${source}'. Registered model sources must use the active model registry.`);
      }
      if (parsed === undefined) {
        throw invalidSource(source, 'model_id');
      }
      if (parsed.kind !== 'logged model') {
        const from = await this.sourceVersion(parsed);
        if (
          (request.runId !== undefined && request.runId !== (from.run_id ?? '')) ||
          (request.modelId !== undefined && request.modelId !== (from.logged_model_id ?? ''))
        ) {
          throw invalid(
            `Invalid model version source: '${source}'. The run_id and model_id request parameters must match the referenced model version.`,
          );
        }
        source = `models:/${from.name}/${Number(from.version)}`;
        storageLocation = from.storage_location;
        runId = request.runId ?? from.run_id;
        modelId = request.modelId ?? from.logged_model_id;
      }
    }
    let logged: LoggedModelEntity | undefined;
    if (modelId) {
      logged = await this.checkSourceModel(source, modelId);
    }
    if (parsed?.kind === 'logged model') {
      const named = logged?.model_id === parsed.modelId ? logged : await this.findLoggedModel(parsed.modelId);
      if (named === undefined) {
        throw invalid(
          `Unable to fetch model from model URI source artifact location '${source}': logged model '${parsed.modelId}' not found.`,
        );
      }
      storageLocation = named.artifact_location;
      runId = runId || named.source_run_id;
    }
    if (modelId) {
      // The version is linked to the model, which must exist (MLflow's get_logged_model error).
      logged ??= await this.loggedModels.require(modelId);
      runId = runId || logged.source_run_id;
    }
    return { source, storageLocation, runId: runId || null, modelId: modelId || null };
  }

  /** The registered version a `models:/<name>/…` source names. */
  private async sourceVersion(uri: Exclude<ModelsUri, { kind: 'logged model' }>): Promise<ModelVersionRow> {
    const model = await this.requireModel(uri.name);
    switch (uri.kind) {
      case 'version':
        return this.requireVersion(model, parseVersion(uri.version));
      case 'alias': {
        const row = await this.store.findVersionByAlias(model.id, uri.alias);
        if (!row) {
          throw new ResourceNotFoundError(`Registered model alias ${uri.alias} not found.`);
        }
        return row;
      }
      case 'latest':
      case 'stage': {
        const stage = uri.kind === 'stage' ? parseStage(uri.stage) : undefined;
        const newest = (await this.store.versionsOf([model.id])).find((row) => stage === undefined || row.current_stage === stage);
        if (!newest) {
          throw new ResourceNotFoundError(`No versions of model with name '${model.name}' and stage '${stage ?? 'None'}' found`);
        }
        return newest;
      }
    }
  }

  /**
   * MLflow's check that `model_id` names the resource holding `source`: a local path or an
   * artifact-proxy address must lie in the logged model's folder, `models:/<id>` must name that
   * model, a `runs:/` source never fits. Answers the model when it was looked up.
   */
  private async checkSourceModel(source: string, modelId: string): Promise<LoggedModelEntity | undefined> {
    if (isLocalUri(source)) {
      const model = await this.findLoggedModel(modelId);
      if (model === undefined || !isLocalUri(model.artifact_location) || !isLocalPathWithin(source, model.artifact_location)) {
        throw invalid(
          `Invalid model version source: '${source}'. To use a local path as a model version source, the model_id request parameter has to be specified and the local path has to be contained within the artifact directory of the model specified by the model_id.`,
        );
      }
      return model;
    }
    const { scheme, authority, path } = splitUri(source);
    if (scheme === 'models') {
      const parsed = parseModelsPath(path);
      if (authority !== '' || parsed === undefined || (parsed.kind === 'logged model' && parsed.modelId !== modelId)) {
        throw invalidSource(source, 'model_id');
      }
      return undefined;
    }
    if (scheme === 'runs') {
      throw invalidSource(source, 'model_id');
    }
    if (isArtifactProxySource(source)) {
      const model = await this.findLoggedModel(modelId);
      if (model === undefined || !isUriWithinRoot(source, model.artifact_location)) {
        throw invalidSource(source, 'model_id');
      }
      return model;
    }
    return undefined;
  }

  /** The live logged model, or undefined. */
  private async findLoggedModel(modelId: string): Promise<LoggedModelEntity | undefined> {
    try {
      return await this.loggedModels.require(modelId);
    } catch (error) {
      if (error instanceof ResourceNotFoundError) {
        return undefined;
      }
      throw error;
    }
  }

  async getVersion(name: string, version: string | number): Promise<ModelVersionView> {
    return this.versionView(await this.requireVersion(await this.requireModel(name), parseVersion(version)));
  }

  async updateVersion(name: string, version: string | number, description: string): Promise<ModelVersionView> {
    checkDescription(description);
    const row = await this.requireVersion(await this.requireModel(name), parseVersion(version));
    await this.store.updateVersionDescription(row.id, row.model_id, description, Date.now());
    return this.getVersion(name, version);
  }

  async deleteVersion(name: string, version: string | number): Promise<void> {
    const row = await this.requireVersion(await this.requireModel(name), parseVersion(version));
    await this.store.deleteVersion(row, Date.now());
  }

  async transitionStage(
    name: string,
    version: string | number,
    stage: string,
    archiveExistingVersions: boolean,
  ): Promise<ModelVersionView> {
    const target = parseStage(stage);
    const row = await this.requireVersion(await this.requireModel(name), parseVersion(version));
    // Archiving the others applies only when moving into Staging or Production, as in MLflow.
    const archiveOthers = archiveExistingVersions && (target === 'Staging' || target === 'Production');
    await this.store.transitionStage(row, target, archiveOthers, Date.now());
    return this.getVersion(name, version);
  }

  async setVersionTag(name: string, version: string | number, tag: Tag): Promise<void> {
    checkTag(tag);
    const row = await this.requireVersion(await this.requireModel(name), parseVersion(version));
    await this.store.setVersionTag(row.id, tag, Date.now());
  }

  async deleteVersionTag(name: string, version: string | number, key: string): Promise<void> {
    const row = await this.requireVersion(await this.requireModel(name), parseVersion(version));
    await this.store.deleteVersionTag(row.id, key);
  }

  /** Where the version's files are: its source, or what a `models:/` source named when the version was made. */
  async downloadUri(name: string, version: string | number): Promise<string> {
    return (await this.requireVersion(await this.requireModel(name), parseVersion(version))).storage_location;
  }

  async searchVersions(request: RegistrySearchRequest): Promise<RegistryPage<ModelVersionView>> {
    const page = this.pageOf(request, 'model versions');
    const rows = await this.store.searchVersions({
      clauses: parseRegistryFilter(request.filter, 'model versions'),
      order: parseRegistryOrderBy(request.orderBy ?? [], 'model versions'),
      offset: page.offset,
      limit: page.limit + 1,
    });
    return { items: await this.versionViews(rows.slice(0, page.limit)), ...this.nextToken(rows.length, page) };
  }

  /** Every version of one model, newest first. */
  async versionsOf(name: string): Promise<ModelVersionView[]> {
    return this.versionViews(await this.store.versionsOf([(await this.requireModel(name)).id]));
  }

  private pageOf(request: RegistrySearchRequest, what: RegistrySubject): { offset: number; limit: number } {
    const limits = SEARCH_LIMITS[what];
    const limit = request.maxResults ?? limits.default;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > limits.max) {
      throw invalid(`Invalid value for max_results: it must be between 1 and ${limits.max}, got ${limit}.`);
    }
    const cursor = decodePageToken(
      request.pageToken,
      (value): value is { offset: number } => Number.isSafeInteger(value.offset) && Number(value.offset) >= 0,
    );
    return { offset: cursor?.offset ?? 0, limit };
  }

  private nextToken(fetched: number, page: { offset: number; limit: number }): { nextPageToken?: string } {
    return fetched > page.limit ? { nextPageToken: encodePageToken({ offset: page.offset + page.limit }) } : {};
  }

  private async requireModel(name: string): Promise<RegisteredModelEntity> {
    checkName(name);
    const model = await this.store.findModel(name);
    if (!model) {
      throw new ResourceNotFoundError(`Registered Model with name=${name} not found`);
    }
    return model;
  }

  private async requireVersion(model: RegisteredModelEntity, version: number): Promise<ModelVersionRow> {
    const row = await this.store.findVersion(model.id, version);
    if (!row) {
      throw new ResourceNotFoundError(`Model Version (name=${model.name}, version=${version}) not found`);
    }
    return row;
  }

  private async modelView(model: RegisteredModelEntity): Promise<RegisteredModelView> {
    return (await this.modelViews([model]))[0];
  }

  private async modelViews(models: readonly RegisteredModelEntity[]): Promise<RegisteredModelView[]> {
    const ids = models.map((model) => model.id);
    const [tags, aliases, versions] = await Promise.all([
      this.store.modelTagsFor(ids),
      this.store.modelAliasesFor(ids),
      this.store.versionsOf(ids),
    ]);
    const latest = await this.versionViews(latestPerStage(versions));
    return models.map((model) => ({
      name: model.name,
      description: model.description,
      userId: model.user_id,
      createdAt: Number(model.created_at),
      updatedAt: Number(model.updated_at),
      tags: tags.get(model.id) ?? [],
      aliases: aliases.get(model.id) ?? [],
      latestVersions: latest.filter((version) => version.name === model.name),
    }));
  }

  private async versionView(row: ModelVersionRow): Promise<ModelVersionView> {
    return (await this.versionViews([row]))[0];
  }

  private async versionViews(rows: readonly ModelVersionRow[]): Promise<ModelVersionView[]> {
    const ids = rows.map((row) => row.id);
    const [tags, aliases] = await Promise.all([this.store.versionTagsFor(ids), this.store.versionAliasesFor(ids)]);
    return rows.map((row) => ({
      name: row.name,
      version: Number(row.version),
      source: row.source,
      runId: row.run_id,
      runLink: row.run_link,
      modelId: row.logged_model_id,
      description: row.description,
      stage: row.current_stage,
      status: row.status,
      userId: row.user_id,
      createdAt: Number(row.created_at),
      updatedAt: Number(row.updated_at),
      tags: tags.get(row.id) ?? [],
      aliases: aliases.get(row.id) ?? [],
    }));
  }
}

/** Of versions listed newest first, the first (newest) of each model in each stage, in stage order. */
function latestPerStage(rows: readonly ModelVersionRow[]): ModelVersionRow[] {
  const seen = new Map<string, ModelVersionRow>();
  for (const row of rows) {
    const key = `${row.model_id}\u0000${row.current_stage}`;
    const kept = seen.get(key);
    if (!kept || Number(row.version) > Number(kept.version)) {
      seen.set(key, row);
    }
  }
  return [...seen.values()].sort(
    (a, b) => Number(a.model_id) - Number(b.model_id) || MODEL_STAGES.indexOf(a.current_stage) - MODEL_STAGES.indexOf(b.current_stage),
  );
}
