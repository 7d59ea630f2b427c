import { Injectable } from '@nestjs/common';
import { ConflictError, NotFoundError } from '../../common/errors.js';
import { newPublicId } from '../../common/ids.js';
import { DEFAULT_PAGE_SIZE, decodePageToken, isAfterCursor, pageOf } from '../../common/paging.js';
import { toRfc3339, toRfc3339OrNull } from '../../common/time.js';
import { PageQueryDto } from '../../common/validation.js';
import { ExperimentsService } from '../experiments/experiments.service.js';
import { ChangeFeedService } from '../live/change-feed.service.js';
import { CompleteRunDto, CreateRunDto, RunListResponseDto, RunResponseDto } from './dto/run.dto.js';
import { RunEntity, RunStatus } from './entities/run.entity.js';
import { randomRunName } from './run-names.js';
import { RunActivityService, SILENT_RUN_REASON_PREFIX } from './run-activity.service.js';
import { RunRepository, RunWriteTarget, StatusChange } from './run.repository.js';
import { searchPage, searchWindow } from '../../common/search/search-page.js';
import { parseRunFilter, parseRunOrderBy } from './search/run-search-grammar.js';
import type { RunSearchPage, RunSearchRequest } from './search/run-search.js';

export function toRunResponse(
  run: RunEntity,
  experimentPublicId: string,
  lastActivityAt: number | null = run.last_activity_at,
): RunResponseDto {
  return {
    id: run.public_id,
    experiment_id: experimentPublicId,
    name: run.name,
    status: run.status,
    status_reason: run.status_reason,
    lifecycle_stage: run.lifecycle_stage,
    created_at: toRfc3339(run.created_at),
    started_at: toRfc3339OrNull(run.started_at),
    ended_at: toRfc3339OrNull(run.ended_at),
    updated_at: toRfc3339(run.updated_at),
    last_activity_at: toRfc3339OrNull(lastActivityAt),
  };
}

/** Which statuses each completion may leave from (the seed's lifecycle). */
const COMPLETE_FROM: Record<CompleteRunDto['status'], readonly RunStatus[]> = {
  success: ['running'],
  failed: ['running'],
  cancelled: ['pending', 'running'],
};

@Injectable()
export class RunsService {
  constructor(
    private readonly runs: RunRepository,
    private readonly experiments: ExperimentsService,
    private readonly activity: RunActivityService,
    private readonly changes: ChangeFeedService,
  ) {}

  async create(dto: CreateRunDto): Promise<RunResponseDto> {
    const experiment = await this.experiments.require(dto.experiment_id);
    if (experiment.lifecycle_stage !== 'active') {
      throw new ConflictError(`experiment ${experiment.public_id} is deleted; restore it before adding runs`);
    }
    const now = Date.now();
    const run = await this.runs.insert({
      public_id: newPublicId('run'),
      experiment_id: experiment.id,
      name: dto.name ?? randomRunName(),
      status: 'pending',
      status_reason: null,
      lifecycle_stage: 'active',
      user_id: null,
      created_at: now,
      started_at: null,
      ended_at: null,
      updated_at: now,
      deleted_at: null,
      last_activity_at: null,
    });
    this.changes.runChanged(run, ['created']);
    return toRunResponse(run, experiment.public_id);
  }

  async get(publicId: string): Promise<RunResponseDto> {
    const run = await this.runs.findByPublicId(publicId);
    if (!run) {
      throw new NotFoundError('Run', publicId);
    }
    return this.respond(run);
  }

  async listForExperiment(experimentPublicId: string, query: PageQueryDto): Promise<RunListResponseDto> {
    const experiment = await this.experiments.require(experimentPublicId);
    const limit = query.max_results ?? DEFAULT_PAGE_SIZE;
    const cursor = decodePageToken(query.page_token, isAfterCursor);
    const rows = await this.runs.listByExperiment(experiment.id, { beforeId: cursor?.after, limit });
    const page = pageOf(
      rows,
      limit,
      (last) => ({ after: last.id }),
      (run) => toRunResponse(run, experiment.public_id, this.activity.lastActivity(run.id, run.last_activity_at)),
    );
    return { runs: page.items, next_page_token: page.nextPageToken };
  }

