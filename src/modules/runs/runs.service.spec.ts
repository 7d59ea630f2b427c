import { jest } from '@jest/globals';
import { ConflictError, InvalidRequestError, NotFoundError, ResourceNotFoundError } from '../../common/errors.js';
import { encodePageToken } from '../../common/paging.js';
import { ExperimentEntity } from '../experiments/entities/experiment.entity.js';
import { ExperimentRepository } from '../experiments/experiment.repository.js';
import { ExperimentsService } from '../experiments/experiments.service.js';
import { ChangeFeedService } from '../live/change-feed.service.js';
import { CompletionStatus, RunResponseDto } from './dto/run.dto.js';
import { RunEntity, RunStatus } from './entities/run.entity.js';
import { NewRun, RunRepository, StatusChange } from './run.repository.js';
import { SqlClient } from '../../database/sql-client.js';
import { RunActivityService } from './run-activity.service.js';
import { RunInputRepository } from './run-input.repository.js';
import { ExperimentNotActiveError, RunDeletedError } from './run-errors.js';
import { RUN_NAME_TAG, RunsService } from './runs.service.js';

const RFC3339_Z = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const EXPERIMENT_ID = 4242;
const EXPERIMENT: ExperimentEntity = {
  id: EXPERIMENT_ID,
  public_id: 'exp-0123456789abcdef0123456789abcdef',
  name: 'gpt2',
  config: null,
  artifact_location: 'mlflow-artifacts:/exp-0123456789abcdef0123456789abcdef',
  lifecycle_stage: 'active',
  created_at: 1_700_000_000_000,
  updated_at: 1_700_000_000_000,
  deleted_at: null,
};
const DELETED_EXPERIMENT: ExperimentEntity = {
  ...EXPERIMENT,
  id: 5151,
  public_id: 'exp-deleted',
  name: 'old',
  lifecycle_stage: 'deleted',
  deleted_at: 1_700_000_000_500,
};

/** An in-memory RunRepository that behaves like the SQL one (conditional status change included). */
function fakeRunRepository() {
  const rows: RunEntity[] = [];
  let nextId = 9000;
  /** run id → tag key → value, as run_tags holds them. */
  const tags = new Map<number, Map<string, string>>();
  const tagsOf = (runId: number) => tags.get(runId) ?? tags.set(runId, new Map()).get(runId)!;
  const repository = {
    rows,
    tags,
    upsertTags: jest.fn((runId: number, given: readonly { key: string; value: string }[]) => {
      for (const tag of given) {
        tagsOf(runId).set(tag.key, tag.value);
      }
      return Promise.resolve();
    }),
    deleteTag: jest.fn((runId: number, key: string) => Promise.resolve(tagsOf(runId).delete(key))),
    update: jest.fn((runId: number, change: { status?: RunStatus; endedAt?: number; name?: string; at: number }) => {
      const row = rows.find((candidate) => candidate.id === runId);
      if (row) {
        row.updated_at = change.at;
        row.status = change.status ?? row.status;
        row.ended_at = change.endedAt ?? row.ended_at;
        row.name = change.name ?? row.name;
      }
      return Promise.resolve(row && { ...row });
    }),
    setLifecycle: jest.fn((runId: number, stage: RunEntity['lifecycle_stage'], now: number) => {
      const row = rows.find((candidate) => candidate.id === runId);
      if (row) {
        row.lifecycle_stage = stage;
        row.deleted_at = stage === 'deleted' ? now : null;
      }
      return Promise.resolve();
    }),
    insert: jest.fn((run: NewRun) => {
      const row: RunEntity = { ...run, id: nextId++ };
      rows.push(row);
      return Promise.resolve({ ...row });
    }),
    findByPublicId: jest.fn((publicId: string) => {
      const row = rows.find((candidate) => candidate.public_id === publicId);
      return Promise.resolve(row ? { ...row } : undefined);
    }),
    findWriteTarget: jest.fn((publicId: string) => {
      const row = rows.find((candidate) => candidate.public_id === publicId);
      return Promise.resolve(
        row
          ? {
              id: row.id,
              public_id: row.public_id,
              experiment_id: row.experiment_id,
              lifecycle_stage: row.lifecycle_stage,
              status: row.status,
              status_reason: row.status_reason,
            }
          : undefined,
      );
    }),
    listByExperiment: jest.fn((experimentId: number, page: { beforeId?: number; limit: number }) =>
      Promise.resolve(
        rows
          .filter((row) => row.experiment_id === experimentId && row.lifecycle_stage === 'active' && row.id < (page.beforeId ?? Infinity))
          .sort((a, b) => b.id - a.id)
          .slice(0, page.limit + 1)
          .map((row) => ({ ...row })),
      ),
    ),
    changeStatus: jest.fn((publicId: string, change: StatusChange) => {
      const row = rows.find((candidate) => candidate.public_id === publicId);
      if (!row || row.lifecycle_stage !== 'active' || !change.from.includes(row.status)) {
        return Promise.resolve(undefined);
      }
      row.status = change.to;
      row.status_reason = change.reason;
      row.updated_at = change.at;
      if (change.setStartedAt) {
        row.started_at ??= change.at;
      }
      if (change.setEndedAt) {
        row.ended_at = change.at;
      }
      return Promise.resolve({ ...row });
    }),
  };
  return repository;
}

