import { Injectable } from '@nestjs/common';
import { ConflictError, NotFoundError } from '../../common/errors.js';
import { SqlClient, SqlExecutor } from '../../database/sql-client.js';
import { newPublicId } from '../../common/ids.js';
import { DEFAULT_PAGE_SIZE, decodePageToken, isAfterCursor, pageOf } from '../../common/paging.js';
import { toRfc3339, toRfc3339OrNull } from '../../common/time.js';
import { PageQueryDto } from '../../common/validation.js';
import { ExperimentEntity } from '../experiments/entities/experiment.entity.js';
import { ExperimentsService } from '../experiments/experiments.service.js';
import { ChangeFeedService } from '../live/change-feed.service.js';
import { ChangeKind } from '../live/run-change.js';
import { CompleteRunDto, CreateRunDto, RunListResponseDto, RunResponseDto } from './dto/run.dto.js';
import { RunEntity, RunStatus } from './entities/run.entity.js';
import { randomRunName } from './run-names.js';
import { RunActivityService, SILENT_RUN_REASON_PREFIX } from './run-activity.service.js';
import { ExperimentNotActiveError, RunDeletedError, RunTagNotFoundError } from './run-errors.js';
import { DatasetInput, RunInputRepository } from './run-input.repository.js';
import { NewRun, RunRepository, RunWriteTarget, StatusChange } from './run.repository.js';
import { searchPage, searchWindow } from '../../common/search/search-page.js';
import { parseRunFilter, parseRunOrderBy } from './search/run-search-grammar.js';
import type { RunSearchPage, RunSearchRequest } from './search/run-search.js';

/** A new run's row: the one place runs are made, so every API's runs obey the same rules. */
function newRunRow(experiment: ExperimentEntity, spec: NewRunSpec, now: number): NewRun {
  if (experiment.lifecycle_stage !== 'active') {
    throw new ExperimentNotActiveError(experiment.public_id);
  }
  return {
    public_id: newPublicId('run'),
    experiment_id: experiment.id,
    name: spec.name ?? randomRunName(),
    status: spec.status,
    status_reason: null,
    lifecycle_stage: 'active',
    user_id: spec.userId,
    created_at: now,
    started_at: spec.startedAt,
    ended_at: null,
    updated_at: now,
    deleted_at: null,
    last_activity_at: spec.lastActivityAt,
  };
}

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

/** The tag that holds a run's name (MLflow's convention): setting it renames the run. */
export const RUN_NAME_TAG = 'mlflow.runName';

export interface RunTag {
  key: string;
  value: string;
}

/** What changed when these tags were set: the name too (the status event carries it) when `mlflow.runName` is among them. */
export function tagChangeKinds(tags: readonly RunTag[]): ChangeKind[] {
  return tags.some((tag) => tag.key === RUN_NAME_TAG) ? ['tags', 'status'] : ['tags'];
}

