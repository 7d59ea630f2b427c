import { jest } from '@jest/globals';
import { ConflictError, InvalidRequestError, NotFoundError, ResourceNotFoundError } from '../../common/errors.js';
import { ExperimentResponseDto } from './dto/experiment.dto.js';
import { ExperimentEntity } from './entities/experiment.entity.js';
import { ExperimentRepository, ExperimentRunStats, NewExperiment } from './experiment.repository.js';
import { ExperimentNameTakenError, ExperimentsService, toExperimentResponse } from './experiments.service.js';

const RFC3339_Z = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** An in-memory ExperimentRepository: names are unique, as the table's constraint makes them. */
function fakeExperimentRepository() {
  const rows: ExperimentEntity[] = [];
  let nextId = 3100;
  /** experiment id → tag key → value. */
  const tags = new Map<number, Map<string, string>>();
  const tagsOf = (id: number) => tags.get(id) ?? tags.set(id, new Map()).get(id)!;
  const byId = (id: number) => rows.find((row) => row.id === id);
  return {
    rows,
    tags,
    findByName: jest.fn((name: string) => Promise.resolve(rows.find((row) => row.name === name))),
    rename: jest.fn((id: number, name: string, now: number) => {
      if (rows.some((row) => row.name === name && row.id !== id)) {
        return Promise.resolve('name_taken' as const);
      }
      Object.assign(byId(id) ?? {}, { name, updated_at: now });
      return Promise.resolve('renamed' as const);
    }),
    setLifecycle: jest.fn((id: number, stage: ExperimentEntity['lifecycle_stage'], now: number) => {
      Object.assign(byId(id) ?? {}, { lifecycle_stage: stage, deleted_at: stage === 'deleted' ? now : null });
      return Promise.resolve();
    }),
    setTag: jest.fn((id: number, key: string, value: string) => {
      tagsOf(id).set(key, value);
      return Promise.resolve();
    }),
    deleteTag: jest.fn((id: number, key: string) => Promise.resolve(tagsOf(id).delete(key))),
    tagsFor: jest.fn((ids: readonly number[]) =>
      Promise.resolve(new Map(ids.map((id) => [id, [...tagsOf(id)].map(([key, value]) => ({ key, value }))]))),
    ),
    insert: jest.fn((experiment: NewExperiment) => {
      if (rows.some((row) => row.name === experiment.name)) {
        return Promise.resolve('name_taken' as const);
      }
      const row: ExperimentEntity = { ...experiment, id: nextId++ };
      rows.push(row);
      return Promise.resolve({ ...row });
    }),
    findByPublicId: jest.fn((publicId: string) => {
      const row = rows.find((candidate) => candidate.public_id === publicId);
      return Promise.resolve(row ? { ...row } : undefined);
    }),
    publicIdOf: jest.fn((id: number) => Promise.resolve(rows.find((row) => row.id === id)?.public_id ?? 'missing')),
    /** Run statistics the tests set by experiment id; others have no runs. */
    runStats: new Map<number, ExperimentRunStats>(),
    runStatsFor: jest.fn(function (this: { runStats: Map<number, ExperimentRunStats> }, ids: readonly number[]) {
      return Promise.resolve(
        new Map(ids.flatMap((id) => (this.runStats.has(id) ? [[id, this.runStats.get(id) as ExperimentRunStats]] : []))),
      );
    }),
    listActive: jest.fn((page: { beforeId?: number; limit: number }) =>
      Promise.resolve(
        rows
          .filter((row) => row.lifecycle_stage === 'active' && row.id < (page.beforeId ?? Infinity))
          .sort((a, b) => b.id - a.id)
          .slice(0, page.limit + 1)
          .map((row) => ({ ...row })),
      ),
    ),
  };
}

function setup() {
  const experiments = fakeExperimentRepository();
  const service = new ExperimentsService(experiments as unknown as ExperimentRepository);
  return { service, experiments };
}