function fakeExperimentRepository(experiments: ExperimentEntity[] = [EXPERIMENT, DELETED_EXPERIMENT]) {
  return {
    findByPublicId: jest.fn((publicId: string) => Promise.resolve(experiments.find((e) => e.public_id === publicId))),
    publicIdOf: jest.fn((id: number) => {
      const found = experiments.find((e) => e.id === id);
      return found ? Promise.resolve(found.public_id) : Promise.reject(new Error(`experiment #${id} is missing`));
    }),
    insert: jest.fn(),
    listActive: jest.fn(),
  };
}

function setup() {
  const runs = fakeRunRepository();
  const experimentRepository = fakeExperimentRepository();
  const experiments = new ExperimentsService(experimentRepository as unknown as ExperimentRepository);
  const activity = { touch: jest.fn(), lastActivity: (_id: number, stored: number | null) => stored };
  const changes = { runChanged: jest.fn() };
  // One connection, no concurrency: a transaction is just the work, on the same fake store.
  const sql = { transaction: <T>(work: (tx: unknown) => Promise<T>) => work(undefined) };
  const inputs = { record: jest.fn(() => Promise.resolve()) };
  const service = new RunsService(
    runs as unknown as RunRepository,
    experiments,
    activity as unknown as RunActivityService,
    changes as unknown as ChangeFeedService,
    sql as unknown as SqlClient,
    inputs as unknown as RunInputRepository,
  );
  return { service, runs, experimentRepository, activity, changes, inputs };
}

/** Puts a run straight into the fake store in the given state. */
function seedRun(runs: ReturnType<typeof fakeRunRepository>, overrides: Partial<RunEntity> = {}): RunEntity {
  const row: RunEntity = {
    id: 100 + runs.rows.length,
    public_id: `run-seeded-${runs.rows.length}`,
    experiment_id: EXPERIMENT_ID,
    name: 'seeded',
    status: 'pending',
    status_reason: null,
    lifecycle_stage: 'active',
    user_id: null,
    created_at: 1_700_000_001_000,
    started_at: null,
    ended_at: null,
    updated_at: 1_700_000_001_000,
    deleted_at: null,
    last_activity_at: null,
    ...overrides,
  };
  runs.rows.push(row);
  return row;
}

function expectNoInternalIds(dto: RunResponseDto, internalIds: number[]): void {
  expect(Object.keys(dto).sort()).toEqual(
    [
      'created_at',
      'ended_at',
      'experiment_id',
      'id',
      'last_activity_at',
      'lifecycle_stage',
      'name',
      'started_at',
      'status',
      'status_reason',
      'updated_at',
    ].sort(),
  );
  expect(typeof dto.id).toBe('string');
  expect(typeof dto.experiment_id).toBe('string');
  for (const value of Object.values(dto)) {
    expect(typeof value).not.toBe('number');
    for (const id of internalIds) {
      expect(value).not.toBe(String(id));
    }
  }
}

