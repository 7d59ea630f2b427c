import { Injectable } from '@nestjs/common';
import { ConflictError, InvalidRequestError, NotFoundError, ResourceNotFoundError } from '../../common/errors.js';
import { newPublicId } from '../../common/ids.js';
import { DEFAULT_PAGE_SIZE, decodePageToken, isAfterCursor, pageOf } from '../../common/paging.js';
import { toRfc3339, toRfc3339OrNull } from '../../common/time.js';
import { CreateExperimentDto, ExperimentListResponseDto, ExperimentResponseDto, ListExperimentsQueryDto } from './dto/experiment.dto.js';
import { ExperimentEntity } from './entities/experiment.entity.js';
import { ExperimentAddress, ExperimentRepository, ExperimentRunStats } from './experiment.repository.js';
import { searchPage, searchWindow } from '../../common/search/search-page.js';
import type { ExperimentSearchPage, ExperimentSearchRequest } from './search/experiment-search.js';
import { parseExperimentFilter, parseExperimentOrderBy } from './search/experiment-search-grammar.js';
import { resolveArtifactLocation } from './artifact-location.js';

/** The experiment that always exists: runs created without an experiment go there. */
export const DEFAULT_EXPERIMENT_ID = '0';

/** A name another experiment (active or deleted) has. The MLflow adapter words it as MLflow does. */
export class ExperimentNameTakenError extends ConflictError {
  constructor(readonly experimentName: string) {
    super(`an experiment named '${experimentName}' already exists`, 'RESOURCE_ALREADY_EXISTS');
  }
}

export interface ExperimentTag {
  key: string;
  value: string;
}

const NO_RUNS: ExperimentRunStats = { runCount: 0, lastActivityAt: null };

export function toExperimentResponse(entity: ExperimentEntity, runs: ExperimentRunStats = NO_RUNS): ExperimentResponseDto {
  return {
    id: entity.public_id,
    name: entity.name,
    config: entity.config === null ? null : (JSON.parse(entity.config) as Record<string, unknown>),
    lifecycle_stage: entity.lifecycle_stage,
    created_at: toRfc3339(entity.created_at),
    updated_at: toRfc3339(entity.updated_at),
    run_count: runs.runCount,
    last_activity_at: toRfc3339OrNull(runs.lastActivityAt),
  };
}

/** Changes to an experiment's tags need it active. */
function requireActive(experiment: ExperimentEntity): void {
  if (experiment.lifecycle_stage !== 'active') {
    throw new InvalidRequestError(`The experiment ${experiment.public_id} must be in the 'active' state`);
  }
}

@Injectable()
export class ExperimentsService {
  constructor(private readonly experiments: ExperimentRepository) {}

  async create(dto: CreateExperimentDto): Promise<ExperimentResponseDto> {
    const created = await this.insert({ name: dto.name, config: dto.config === undefined ? null : JSON.stringify(dto.config) });
    return toExperimentResponse(created);
  }

  /**
   * An experiment with an artifact location of its choosing (default: the server's store; a
   * relative local path resolved as MLflow resolves it, see resolveArtifactLocation) and tags,
   * as MLflow makes them.
   */
  async createWithTags(spec: {
    name: string;
    artifactLocation: string | undefined;
    tags: readonly ExperimentTag[];
  }): Promise<ExperimentEntity> {
    const artifactLocation = spec.artifactLocation && resolveArtifactLocation(spec.artifactLocation, process.cwd());
    const created = await this.insert({ name: spec.name, config: null, artifactLocation });
    for (const tag of spec.tags) {
      await this.experiments.setTag(created.id, tag.key, tag.value, created.created_at);
    }
    return created;
  }

  /** The one place experiments are made: names are unique among active and deleted ones. */
  private async insert(spec: { name: string; config: string | null; artifactLocation?: string }): Promise<ExperimentEntity> {
    const now = Date.now();
    const publicId = newPublicId('exp');
    const created = await this.experiments.insert({
      public_id: publicId,
      name: spec.name,
      config: spec.config,
      artifact_location: spec.artifactLocation || `mlflow-artifacts:/${publicId}`,
      lifecycle_stage: 'active',
      created_at: now,
      updated_at: now,
      deleted_at: null,
    });
    if (created === 'name_taken') {
      throw new ExperimentNameTakenError(spec.name);
    }
    return created;
  }

  /** The experiment with this name (active or deleted), or NOT_FOUND. */
  async requireByName(name: string): Promise<ExperimentEntity> {
    const experiment = await this.experiments.findByName(name);
    if (!experiment) {
      throw new ResourceNotFoundError(`Could not find experiment with name '${name}'`);
    }
    return experiment;
  }

  /** Tags of several experiments by internal id, each list sorted by key. */
  tagsFor(ids: readonly number[]): Promise<Map<number, ExperimentTag[]>> {
    return this.experiments.tagsFor(ids);
  }