function expectPublicShape(dto: ExperimentResponseDto, internalIds: number[]): void {
  expect(Object.keys(dto).sort()).toEqual([
    'config',
    'created_at',
    'id',
    'last_activity_at',
    'lifecycle_stage',
    'name',
    'run_count',
    'updated_at',
  ]);
  expect(dto.id).toMatch(/^exp-[0-9a-f]{32}$/);
  // The run count is the only number: no internal id slips out.
  for (const [field, value] of Object.entries(dto)) {
    expect(field === 'run_count' || typeof value !== 'number').toBe(true);
  }
  // Not derived from a row id, in decimal or hex however padded. (A substring check failed at
  // random: 32 random hex digits contain a 4-digit row id now and then.)
  const digits = dto.id.slice('exp-'.length).replace(/^0+/, '');
  for (const id of internalIds) {
    expect(digits).not.toBe(String(id));
    expect(digits).not.toBe(id.toString(16));
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

describe('ExperimentsService.create', () => {
  it('creates an experiment with an unguessable id, its config and RFC 3339 times', async () => {
    const { service, experiments } = setup();
    const created = await service.create({ name: 'gpt2-finetune', config: { model: 'gpt2', layers: 12, nested: { a: [1, 2] } } });
    expect(created).toMatchObject({
      name: 'gpt2-finetune',
      config: { model: 'gpt2', layers: 12, nested: { a: [1, 2] } },
      lifecycle_stage: 'active',
    });
    expect(created.created_at).toMatch(RFC3339_Z);
    expect(created.updated_at).toBe(created.created_at);
    expectPublicShape(created, [experiments.rows[0].id]);
    expect(experiments.insert).toHaveBeenCalledWith(
      expect.objectContaining({
        public_id: created.id,
        name: 'gpt2-finetune',
        config: JSON.stringify({ model: 'gpt2', layers: 12, nested: { a: [1, 2] } }),
        artifact_location: `mlflow-artifacts:/${created.id}`,
        lifecycle_stage: 'active',
        deleted_at: null,
      }),
    );
  });

  it('stores no config when none is given, and answers config: null', async () => {
    const { service, experiments } = setup();
    const created = await service.create({ name: 'bare' });
    expect(created.config).toBeNull();
    expect(experiments.rows[0].config).toBeNull();
  });

  it('keeps an empty config object', async () => {
    const { service } = setup();
    expect((await service.create({ name: 'empty', config: {} })).config).toEqual({});
  });

  it('answers CONFLICT (MLflow: RESOURCE_ALREADY_EXISTS) for a name already in use, naming it', async () => {
    const { service, experiments } = setup();
    await service.create({ name: 'taken' });
    const error = await errorOf(service.create({ name: 'taken' }));
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as ConflictError).status).toBe(409);
    expect((error as ConflictError).mlflowCode).toBe('RESOURCE_ALREADY_EXISTS');
    expect(error.message).toBe("an experiment named 'taken' already exists");
    expect(experiments.rows).toHaveLength(1);
  });

  it('gives every experiment a different id', async () => {
    const { service } = setup();
    const ids = new Set<string>();
    for (let index = 0; index < 20; index++) {
      ids.add((await service.create({ name: `e${index}` })).id);
    }
    expect(ids.size).toBe(20);
  });
});

describe('ExperimentsService.get / require', () => {
  it('answers a stored experiment by public id', async () => {
    const { service, experiments } = setup();
    const created = await service.create({ name: 'x', config: { a: 1 } });
    const fetched = await service.get(created.id);
    expect(fetched).toEqual(created);
    expectPublicShape(fetched, [experiments.rows[0].id]);
  });

  it('answers NOT_FOUND for an unknown id, naming it', async () => {
    const { service } = setup();
    const error = await errorOf(service.get('exp-doesnotexist'));
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error.message).toBe('Experiment not found: exp-doesnotexist');
  });

  it('require gives the entity (internal id included) to other services', async () => {
    const { service, experiments } = setup();
    const created = await service.create({ name: 'x' });
    await expect(service.require(created.id)).resolves.toMatchObject({ id: experiments.rows[0].id, public_id: created.id });
    expect(await errorOf(service.require('exp-nope'))).toBeInstanceOf(NotFoundError);
  });

  it('publicIdOf asks the repository', async () => {
    const { service, experiments } = setup();
    const created = await service.create({ name: 'x' });
    await expect(service.publicIdOf(experiments.rows[0].id)).resolves.toBe(created.id);
    expect(experiments.publicIdOf).toHaveBeenCalledWith(experiments.rows[0].id);
  });
});