async function errorOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail');
}

describe('RunsService.create', () => {
  it('creates a pending run in the experiment, answering with public ids only', async () => {
    const { service, runs } = setup();
    const before = Date.now();
    const run = await service.create({ experiment_id: EXPERIMENT.public_id, name: 'baseline' });
    expect(run).toMatchObject({
      experiment_id: EXPERIMENT.public_id,
      name: 'baseline',
      status: 'pending',
      status_reason: null,
      lifecycle_stage: 'active',
      started_at: null,
      ended_at: null,
    });
    expect(run.id).toMatch(/^run-[0-9a-f]{32}$/);
    expect(run.created_at).toMatch(RFC3339_Z);
    expect(Date.parse(run.created_at)).toBeGreaterThanOrEqual(before);
    expect(runs.insert).toHaveBeenCalledTimes(1);
    expect(runs.insert.mock.calls[0][0]).toMatchObject({ experiment_id: EXPERIMENT_ID, public_id: run.id, status: 'pending' });
    expectNoInternalIds(run, [EXPERIMENT_ID, runs.rows[0].id]);
  });

  it('gives each run a different unguessable id', async () => {
    const { service } = setup();
    const ids = new Set<string>();
    for (let index = 0; index < 20; index++) {
      ids.add((await service.create({ experiment_id: EXPERIMENT.public_id })).id);
    }
    expect(ids.size).toBe(20);
  });

  it('names an unnamed run with a readable generated name', async () => {
    const { service } = setup();
    const run = await service.create({ experiment_id: EXPERIMENT.public_id });
    expect(run.name).toMatch(/^[a-z]+-[a-z]+-\d{1,3}$/);
  });

  it('answers NOT_FOUND for an unknown experiment, and stores nothing', async () => {
    const { service, runs } = setup();
    const error = await errorOf(service.create({ experiment_id: 'exp-nope' }));
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error.message).toBe('Experiment not found: exp-nope');
    expect(runs.insert).not.toHaveBeenCalled();
  });

  it('answers CONFLICT for a deleted experiment, and stores nothing', async () => {
    const { service, runs } = setup();
    const error = await errorOf(service.create({ experiment_id: DELETED_EXPERIMENT.public_id }));
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.message).toContain(DELETED_EXPERIMENT.public_id);
    expect(error.message).toContain('deleted');
    expect(runs.insert).not.toHaveBeenCalled();
  });
});

describe('RunsService.get', () => {
  it('answers the run with its experiment public id and RFC 3339 times', async () => {
    const { service, runs } = setup();
    const seeded = seedRun(runs, { status: 'running', started_at: 1_700_000_002_000 });
    const run = await service.get(seeded.public_id);
    expect(run).toEqual({
      id: seeded.public_id,
      experiment_id: EXPERIMENT.public_id,
      name: 'seeded',
      status: 'running',
      status_reason: null,
      lifecycle_stage: 'active',
      created_at: new Date(1_700_000_001_000).toISOString(),
      started_at: new Date(1_700_000_002_000).toISOString(),
      ended_at: null,
      updated_at: new Date(1_700_000_001_000).toISOString(),
      last_activity_at: null,
    });
    expectNoInternalIds(run, [seeded.id, EXPERIMENT_ID]);
  });

  it('answers NOT_FOUND for an unknown run', async () => {
    const { service } = setup();
    const error = await errorOf(service.get('run-nope'));
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error.message).toBe('Run not found: run-nope');
  });
});

describe('RunsService changes for live streams', () => {
  it('reports a created run, and a status change, to the change feed', async () => {
    const { service, runs, changes } = setup();
    const run = await service.create({ experiment_id: EXPERIMENT.public_id, name: 'live' });
    expect(changes.runChanged).toHaveBeenLastCalledWith(expect.objectContaining({ public_id: run.id, experiment_id: EXPERIMENT_ID }), [
      'created',
    ]);
    await service.start(run.id);
    expect(changes.runChanged).toHaveBeenLastCalledWith(expect.objectContaining({ public_id: run.id }), ['status']);
    expect(changes.runChanged).toHaveBeenCalledTimes(2);
    expect(runs.rows).toHaveLength(1);
  });

  it('reports nothing for a refused transition', async () => {
    const { service, runs, changes } = setup();
    const seeded = seedRun(runs, { status: 'success' });
    await errorOf(service.start(seeded.public_id));
    expect(changes.runChanged).not.toHaveBeenCalled();
  });
});