/** How a run starts out; everything else about a new run is the same however it is created. */
interface NewRunSpec {
  name: string | undefined;
  status: RunStatus;
  userId: string | null;
  startedAt: number | null;
  lastActivityAt: number | null;
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
    private readonly sql: SqlClient,
    private readonly inputs: RunInputRepository,
  ) {}

  async create(dto: CreateRunDto): Promise<RunResponseDto> {
    const experiment = await this.experiments.require(dto.experiment_id);
    const run = await this.runs.insert(
      newRunRow(experiment, { name: dto.name, status: 'pending', userId: null, startedAt: null, lastActivityAt: null }, Date.now()),
    );
    this.changes.runChanged(run, ['created']);
    return toRunResponse(run, experiment.public_id);
  }

  /**
   * A run that is running from `startedAt` (now by default), with tags, as MLflow's CreateRun
   * makes it: one transaction, and the tag `mlflow.runName` always holds the run's name. Returns
   * the run and its tags as a read would list them (one per key, by key in byte order, the order
   * of the keys' "C"/binary collation), so the caller can answer without reading them back.
   */
  async createStarted(
    experiment: ExperimentEntity,
    spec: { name: string | undefined; userId: string | null; startedAt: number | undefined; tags: readonly RunTag[] },
  ): Promise<{ run: RunEntity; tags: RunTag[] }> {
    const now = Date.now();
    const row = newRunRow(
      experiment,
      { name: spec.name, status: 'running', userId: spec.userId, startedAt: spec.startedAt ?? now, lastActivityAt: now },
      now,
    );
    const created = await this.sql.transaction(async (tx) => {
      const run = await this.runs.insert(row, tx);
      const tags = [...spec.tags.filter((tag) => tag.key !== RUN_NAME_TAG), { key: RUN_NAME_TAG, value: run.name }];
      await this.runs.upsertTags(run.id, tags, tx);
      return { run, tags };
    });
    this.changes.runChanged(created.run, ['created']);
    const lastOfKey = new Map(created.tags.map((tag) => [tag.key, tag.value]));
    const tags = [...lastOfKey]
      .map(([key, value]) => ({ key, value }))
      .sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
    return { run: created.run, tags };
  }

  async get(publicId: string): Promise<RunResponseDto> {
    return this.respond(await this.require(publicId));
  }

  /** The run's entity (deleted or not), or NOT_FOUND. For other services of this server. */
  async require(publicId: string): Promise<RunEntity> {
    const run = await this.runs.findByPublicId(publicId);
    if (!run) {
      throw new NotFoundError('Run', publicId);
    }
    return run;
  }

  /**
   * Sets any of status, end time and name of a writable run, whatever its status (MLflow's
   * UpdateRun has no transition rules); the name tag follows the name. Returns the run as stored.
   */
  async update(publicId: string, change: { status?: RunStatus; endedAt?: number; name?: string }): Promise<RunEntity> {
    const target = await this.requireWritable(publicId);
    const at = Date.now();
    // One statement needs no transaction (two round trips fewer on PostgreSQL); a new name also
    // moves the name tag, so both go together.
    const updated =
      change.name === undefined
        ? await this.runs.update(target.id, { ...change, at })
        : await this.sql.transaction(async (tx) => {
            const row = await this.runs.update(target.id, { ...change, at }, tx);
            await this.runs.upsertTags(target.id, [{ key: RUN_NAME_TAG, value: change.name as string }], tx);
            return row;
          });
    if (!updated) {
      throw new NotFoundError('Run', publicId);
    }
    this.changes.runChanged(target, change.name === undefined ? ['status'] : ['status', 'tags']);
    return updated;
  }

  /** Moves a run (deleted or not) to the bin; it keeps its data until restored or purged. */
  async delete(publicId: string): Promise<void> {
    const target = await this.requireReadable(publicId);
    await this.runs.setLifecycle(target.id, 'deleted', Date.now());
    this.changes.runChanged(target, ['deleted']);
  }

  async restore(publicId: string): Promise<void> {
    const target = await this.requireReadable(publicId);
    await this.runs.setLifecycle(target.id, 'active', Date.now());
    // Back in the lists, as if created: pages add it again.
    this.changes.runChanged(target, ['created']);
  }

  /** Sets tags on a writable run, in one transaction. */
  async setTags(publicId: string, tags: readonly RunTag[]): Promise<void> {
    const target = await this.requireWritable(publicId);
    await this.sql.transaction((tx) => this.storeTags(target.id, tags, tx));
    this.changes.runChanged(target, tagChangeKinds(tags));
  }

  /**
   * Tags inside the caller's transaction (a batch), keeping the run's name in step with
   * `mlflow.runName` (the last one given, unless empty).
   */
  async storeTags(runId: number, tags: readonly RunTag[], tx: SqlExecutor): Promise<void> {
    if (tags.length === 0) {
      return;
    }
    await this.runs.upsertTags(runId, tags, tx);
    const name = tags.findLast((tag) => tag.key === RUN_NAME_TAG)?.value;
    if (name !== undefined && name !== '') {
      await this.runs.update(runId, { name, at: Date.now() }, tx);
    }
  }

  async deleteTag(publicId: string, key: string): Promise<void> {
    const target = await this.requireWritable(publicId);
    if (!(await this.runs.deleteTag(target.id, key))) {
      throw new RunTagNotFoundError(publicId, key);
    }
    this.changes.runChanged(target, ['tags']);
  }

  /** Records the datasets a writable run used. */
  async logInputs(publicId: string, datasets: readonly DatasetInput[]): Promise<void> {
    const target = await this.requireWritable(publicId);
    await this.inputs.record(target.id, target.experiment_id, datasets, Date.now());
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
      throw new RunDeletedError(publicId);
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