describe('ExperimentsService.list', () => {
  it('lists active experiments newest first, in pages', async () => {
    const { service, experiments } = setup();
    const names = ['a', 'b', 'c', 'd', 'e'];
    for (const name of names) {
      await service.create({ name });
    }
    experiments.rows[1].lifecycle_stage = 'deleted';
    const first = await service.list({ max_results: 2 });
    expect(first.experiments.map((experiment) => experiment.name)).toEqual(['e', 'd']);
    expect(first.next_page_token).toEqual(expect.any(String));
    const second = await service.list({ max_results: 2, page_token: first.next_page_token });
    expect(second.experiments.map((experiment) => experiment.name)).toEqual(['c', 'a']);
    expect(second.next_page_token).toBeUndefined();
    for (const experiment of [...first.experiments, ...second.experiments]) {
      expectPublicShape(
        experiment,
        experiments.rows.map((row) => row.id),
      );
    }
  });

  it('gives each experiment its run count and last activity, asking for the whole page at once', async () => {
    const { service, experiments } = setup();
    const busy = await service.create({ name: 'busy' });
    const idle = await service.create({ name: 'idle' });
    const busyRow = experiments.rows.find((row) => row.public_id === busy.id) as ExperimentEntity;
    experiments.runStats.set(busyRow.id, { runCount: 2, lastActivityAt: Date.UTC(2025, 0, 2) });

    const page = await service.list({});

    expect(experiments.runStatsFor).toHaveBeenCalledTimes(1);
    expect(page.experiments.map(({ id, run_count, last_activity_at }) => ({ id, run_count, last_activity_at }))).toEqual([
      { id: idle.id, run_count: 0, last_activity_at: null },
      { id: busy.id, run_count: 2, last_activity_at: '2025-01-02T00:00:00.000Z' },
    ]);
    await expect(service.get(busy.id)).resolves.toMatchObject({ run_count: 2, last_activity_at: '2025-01-02T00:00:00.000Z' });
  });

  it('uses 100 as the default page size', async () => {
    const { service, experiments } = setup();
    await service.list({});
    expect(experiments.listActive).toHaveBeenCalledWith({ beforeId: undefined, limit: 100 });
  });

  it('refuses a page token it did not issue with INVALID_REQUEST', async () => {
    const { service } = setup();
    expect(await errorOf(service.list({ page_token: 'AAAA' }))).toBeInstanceOf(InvalidRequestError);
  });
});

describe('toExperimentResponse', () => {
  it('maps every column but the internal ones', () => {
    const entity: ExperimentEntity = {
      id: 77,
      public_id: 'exp-abc',
      name: 'n',
      config: '{"k":"v"}',
      artifact_location: 'mlflow-artifacts:/exp-abc',
      lifecycle_stage: 'deleted',
      created_at: 0,
      updated_at: 1000,
      deleted_at: 1000,
    };
    expect(toExperimentResponse(entity)).toEqual({
      id: 'exp-abc',
      name: 'n',
      config: { k: 'v' },
      lifecycle_stage: 'deleted',
      created_at: '1970-01-01T00:00:00.000Z',
      updated_at: '1970-01-01T00:00:01.000Z',
      run_count: 0,
      last_activity_at: null,
    });
    expect(toExperimentResponse(entity, { runCount: 3, lastActivityAt: 2000 })).toMatchObject({
      run_count: 3,
      last_activity_at: '1970-01-01T00:00:02.000Z',
    });
  });
});