describe('RunsService status transitions', () => {
  it('starts a pending run: running, with started_at set', async () => {
    const { service, runs } = setup();
    const seeded = seedRun(runs);
    const before = Date.now();
    const run = await service.start(seeded.public_id);
    expect(run.status).toBe('running');
    expect(run.started_at).toMatch(RFC3339_Z);
    expect(Date.parse(run.started_at ?? '')).toBeGreaterThanOrEqual(before);
    expect(run.ended_at).toBeNull();
    expect(runs.changeStatus).toHaveBeenCalledWith(
      seeded.public_id,
      expect.objectContaining({ from: ['pending'], to: 'running', setStartedAt: true, setEndedAt: false }),
    );
  });

  it.each<[RunStatus]>([['running'], ['success'], ['failed'], ['cancelled']])(
    'refuses to start a %s run with CONFLICT naming its status',
    async (status) => {
      const { service, runs } = setup();
      const seeded = seedRun(runs, { status });
      const error = await errorOf(service.start(seeded.public_id));
      expect(error).toBeInstanceOf(ConflictError);
      expect(error.message).toContain(`is ${status}`);
      expect(runs.rows[0].status).toBe(status);
    },
  );

  it.each<[CompletionStatus]>([['success'], ['failed'], ['cancelled']])('completes a running run as %s, with ended_at set', async (to) => {
    const { service, runs } = setup();
    const seeded = seedRun(runs, { status: 'running', started_at: 1_700_000_002_000 });
    const run = await service.complete(seeded.public_id, { status: to, reason: to === 'success' ? undefined : 'OOM' });
    expect(run.status).toBe(to);
    expect(run.ended_at).toMatch(RFC3339_Z);
    expect(run.started_at).toBe(new Date(1_700_000_002_000).toISOString());
    expect(run.status_reason).toBe(to === 'success' ? null : 'OOM');
  });

  it.each<[CompletionStatus, RunStatus[]]>([
    ['success', ['running']],
    ['failed', ['running']],
    ['cancelled', ['pending', 'running']],
  ])('asks the repository to complete as %s only from %j, setting ended_at', async (to, from) => {
    const { service, runs } = setup();
    const seeded = seedRun(runs, { status: 'running' });
    await service.complete(seeded.public_id, { status: to, reason: 'why' });
    expect(runs.changeStatus).toHaveBeenCalledWith(
      seeded.public_id,
      expect.objectContaining({ from, to, reason: 'why', setStartedAt: false, setEndedAt: true }),
    );
  });

  it('cancels a pending run', async () => {
    const { service, runs } = setup();
    const seeded = seedRun(runs);
    const run = await service.complete(seeded.public_id, { status: 'cancelled' });
    expect(run.status).toBe('cancelled');
    expect(run.ended_at).toMatch(RFC3339_Z);
  });

  it.each<[RunStatus, CompletionStatus]>([
    ['pending', 'success'],
    ['pending', 'failed'],
    ['success', 'success'],
    ['success', 'failed'],
    ['success', 'cancelled'],
    ['failed', 'success'],
    ['failed', 'cancelled'],
    ['cancelled', 'cancelled'],
    ['cancelled', 'success'],
  ])('refuses to move a %s run to %s with CONFLICT, changing nothing', async (from, to) => {
    const { service, runs } = setup();
    const seeded = seedRun(runs, { status: from });
    const before = { ...seeded };
    const error = await errorOf(service.complete(seeded.public_id, { status: to }));
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.message).toContain(`is ${from}`);
    expect(error.message).toContain(to);
    expect(runs.rows[0]).toEqual(before);
  });

  it('answers NOT_FOUND when starting or completing an unknown run', async () => {
    const { service } = setup();
    expect(await errorOf(service.start('run-nope'))).toBeInstanceOf(NotFoundError);
    expect(await errorOf(service.complete('run-nope', { status: 'success' }))).toBeInstanceOf(NotFoundError);
  });

  it('answers CONFLICT when starting or completing a deleted run', async () => {
    const { service, runs } = setup();
    const seeded = seedRun(runs, { lifecycle_stage: 'deleted', deleted_at: 1 });
    const startError = await errorOf(service.start(seeded.public_id));
    expect(startError).toBeInstanceOf(ConflictError);
    expect(startError.message).toContain('deleted');
    expect(await errorOf(service.complete(seeded.public_id, { status: 'cancelled' }))).toBeInstanceOf(ConflictError);
  });
});

