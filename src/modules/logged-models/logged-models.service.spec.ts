import { jest } from '@jest/globals';
import { DomainError, NotFoundError } from '../../common/errors.js';
import { ExperimentEntity } from '../experiments/entities/experiment.entity.js';
import { ExperimentsService } from '../experiments/experiments.service.js';
import { ExperimentNotActiveError } from '../runs/run-errors.js';
import { RunsService } from '../runs/runs.service.js';
import { LoggedModelEntity, LoggedModelMetricEntity } from './entities/logged-model.entity.js';
import { KeyValue, LoggedModelRepository } from './logged-model.repository.js';
import { LoggedModelNotFoundError, LoggedModelsService } from './logged-models.service.js';

function experiment(id: number, overrides: Partial<ExperimentEntity> = {}): ExperimentEntity {
  return {
    id,
    public_id: String(id),
    name: `exp-${id}`,
    config: null,
    artifact_location: `mlflow-artifacts:/${id}/`,
    lifecycle_stage: 'active',
    created_at: 0,
    updated_at: 0,
    deleted_at: null,
    ...overrides,
  };
}

const EXPERIMENTS = [experiment(1), experiment(2, { lifecycle_stage: 'deleted' })];

/** An in-memory LoggedModelRepository: the parts the service's rules touch. */
function fakeRepository() {
  const models = new Map<string, LoggedModelEntity>();
  const metrics: LoggedModelMetricEntity[] = [];
  return {
    models,
    metrics,
    insert: jest.fn((model: LoggedModelEntity, _tags: readonly KeyValue[], _params: readonly KeyValue[]) => {
      models.set(model.model_id, { ...model });
      return Promise.resolve();
    }),
    findById: jest.fn((id: string) => Promise.resolve(models.get(id))),
    setStatus: jest.fn((id: string, status: LoggedModelEntity['status']) => {
      const model = models.get(id);
      if (model) {
        model.status = status;
      }
      return Promise.resolve();
    }),
    markDeleted: jest.fn((id: string) => {
      const model = models.get(id);
      if (model) {
        model.lifecycle_stage = 'deleted';
      }
      return Promise.resolve();
    }),
    existingIds: jest.fn((ids: readonly string[]) => Promise.resolve(new Set(ids.filter((id) => models.has(id))))),
    upsertMetrics: jest.fn((points: readonly LoggedModelMetricEntity[]) => {
      metrics.push(...points);
      return Promise.resolve();
    }),
    tagsOf: jest.fn(() => Promise.resolve([])),
    paramsOf: jest.fn(() => Promise.resolve([])),
    metricsOf: jest.fn(() => Promise.resolve([])),
  };
}

function setup() {
  const repository = fakeRepository();
  const experiments = {
    require: jest.fn((publicId: string) => {
      const found = EXPERIMENTS.find((candidate) => candidate.public_id === publicId);
      return found ? Promise.resolve(found) : Promise.reject(new NotFoundError('Experiment', publicId));
    }),
    requireById: jest.fn((id: number) => Promise.resolve(EXPERIMENTS.find((candidate) => candidate.id === id))),
  };
  const runs = {
    requireReadable: jest.fn((publicId: string) =>
      publicId === 'run-1' ? Promise.resolve({ id: 11, public_id: 'run-1' }) : Promise.reject(new NotFoundError('Run', publicId)),
    ),
  };
  const service = new LoggedModelsService(
    repository as unknown as LoggedModelRepository,
    experiments as unknown as ExperimentsService,
    runs as unknown as RunsService,
  );
  return { service, repository };
}

describe('LoggedModelsService', () => {
  it('creates a PENDING model with an m-<32 hex> id and its folder under the experiment location', async () => {
    const { service } = setup();

    const view = await service.create({ experimentId: '1', name: 'm', sourceRunId: 'run-1', tags: [], params: [] });

    expect(view.model.model_id).toMatch(/^m-[0-9a-f]{32}$/);
    expect(view.model.artifact_location).toBe(`mlflow-artifacts:/1/models/${view.model.model_id}/artifacts`);
    expect(view.model).toMatchObject({ status: 'pending', lifecycle_stage: 'active', source_run_id: 'run-1', experiment_id: 1 });
    expect(view.experimentPublicId).toBe('1');
  });

  it('refuses a deleted experiment and an unknown source run, storing nothing', async () => {
    const { service, repository } = setup();

    await expect(service.create({ experimentId: '2', tags: [], params: [] })).rejects.toBeInstanceOf(ExperimentNotActiveError);
    await expect(service.create({ experimentId: '1', sourceRunId: 'nope', tags: [], params: [] })).rejects.toBeInstanceOf(NotFoundError);
    expect(repository.insert).not.toHaveBeenCalled();
  });

  it('finalizes READY or FAILED, never back to PENDING', async () => {
    const { service } = setup();
    const { model } = await service.create({ experimentId: '1', tags: [], params: [] });

    expect((await service.finalize(model.model_id, 'ready')).model.status).toBe('ready');
    await expect(service.finalize(model.model_id, 'pending')).rejects.toBeInstanceOf(DomainError);
  });

  it('hides a deleted model unless asked for it', async () => {
    const { service } = setup();
    const { model } = await service.create({ experimentId: '1', tags: [], params: [] });

    await service.delete(model.model_id);

    await expect(service.get(model.model_id)).rejects.toBeInstanceOf(LoggedModelNotFoundError);
    expect((await service.get(model.model_id, true)).model.lifecycle_stage).toBe('deleted');
    await expect(service.setTags(model.model_id, [{ key: 'k', value: 'v' }])).rejects.toBeInstanceOf(LoggedModelNotFoundError);
  });

  it("keeps metric points for known models only, NaN as is_nan, with the run's id", async () => {
    const { service, repository } = setup();
    const { model } = await service.create({ experimentId: '1', tags: [], params: [] });

    await service.recordMetrics('run-1', [
      { modelId: model.model_id, key: 'loss', value: NaN, timestamp: 5, step: 1 },
      { modelId: 'm-ffffffffffffffffffffffffffffffff', key: 'loss', value: 1, timestamp: 5, step: 1 },
    ]);

    expect(repository.metrics).toEqual([
      {
        model_id: model.model_id,
        key: 'loss',
        step: 1,
        timestamp: 5,
        run_id: 'run-1',
        dataset_name: '',
        dataset_digest: '',
        value: 0,
        is_nan: 1,
      },
    ]);
  });
});
