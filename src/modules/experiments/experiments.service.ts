import { Injectable } from '@nestjs/common';
import { ConflictError, NotFoundError } from '../../common/errors.js';
import { newPublicId } from '../../common/ids.js';
import { DEFAULT_PAGE_SIZE, decodePageToken, isAfterCursor, pageOf } from '../../common/paging.js';
import { toRfc3339, toRfc3339OrNull } from '../../common/time.js';
import { CreateExperimentDto, ExperimentListResponseDto, ExperimentResponseDto, ListExperimentsQueryDto } from './dto/experiment.dto.js';
import { ExperimentEntity } from './entities/experiment.entity.js';
import { ExperimentRepository, ExperimentRunStats } from './experiment.repository.js';
import { searchPage, searchWindow } from '../../common/search/search-page.js';
import type { ExperimentSearchPage, ExperimentSearchRequest } from './search/experiment-search.js';
import { parseExperimentFilter, parseExperimentOrderBy } from './search/experiment-search-grammar.js';

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

@Injectable()
export class ExperimentsService {
  constructor(private readonly experiments: ExperimentRepository) {}

  async create(dto: CreateExperimentDto): Promise<ExperimentResponseDto> {
    const now = Date.now();
    const publicId = newPublicId('exp');
    const created = await this.experiments.insert({
      public_id: publicId,
      name: dto.name,
      config: dto.config === undefined ? null : JSON.stringify(dto.config),
      artifact_location: `mlflow-artifacts:/${publicId}`,
      lifecycle_stage: 'active',
      created_at: now,
      updated_at: now,
      deleted_at: null,
    });
    if (created === 'name_taken') {
      throw new ConflictError(`an experiment named '${dto.name}' already exists`, 'RESOURCE_ALREADY_EXISTS');
    }
    return toExperimentResponse(created);
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