describe('RunsService.requireWritable / requireReadable', () => {
  it('gives the write target of an active run', async () => {
    const { service, runs } = setup();
    const seeded = seedRun(runs);
    await expect(service.requireWritable(seeded.public_id)).resolves.toMatchObject({
      id: seeded.id,
      public_id: seeded.public_id,
      experiment_id: seeded.experiment_id,
      lifecycle_stage: 'active',
    });
  });

  it('lets terminal runs take writes', async () => {
    const { service, runs } = setup();
    const seeded = seedRun(runs, { status: 'success' });
    await expect(service.requireWritable(seeded.public_id)).resolves.toMatchObject({
      id: seeded.id,
      public_id: seeded.public_id,
      experiment_id: seeded.experiment_id,
      lifecycle_stage: 'active',
    });
  });

  it('refuses writes to a deleted run with CONFLICT, but lets it be read', async () => {
    const { service, runs } = setup();
    const seeded = seedRun(runs, { lifecycle_stage: 'deleted' });
    expect(await errorOf(service.requireWritable(seeded.public_id))).toBeInstanceOf(ConflictError);
    await expect(service.requireReadable(seeded.public_id)).resolves.toMatchObject({
      id: seeded.id,
      public_id: seeded.public_id,
      experiment_id: seeded.experiment_id,
      lifecycle_stage: 'deleted',
    });
  });

  it('answers NOT_FOUND for an unknown run either way', async () => {
    const { service } = setup();
    expect(await errorOf(service.requireWritable('run-nope'))).toBeInstanceOf(NotFoundError);
    expect(await errorOf(service.requireReadable('run-nope'))).toBeInstanceOf(NotFoundError);
  });
});

describe('RunsService.listForExperiment', () => {
  it('lists active runs newest first, paging with an opaque token', async () => {
    const { service, runs } = setup();
    const seeded = [seedRun(runs), seedRun(runs), seedRun(runs), seedRun(runs, { lifecycle_stage: 'deleted' }), seedRun(runs)];
    const first = await service.listForExperiment(EXPERIMENT.public_id, { max_results: 2 });
    expect(first.runs.map((run) => run.id)).toEqual([seeded[4].public_id, seeded[2].public_id]);
    expect(first.next_page_token).toEqual(expect.any(String));
    const second = await service.listForExperiment(EXPERIMENT.public_id, { max_results: 2, page_token: first.next_page_token });
    expect(second.runs.map((run) => run.id)).toEqual([seeded[1].public_id, seeded[0].public_id]);
    expect(second.next_page_token).toBeUndefined();
    for (const run of [...first.runs, ...second.runs]) {
      expectNoInternalIds(run, [EXPERIMENT_ID, ...seeded.map((row) => row.id)]);
      expect(run.experiment_id).toBe(EXPERIMENT.public_id);
    }
  });

  it('asks the repository for the internal experiment id and the page size', async () => {
    const { service, runs } = setup();
    await service.listForExperiment(EXPERIMENT.public_id, {});
    expect(runs.listByExperiment).toHaveBeenCalledWith(EXPERIMENT_ID, { beforeId: undefined, limit: 100 });
  });

  it('answers NOT_FOUND for an unknown experiment', async () => {
    const { service } = setup();
    expect(await errorOf(service.listForExperiment('exp-nope', {}))).toBeInstanceOf(NotFoundError);
  });

  it('refuses a page token it did not issue with INVALID_REQUEST', async () => {
    const { service } = setup();
    expect(await errorOf(service.listForExperiment(EXPERIMENT.public_id, { page_token: 'bogus' }))).toBeInstanceOf(InvalidRequestError);
    expect(
      await errorOf(service.listForExperiment(EXPERIMENT.public_id, { page_token: encodePageToken({ k: 'wrong-shape' }) })),
    ).toBeInstanceOf(InvalidRequestError);
  });
});

