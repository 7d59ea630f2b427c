import { jest } from '@jest/globals';
import { ConflictError, InvalidRequestError, NotFoundError } from '../../common/errors.js';
import { ChangeFeedService } from '../live/change-feed.service.js';
import { RunWriteTarget } from '../runs/run.repository.js';
import { RunsService } from '../runs/runs.service.js';
import { ParamValue } from './dto/param.dto.js';
import { ParamEntity } from './entities/param.entity.js';
import { ParamRepository } from './param.repository.js';
import { checkDistinctParamKeys, ParamChangedError, ParamsService, decodeParamValue, encodeParamValue } from './params.service.js';

const ACTIVE_RUN = 'run-active';
const DELETED_RUN = 'run-deleted';
const RUN_TARGETS: Record<string, RunWriteTarget> = {
  [ACTIVE_RUN]: { id: 7001, public_id: ACTIVE_RUN, experiment_id: 1, lifecycle_stage: 'active', status: 'running', status_reason: null },
  [DELETED_RUN]: { id: 7002, public_id: DELETED_RUN, experiment_id: 1, lifecycle_stage: 'deleted', status: 'running', status_reason: null },
};

/** An in-memory ParamRepository with the SQL one's insert-or-get semantics. */
function fakeParamRepository() {
  const rows: ParamEntity[] = [];
  return {
    rows,
    insertOrGetAll: jest.fn((params: readonly ParamEntity[]) => {
      const stored = new Map<string, ParamEntity>();
      const created = new Set<string>();
      for (const param of params) {
        const existing = rows.find((row) => row.run_id === param.run_id && row.key === param.key);
        if (!existing) {
          rows.push({ ...param });
          created.add(param.key);
        }
        stored.set(param.key, { ...(existing ?? param) });
      }
      return Promise.resolve({ stored, created });
    }),
    listByRun: jest.fn((runId: number, page: { afterKey?: string; limit: number }) =>
      Promise.resolve(
        rows
          .filter((row) => row.run_id === runId && row.key > (page.afterKey ?? ''))
          .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
          .slice(0, page.limit + 1)
          .map((row) => ({ ...row })),
      ),
    ),
  };
}

/** The two RunsService methods params use, with the real service's rules. */
function fakeRunsService() {
  return {
    requireWritable: jest.fn((publicId: string) => {
      const target = RUN_TARGETS[publicId];
      if (!target) {
        return Promise.reject(new NotFoundError('Run', publicId));
      }
      if (target.lifecycle_stage !== 'active') {
        return Promise.reject(new ConflictError(`run ${publicId} is deleted; restore it before writing to it`));
      }
      return Promise.resolve(target);
    }),
    requireReadable: jest.fn((publicId: string) => {
      const target = RUN_TARGETS[publicId];
      return target ? Promise.resolve(target) : Promise.reject(new NotFoundError('Run', publicId));
    }),
  };
}

function setup() {
  const params = fakeParamRepository();
  const runs = fakeRunsService();
  const changes = { runChanged: jest.fn() };
  const service = new ParamsService(
    params as unknown as ParamRepository,
    runs as unknown as RunsService,
    changes as unknown as ChangeFeedService,
  );
  return { service, params, runs, changes };
}

async function errorOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail');
}

describe('encodeParamValue / decodeParamValue', () => {
  it.each<[ParamValue, string, string]>([
    ['adam', 'adam', 'string'],
    ['', '', 'string'],
    ['0.001', '0.001', 'string'],
    [0.001, '0.001', 'number'],
    [-3, '-3', 'number'],
    [1e21, '1e+21', 'number'],
    [true, 'true', 'boolean'],
    [false, 'false', 'boolean'],
  ])('stores %j as text %j of type %s, and gives it back with its JSON type', (value, text, type) => {
    const encoded = encodeParamValue(value);
    expect(encoded).toEqual({ value: text, value_type: type });
    expect(decodeParamValue(encoded)).toStrictEqual(value);
  });
});