  /** Renames an active experiment; the new name must be free. */
  async rename(experiment: ExperimentEntity, newName: string): Promise<void> {
    if (experiment.lifecycle_stage !== 'active') {
      throw new InvalidRequestError(`Cannot rename a non-active experiment (${experiment.public_id} is deleted)`);
    }
    if ((await this.experiments.rename(experiment.id, newName, Date.now())) === 'name_taken') {
      throw new ExperimentNameTakenError(newName);
    }
  }

  /** Moves an active experiment (not the default one) to the bin. */
  async delete(experiment: ExperimentEntity): Promise<void> {
    if (experiment.public_id === DEFAULT_EXPERIMENT_ID) {
      throw new InvalidRequestError(`Cannot delete the default experiment '${DEFAULT_EXPERIMENT_ID}'`);
    }
    if (experiment.lifecycle_stage !== 'active') {
      throw new ResourceNotFoundError(`Experiment ${experiment.public_id} is already deleted`);
    }
    await this.experiments.setLifecycle(experiment.id, 'deleted', Date.now());
  }

  async restore(experiment: ExperimentEntity): Promise<void> {
    if (experiment.lifecycle_stage !== 'deleted') {
      throw new ResourceNotFoundError(`Experiment ${experiment.public_id} is not deleted`);
    }
    await this.experiments.setLifecycle(experiment.id, 'active', Date.now());
  }

  async setTag(experiment: ExperimentEntity, tag: ExperimentTag): Promise<void> {
    requireActive(experiment);
    await this.experiments.setTag(experiment.id, tag.key, tag.value, Date.now());
  }

  async deleteTag(experiment: ExperimentEntity, key: string): Promise<void> {
    requireActive(experiment);
    if (!(await this.experiments.deleteTag(experiment.id, key))) {
      throw new ResourceNotFoundError(`No tag with name: ${key} in experiment with id ${experiment.public_id}`);
    }
  }

  async get(publicId: string): Promise<ExperimentResponseDto> {
    const experiment = await this.require(publicId);
    const stats = await this.experiments.runStatsFor([experiment.id]);
    return toExperimentResponse(experiment, stats.get(experiment.id));
  }

  /** The experiment's entity, or NOT_FOUND. For other services of this server. */
  async require(publicId: string): Promise<ExperimentEntity> {
    const entity = await this.experiments.findByPublicId(publicId);
    if (!entity) {
      throw new NotFoundError('Experiment', publicId);
    }
    return entity;
  }

  /** The experiment with this internal id (a run's experiment always exists). */
  async requireById(id: number): Promise<ExperimentEntity> {
    const entity = await this.experiments.findById(id);
    if (!entity) {
      throw new Error(`experiment #${id} is missing`);
    }
    return entity;
  }

  /** Internal ids of the experiments with these public ids; unknown ones are left out. */
  idsOf(publicIds: readonly string[]): Promise<number[]> {
    return this.experiments.idsOf(publicIds);
  }

  /** The public id of an experiment by internal id (public ids never change, so this is cached). */
  publicIdOf(id: number): Promise<string> {
    return this.experiments.publicIdOf(id);
  }

  /** Public id and artifact location of an experiment by internal id (cached: neither changes). */
  addressOf(id: number): Promise<ExperimentAddress> {
    return this.experiments.addressOf(id);
  }

  async list(query: ListExperimentsQueryDto): Promise<ExperimentListResponseDto> {
    const limit = query.max_results ?? DEFAULT_PAGE_SIZE;
    const cursor = decodePageToken(query.page_token, isAfterCursor);
    const rows = await this.experiments.listActive({ beforeId: cursor?.after, limit, name: query.name });
    const stats = await this.experiments.runStatsFor(rows.slice(0, limit).map((row) => row.id));
    const page = pageOf(
      rows,
      limit,
      (last) => ({ after: last.id }),
      (row) => toExperimentResponse(row, stats.get(row.id)),
    );
    return { experiments: page.items, next_page_token: page.nextPageToken };
  }

  /**
   * MLflow's SearchExperiments: experiments that pass the filter, in the order asked (default
   * creation_time DESC, experiment_id ASC), a page at a time with opaque keyset page tokens. A
   * bad filter, order_by, max_results or page_token is INVALID_PARAMETER_VALUE.
   */
  async searchExperiments(request: ExperimentSearchRequest): Promise<ExperimentSearchPage> {
    const filter = parseExperimentFilter(request.filter);
    const order = parseExperimentOrderBy(request.orderBy);
    const window = searchWindow(request, order);
    const rows = await this.experiments.searchExperiments({
      lifecycleStages: window.lifecycleStages,
      filter,
      order,
      after: window.after,
      limit: window.maxResults + 1,
    });
    const page = searchPage(rows, window);
    return { experiments: page.items, nextPageToken: page.nextPageToken };
  }
}