describe("RunsService.createStarted (MLflow's CreateRun)", () => {
  it('creates a running run with its tags, the name tag holding the name', async () => {
    const { service, runs, changes } = setup();
    const { run, tags } = await service.createStarted(EXPERIMENT, {
      name: 'baseline',
      userId: 'ada',
      startedAt: 1_700_000_000_123,
      tags: [
        { key: 'team', value: 'first' },
        { key: RUN_NAME_TAG, value: 'stale' },
        { key: 'Zeta', value: 'z' },
        { key: 'team', value: 'vision' },
      ],
    });
    // As a read lists them: one per key (the last value given wins), by key in byte order.
    expect(tags).toEqual([
      { key: 'Zeta', value: 'z' },
      { key: RUN_NAME_TAG, value: 'baseline' },
      { key: 'team', value: 'vision' },
    ]);
    expect(run).toMatchObject({ name: 'baseline', status: 'running', user_id: 'ada', started_at: 1_700_000_000_123, ended_at: null });
    expect(Object.fromEntries(runs.tags.get(run.id) ?? [])).toEqual({ team: 'vision', Zeta: 'z', [RUN_NAME_TAG]: 'baseline' });
    expect(changes.runChanged).toHaveBeenCalledWith(run, ['created']);
  });

  it('names an unnamed run, starts it now by default, and tags it with the generated name', async () => {
    const { service, runs } = setup();
    const before = Date.now();
    const { run } = await service.createStarted(EXPERIMENT, { name: undefined, userId: null, startedAt: undefined, tags: [] });
    expect(run.name).toMatch(/^[a-z]+-[a-z]+-\d+$/);
    expect(run.started_at).toBeGreaterThanOrEqual(before);
    expect(runs.tags.get(run.id)?.get(RUN_NAME_TAG)).toBe(run.name);
  });

  it('refuses a deleted experiment with ExperimentNotActiveError (CONFLICT), storing nothing', async () => {
    const { service, runs } = setup();
    const error = await errorOf(service.createStarted(DELETED_EXPERIMENT, { name: 'x', userId: null, startedAt: undefined, tags: [] }));
    expect(error).toBeInstanceOf(ExperimentNotActiveError);
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as ExperimentNotActiveError).experimentId).toBe(DELETED_EXPERIMENT.public_id);
    expect(runs.rows).toHaveLength(0);
  });
});

describe("RunsService.update (MLflow's UpdateRun)", () => {
  it('sets status, end time and name whatever the status, the name tag following the name', async () => {
    const { service, runs, changes } = setup();
    const seeded = seedRun(runs, { status: 'success' });
    const updated = await service.update(seeded.public_id, { status: 'running', endedAt: 42, name: 'renamed' });
    expect(updated).toMatchObject({ status: 'running', ended_at: 42, name: 'renamed' });
    expect(runs.tags.get(seeded.id)?.get(RUN_NAME_TAG)).toBe('renamed');
    expect(changes.runChanged).toHaveBeenCalledWith(expect.objectContaining({ public_id: seeded.public_id }), ['status', 'tags']);
  });

  it('leaves the tags alone when the name is not given', async () => {
    const { service, runs } = setup();
    const seeded = seedRun(runs, { status: 'running' });
    await service.update(seeded.public_id, { status: 'success' });
    expect(runs.upsertTags).not.toHaveBeenCalled();
  });

  it('refuses a deleted run with RunDeletedError and an unknown one with NOT_FOUND', async () => {
    const { service, runs } = setup();
    const deleted = seedRun(runs, { lifecycle_stage: 'deleted' });
    expect(await errorOf(service.update(deleted.public_id, { status: 'success' }))).toBeInstanceOf(RunDeletedError);
    expect(await errorOf(service.update('run-unknown', { status: 'success' }))).toBeInstanceOf(NotFoundError);
    expect(runs.update).not.toHaveBeenCalled();
  });
});