describe('ParamsService.logParam', () => {
  it('stores a new param against the internal run id and answers it as given', async () => {
    const { service, params } = setup();
    await expect(service.logParam(ACTIVE_RUN, { key: 'lr', value: 0.001 })).resolves.toEqual({ key: 'lr', value: 0.001 });
    expect(params.insertOrGetAll).toHaveBeenCalledWith([{ run_id: 7001, key: 'lr', value: '0.001', value_type: 'number' }], undefined);
  });

  it('reports a new param to the change feed, and not the same one logged again', async () => {
    const { service, changes } = setup();
    await service.logParam(ACTIVE_RUN, { key: 'lr', value: 0.001 });
    await service.logParam(ACTIVE_RUN, { key: 'lr', value: 0.001 });
    expect(changes.runChanged).toHaveBeenCalledTimes(1);
    expect(changes.runChanged).toHaveBeenCalledWith(RUN_TARGETS[ACTIVE_RUN], ['params']);
  });

  it.each<[ParamValue]>([['adam'], [64], [0.5], [true], [false], ['']])('accepts the same value %j again', async (value) => {
    const { service, params } = setup();
    await service.logParam(ACTIVE_RUN, { key: 'p', value });
    await expect(service.logParam(ACTIVE_RUN, { key: 'p', value })).resolves.toEqual({ key: 'p', value });
    expect(params.rows).toHaveLength(1);
  });

  it('answers CONFLICT for a different value, naming the key and the stored value, and keeps the first', async () => {
    const { service, params } = setup();
    await service.logParam(ACTIVE_RUN, { key: 'batch_size', value: 32 });
    const error = await errorOf(service.logParam(ACTIVE_RUN, { key: 'batch_size', value: 64 }));
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.message).toContain("'batch_size'");
    expect(error.message).toContain('already 32');
    expect(params.rows).toEqual([{ run_id: 7001, key: 'batch_size', value: '32', value_type: 'number' }]);
  });

  it.each<[ParamValue, ParamValue]>([
    [1, '1'],
    ['1', 1],
    [true, 'true'],
    ['false', false],
    [0, false],
  ])('answers CONFLICT when %j is logged again as %j: same text, different type', async (first, second) => {
    const { service } = setup();
    await service.logParam(ACTIVE_RUN, { key: 'p', value: first });
    const error = await errorOf(service.logParam(ACTIVE_RUN, { key: 'p', value: second }));
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.message).toContain(`already ${JSON.stringify(first)}`);
  });

  it('keeps params of different runs and keys apart', async () => {
    const { service, params } = setup();
    RUN_TARGETS['run-other'] = {
      id: 7003,
      public_id: 'run-other',
      experiment_id: 1,
      lifecycle_stage: 'active',
      status: 'running',
      status_reason: null,
    };
    try {
      await service.logParam(ACTIVE_RUN, { key: 'p', value: 1 });
      await expect(service.logParam('run-other', { key: 'p', value: 2 })).resolves.toEqual({ key: 'p', value: 2 });
      await expect(service.logParam(ACTIVE_RUN, { key: 'q', value: 2 })).resolves.toEqual({ key: 'q', value: 2 });
      expect(params.rows).toHaveLength(3);
    } finally {
      delete RUN_TARGETS['run-other'];
    }
  });

  it('answers NOT_FOUND for an unknown run, and stores nothing', async () => {
    const { service, params } = setup();
    expect(await errorOf(service.logParam('run-nope', { key: 'p', value: 1 }))).toBeInstanceOf(NotFoundError);
    expect(params.insertOrGetAll).not.toHaveBeenCalled();
  });

  it('answers CONFLICT for a deleted run, and stores nothing', async () => {
    const { service, params } = setup();
    expect(await errorOf(service.logParam(DELETED_RUN, { key: 'p', value: 1 }))).toBeInstanceOf(ConflictError);
    expect(params.insertOrGetAll).not.toHaveBeenCalled();
  });
});

describe('ParamsService.listParams', () => {
  it('lists params by key with their JSON types, never exposing the internal run id', async () => {
    const { service } = setup();
    await service.logParam(ACTIVE_RUN, { key: 'optimizer', value: 'adam' });
    await service.logParam(ACTIVE_RUN, { key: 'lr', value: 0.01 });
    await service.logParam(ACTIVE_RUN, { key: 'amp', value: true });
    const list = await service.listParams(ACTIVE_RUN, {});
    expect(list).toEqual({
      params: [
        { key: 'amp', value: true },
        { key: 'lr', value: 0.01 },
        { key: 'optimizer', value: 'adam' },
      ],
      next_page_token: undefined,
    });
    expect(JSON.stringify(list)).not.toContain('7001');
  });

  it('reads params of a deleted run', async () => {
    const { service, params } = setup();
    params.rows.push({ run_id: 7002, key: 'k', value: 'v', value_type: 'string' });
    await expect(service.listParams(DELETED_RUN, {})).resolves.toEqual({ params: [{ key: 'k', value: 'v' }], next_page_token: undefined });
  });

  it('pages by key with a token', async () => {
    const { service } = setup();
    for (const key of ['a', 'b', 'c', 'd', 'e']) {
      await service.logParam(ACTIVE_RUN, { key, value: key });
    }
    const first = await service.listParams(ACTIVE_RUN, { max_results: 2 });
    expect(first.params.map((param) => param.key)).toEqual(['a', 'b']);
    const second = await service.listParams(ACTIVE_RUN, { max_results: 2, page_token: first.next_page_token });
    expect(second.params.map((param) => param.key)).toEqual(['c', 'd']);
    const third = await service.listParams(ACTIVE_RUN, { max_results: 2, page_token: second.next_page_token });
    expect(third).toEqual({ params: [{ key: 'e', value: 'e' }], next_page_token: undefined });
  });

  it('refuses a page token it did not issue with INVALID_REQUEST', async () => {
    const { service } = setup();
    expect(await errorOf(service.listParams(ACTIVE_RUN, { page_token: 'nonsense' }))).toBeInstanceOf(InvalidRequestError);
  });

  it('answers NOT_FOUND for an unknown run', async () => {
    const { service } = setup();
    expect(await errorOf(service.listParams('run-nope', {}))).toBeInstanceOf(NotFoundError);
  });
});