  start(publicId: string): Promise<RunResponseDto> {
    return this.transition(publicId, { from: ['pending'], to: 'running', reason: null, setStartedAt: true, setEndedAt: false });
  }

  complete(publicId: string, dto: CompleteRunDto): Promise<RunResponseDto> {
    return this.transition(publicId, {
      from: COMPLETE_FROM[dto.status],
      to: dto.status,
      reason: dto.reason ?? null,
      setStartedAt: false,
      setEndedAt: true,
    });
  }

  /**
   * The run a write (metric, param, artifact) goes to: NOT_FOUND if unknown, CONFLICT if deleted.
   * Terminal runs still take writes, as in MLflow: evaluation results are often logged afterwards.
   */
  async requireWritable(publicId: string): Promise<RunWriteTarget> {
    const target = await this.runs.findWriteTarget(publicId);
    if (!target) {
      throw new NotFoundError('Run', publicId);
    }
    if (target.lifecycle_stage !== 'active') {
      throw new ConflictError(`run ${publicId} is deleted; restore it before writing to it`);
    }
    // A write is a sign of life; a run the sweep gave up on is running after all.
    this.activity.touch(target.id);
    if (target.status === 'failed' && target.status_reason?.startsWith(SILENT_RUN_REASON_PREFIX)) {
      await this.runs.revive(target.id, SILENT_RUN_REASON_PREFIX, Date.now());
      this.changes.runChanged(target, ['status']);
      return { ...target, status: 'running', status_reason: null };
    }
    return target;
  }

  /** A running run says it is alive without writing anything. */
  async heartbeat(publicId: string): Promise<RunResponseDto> {
    await this.requireWritable(publicId);
    return this.get(publicId);
  }

  /** The internal id of a run that exists (deleted or not), for reads. */
  async requireReadable(publicId: string): Promise<RunWriteTarget> {
    const target = await this.runs.findWriteTarget(publicId);
    if (!target) {
      throw new NotFoundError('Run', publicId);
    }
    return target;
  }

  private async transition(publicId: string, change: Omit<StatusChange, 'at'>): Promise<RunResponseDto> {
    const updated = await this.runs.changeStatus(publicId, { ...change, at: Date.now() });
    if (updated) {
      this.changes.runChanged(updated, ['status']);
      return this.respond(updated);
    }
    const current = await this.runs.findByPublicId(publicId);
    if (!current) {
      throw new NotFoundError('Run', publicId);
    }
    if (current.lifecycle_stage !== 'active') {
      throw new ConflictError(`run ${publicId} is deleted`);
    }
    throw new ConflictError(`run ${publicId} is ${current.status}; it can become ${change.to} only from ${change.from.join(' or ')}`);
  }

  private async respond(run: RunEntity): Promise<RunResponseDto> {
    return toRunResponse(
      run,
      await this.experiments.publicIdOf(run.experiment_id),
      this.activity.lastActivity(run.id, run.last_activity_at),
    );
  }

  /**
   * MLflow's SearchRuns: runs of the given experiments (public ids; unknown ones match nothing)
   * that pass the filter, in the order asked then start_time DESC and run_id ASC, a page at a
   * time with opaque keyset page tokens. A bad filter, order_by, max_results or page_token is
   * INVALID_PARAMETER_VALUE, its message pointing at the offending token.
   */
  async searchRuns(request: RunSearchRequest): Promise<RunSearchPage> {
    const filter = parseRunFilter(request.filter);
    const order = parseRunOrderBy(request.orderBy);
    const window = searchWindow(request, order);
    // Row ids, not public ids, go into the search: PostgreSQL then plans it with what it knows of
    // those very experiments (see experimentScope in search/run-search.sql.ts).
    const experiments = await this.experiments.idsOf(request.experimentIds);
    if (experiments.length === 0) {
      return { runs: [] };
    }
    const rows = await this.runs.searchRuns({
      experiments,
      lifecycleStages: window.lifecycleStages,
      filter,
      order,
      after: window.after,
      limit: window.maxResults + 1,
    });
    const page = searchPage(rows, window);
    return { runs: page.items, nextPageToken: page.nextPageToken };
  }
}