describe('RunsService tags', () => {
  it('renames the run when mlflow.runName is set (the last one given, unless empty)', async () => {
    const { service, runs, changes } = setup();
    const seeded = seedRun(runs);
    await service.setTags(seeded.public_id, [
      { key: RUN_NAME_TAG, value: 'first' },
      { key: RUN_NAME_TAG, value: 'second' },
    ]);
    expect(runs.rows[0].name).toBe('second');
    expect(changes.runChanged).toHaveBeenCalledWith(expect.objectContaining({ public_id: seeded.public_id }), ['tags', 'status']);
    await service.setTags(seeded.public_id, [{ key: RUN_NAME_TAG, value: '' }]);
    expect(runs.rows[0].name).toBe('second');
  });

  it('sets other tags without touching the name', async () => {
    const { service, runs, changes } = setup();
    const seeded = seedRun(runs);
    await service.setTags(seeded.public_id, [{ key: 'team', value: 'nlp' }]);
    expect(runs.rows[0].name).toBe('seeded');
    expect(runs.update).not.toHaveBeenCalled();
    expect(changes.runChanged).toHaveBeenCalledWith(expect.objectContaining({ public_id: seeded.public_id }), ['tags']);
  });

  it('deletes a tag, and answers NOT_FOUND for a tag that is not there', async () => {
    const { service, runs } = setup();
    const seeded = seedRun(runs);
    await service.setTags(seeded.public_id, [{ key: 'team', value: 'nlp' }]);
    await service.deleteTag(seeded.public_id, 'team');
    expect(runs.tags.get(seeded.id)?.has('team')).toBe(false);
    const error = await errorOf(service.deleteTag(seeded.public_id, 'team'));
    expect(error).toBeInstanceOf(ResourceNotFoundError);
    expect(error.message).toBe(`No tag with name: team in run with id ${seeded.public_id}`);
  });

  it('refuses tag changes on a deleted run', async () => {
    const { service, runs } = setup();
    const deleted = seedRun(runs, { lifecycle_stage: 'deleted' });
    expect(await errorOf(service.setTags(deleted.public_id, [{ key: 'a', value: 'b' }]))).toBeInstanceOf(RunDeletedError);
    expect(await errorOf(service.deleteTag(deleted.public_id, 'a'))).toBeInstanceOf(RunDeletedError);
    expect(runs.upsertTags).not.toHaveBeenCalled();
  });
});

describe('RunsService.delete / restore / logInputs', () => {
  it('moves a run to the bin and back, telling the change feed', async () => {
    const { service, runs, changes } = setup();
    const seeded = seedRun(runs);
    await service.delete(seeded.public_id);
    expect(runs.rows[0]).toMatchObject({ lifecycle_stage: 'deleted' });
    await service.restore(seeded.public_id);
    expect(runs.rows[0]).toMatchObject({ lifecycle_stage: 'active', deleted_at: null });
    expect(changes.runChanged.mock.calls.map(([, kinds]) => kinds)).toEqual([['deleted'], ['created']]);
  });

  it('records inputs of a writable run under its experiment, and refuses a deleted run', async () => {
    const { service, runs, inputs } = setup();
    const seeded = seedRun(runs);
    const datasets = [{ dataset: { name: 'd', digest: '1', source_type: 'local', source: '/d', schema: null, profile: null }, tags: [] }];
    await service.logInputs(seeded.public_id, datasets);
    expect(inputs.record).toHaveBeenCalledWith(seeded.id, EXPERIMENT_ID, datasets, expect.any(Number));
    await service.delete(seeded.public_id);
    expect(await errorOf(service.logInputs(seeded.public_id, datasets))).toBeInstanceOf(RunDeletedError);
    expect(inputs.record).toHaveBeenCalledTimes(1);
  });
});