describe('ParamsService.storeParams (the write-once rule for every API)', () => {
  it('compares typed values for /api/v1: the text 1 after the number 1 is a change', async () => {
    const { service } = setup();
    const run = RUN_TARGETS[ACTIVE_RUN];
    await service.storeParams(run, [{ key: 'epochs', value: 1 }], 'typed');
    const error = await errorOf(service.storeParams(run, [{ key: 'epochs', value: '1' }], 'typed'));
    expect(error).toBeInstanceOf(ParamChangedError);
  });

  it('compares text for MLflow: the text 1 after the number 1 is the same value', async () => {
    const { service, params } = setup();
    const run = RUN_TARGETS[ACTIVE_RUN];
    await service.storeParams(run, [{ key: 'epochs', value: 1 }], 'typed');
    await expect(service.storeParams(run, [{ key: 'epochs', value: '1' }], 'text')).resolves.toBe(0);
    expect(params.rows).toEqual([{ run_id: 7001, key: 'epochs', value: '1', value_type: 'number' }]);
  });

  it("refuses a different text with ParamChangedError carrying what MLflow's message needs, keeping the first", async () => {
    const { service, params } = setup();
    const run = RUN_TARGETS[ACTIVE_RUN];
    await service.storeParams(run, [{ key: 'lr', value: '0.01' }], 'text');
    const error = await errorOf(service.storeParams(run, [{ key: 'lr', value: '0.02' }], 'text'));
    expect(error).toBeInstanceOf(ParamChangedError);
    expect(error).toBeInstanceOf(ConflictError);
    expect(error).toMatchObject({ runId: ACTIVE_RUN, key: 'lr', storedValue: '0.01', attemptedValue: '0.02' });
    expect(error.message).toBe(`param 'lr' of run ${ACTIVE_RUN} is already "0.01"; params cannot change once logged`);
    expect(params.rows.map((row) => row.value)).toEqual(['0.01']);
  });

  it("counts the params that were new and passes the caller's transaction on", async () => {
    const { service, params } = setup();
    const run = RUN_TARGETS[ACTIVE_RUN];
    const tx = { marker: 'tx' };
    await service.storeParams(run, [{ key: 'a', value: '1' }], 'text');
    await expect(
      service.storeParams(
        run,
        [
          { key: 'a', value: '1' },
          { key: 'b', value: '2' },
        ],
        'text',
        tx as never,
      ),
    ).resolves.toBe(1);
    expect(params.insertOrGetAll).toHaveBeenLastCalledWith(
      [
        { run_id: 7001, key: 'a', value: '1', value_type: 'string' },
        { run_id: 7001, key: 'b', value: '2', value_type: 'string' },
      ],
      tx,
    );
  });
});

describe("ParamsService.logTextParam (MLflow's LogParam)", () => {
  it('stores a text param and tells the change feed, even when logged again with the same value', async () => {
    const { service, params, changes } = setup();
    await service.logTextParam(ACTIVE_RUN, { key: 'opt', value: 'adam' });
    await service.logTextParam(ACTIVE_RUN, { key: 'opt', value: 'adam' });
    expect(params.rows).toEqual([{ run_id: 7001, key: 'opt', value: 'adam', value_type: 'string' }]);
    expect(changes.runChanged).toHaveBeenCalledTimes(2);
  });

  it('refuses a deleted run before storing anything', async () => {
    const { service, params } = setup();
    expect(await errorOf(service.logTextParam(DELETED_RUN, { key: 'opt', value: 'adam' }))).toBeInstanceOf(ConflictError);
    expect(params.insertOrGetAll).not.toHaveBeenCalled();
  });
});

describe('checkDistinctParamKeys', () => {
  it('accepts distinct keys and refuses a repeated one, naming it', () => {
    expect(() => checkDistinctParamKeys([{ key: 'a' }, { key: 'b' }])).not.toThrow();
    expect(() => checkDistinctParamKeys([{ key: 'a' }, { key: 'b' }, { key: 'a' }])).toThrow(
      new InvalidRequestError("Duplicate parameter keys have been submitted: 'a'"),
    );
  });
});