describe("ExperimentsService.createWithTags (MLflow's CreateExperiment)", () => {
  it("creates an experiment with its tags, in the server's artifact store unless told otherwise", async () => {
    const { service, experiments } = setup();
    const created = await service.createWithTags({ name: 'gpt2', artifactLocation: undefined, tags: [{ key: 'team', value: 'nlp' }] });
    expect(created).toMatchObject({
      name: 'gpt2',
      config: null,
      lifecycle_stage: 'active',
      artifact_location: `mlflow-artifacts:/${created.public_id}`,
    });
    expect(Object.fromEntries(experiments.tags.get(created.id) ?? [])).toEqual({ team: 'nlp' });
    const elsewhere = await service.createWithTags({ name: 'bert', artifactLocation: 's3://bucket/bert', tags: [] });
    expect(elsewhere.artifact_location).toBe('s3://bucket/bert');
  });

  it('refuses a taken name with ExperimentNameTakenError (CONFLICT, RESOURCE_ALREADY_EXISTS) for both APIs', async () => {
    const { service } = setup();
    await service.create({ name: 'gpt2' });
    const error = await errorOf(service.createWithTags({ name: 'gpt2', artifactLocation: undefined, tags: [] }));
    expect(error).toBeInstanceOf(ExperimentNameTakenError);
    expect(error).toMatchObject({ code: 'CONFLICT', mlflowCode: 'RESOURCE_ALREADY_EXISTS', experimentName: 'gpt2' });
    expect(await errorOf(service.create({ name: 'gpt2' }))).toBeInstanceOf(ExperimentNameTakenError);
  });
});

describe('ExperimentsService lifecycle, names and tags', () => {
  async function created(service: ExperimentsService, name = 'gpt2'): Promise<ExperimentEntity> {
    return service.createWithTags({ name, artifactLocation: undefined, tags: [] });
  }

  it('renames an active experiment, refusing a taken name or a deleted experiment', async () => {
    const { service, experiments } = setup();
    const gpt2 = await created(service);
    await created(service, 'bert');
    await service.rename(gpt2, 'gpt3');
    expect(experiments.rows[0].name).toBe('gpt3');
    expect(await errorOf(service.rename({ ...gpt2, name: 'gpt3' }, 'bert'))).toBeInstanceOf(ExperimentNameTakenError);
    const deleted = { ...gpt2, lifecycle_stage: 'deleted' as const };
    const error = await errorOf(service.rename(deleted, 'gpt4'));
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(error.message).toBe(`Cannot rename a non-active experiment (${gpt2.public_id} is deleted)`);
  });

  it('deletes and restores, refusing the default experiment, a second delete and restoring an active one', async () => {
    const { service, experiments } = setup();
    const gpt2 = await created(service);
    await service.delete(gpt2);
    expect(experiments.rows[0].lifecycle_stage).toBe('deleted');
    expect(await errorOf(service.delete(experiments.rows[0]))).toBeInstanceOf(ResourceNotFoundError);
    await service.restore(experiments.rows[0]);
    expect(experiments.rows[0].lifecycle_stage).toBe('active');
    expect(await errorOf(service.restore(experiments.rows[0]))).toBeInstanceOf(ResourceNotFoundError);
    const error = await errorOf(service.delete({ ...gpt2, public_id: '0' }));
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(error.message).toBe("Cannot delete the default experiment '0'");
  });

  it('sets and deletes tags of an active experiment only', async () => {
    const { service, experiments } = setup();
    const gpt2 = await created(service);
    await service.setTag(gpt2, { key: 'team', value: 'nlp' });
    expect((await service.tagsFor([gpt2.id])).get(gpt2.id)).toEqual([{ key: 'team', value: 'nlp' }]);
    await service.deleteTag(gpt2, 'team');
    const missing = await errorOf(service.deleteTag(gpt2, 'team'));
    expect(missing).toBeInstanceOf(ResourceNotFoundError);
    expect(missing.message).toBe(`No tag with name: team in experiment with id ${gpt2.public_id}`);
    const deleted = { ...gpt2, lifecycle_stage: 'deleted' as const };
    for (const attempt of [service.setTag(deleted, { key: 'a', value: 'b' }), service.deleteTag(deleted, 'a')]) {
      const error = await errorOf(attempt);
      expect(error).toBeInstanceOf(InvalidRequestError);
      expect(error.message).toBe(`The experiment ${gpt2.public_id} must be in the 'active' state`);
    }
    expect(experiments.setTag).toHaveBeenCalledTimes(1);
  });

  it("finds an experiment by name, or answers NOT_FOUND in MLflow's words", async () => {
    const { service } = setup();
    const gpt2 = await created(service);
    await expect(service.requireByName('gpt2')).resolves.toMatchObject({ id: gpt2.id });
    const error = await errorOf(service.requireByName('nope'));
    expect(error).toBeInstanceOf(ResourceNotFoundError);
    expect(error.message).toBe("Could not find experiment with name 'nope'");
  });
});
