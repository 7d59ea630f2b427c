import { jest } from '@jest/globals';
import { InvalidRequestError } from '../../common/errors.js';
import { SqlClient } from '../../database/sql-client.js';
import { ChangeFeedService } from '../live/change-feed.service.js';
import { StoredPoint } from '../metrics/metric.store.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { ParamsService } from '../params/params.service.js';
import { RunWriteTarget } from '../runs/run.repository.js';
import { RunsService } from '../runs/runs.service.js';
import { batchChangeKinds, RunBatch, RunBatchService } from './run-batch.service.js';

const RUN: RunWriteTarget = {
  id: 11,
  public_id: 'run-batch',
  experiment_id: 3,
  lifecycle_stage: 'active',
  status: 'running',
  status_reason: null,
};
const POINT: StoredPoint = { key: 'loss', step: 0, timestamp: 5, value: 1, isNan: false };

/** The services a batch composes, recording the order of their calls and the transaction each got. */
function setup() {
  const calls: string[] = [];
  const tx = { marker: 'tx' };
  const sql = {
    transaction: jest.fn(async (work: (executor: unknown) => Promise<unknown>) => {
      calls.push('begin');
      const result = await work(tx);
      calls.push('commit');
      return result;
    }),
  };
  const runs = {
    requireWritable: jest.fn(() => {
      calls.push('requireWritable');
      return Promise.resolve(RUN);
    }),
    storeTags: jest.fn((_runId: number, _tags: unknown, executor: unknown) => {
      calls.push(executor === tx ? 'tags in tx' : 'tags');
      return Promise.resolve();
    }),
  };
  const params = {
    storeParams: jest.fn((_run: unknown, _params: unknown, comparison: string, executor: unknown) => {
      calls.push(`${comparison} params${executor === tx ? ' in tx' : ''}`);
      return Promise.resolve(1);
    }),
  };
  const metrics = {
    logPoints: jest.fn(() => {
      calls.push('logPoints');
      return Promise.resolve();
    }),
    appendPoints: jest.fn((_run: unknown, _points: unknown, _api: unknown, executor: unknown) => {
      calls.push(executor === tx ? 'points in tx' : 'points');
      return Promise.resolve();
    }),
  };
  const changes = { runChanged: jest.fn() };
  const service = new RunBatchService(
    sql as unknown as SqlClient,
    runs as unknown as RunsService,
    params as unknown as ParamsService,
    metrics as unknown as MetricsService,
    changes as unknown as ChangeFeedService,
  );
  return { service, calls, changes, metrics };
}

describe('RunBatchService.logBatch', () => {
  it('stores params (as text), points and tags in one transaction, then tells the change feed once', async () => {
    const { service, calls, changes } = setup();
    const batch: RunBatch = { params: [{ key: 'lr', value: '0.1' }], points: [POINT], tags: [{ key: 'team', value: 'a' }] };
    await service.logBatch(RUN.public_id, batch, 'mlflow');
    expect(calls).toEqual(['requireWritable', 'begin', 'text params in tx', 'points in tx', 'tags in tx', 'commit']);
    expect(changes.runChanged).toHaveBeenCalledTimes(1);
    expect(changes.runChanged).toHaveBeenCalledWith(RUN, ['metrics', 'params', 'tags'], new Set(['loss']));
  });

  it('takes the metrics-only path without a transaction when there are neither params nor tags', async () => {
    const { service, calls, metrics, changes } = setup();
    await service.logBatch(RUN.public_id, { params: [], points: [POINT], tags: [] }, 'mlflow');
    expect(calls).toEqual(['logPoints']);
    expect(metrics.logPoints).toHaveBeenCalledWith(RUN.public_id, [POINT], 'mlflow');
    expect(changes.runChanged).not.toHaveBeenCalled();
  });

  it('refuses a repeated param key before looking the run up', async () => {
    const { service, calls } = setup();
    const batch: RunBatch = {
      params: [
        { key: 'lr', value: '0.1' },
        { key: 'lr', value: '0.1' },
      ],
      points: [],
      tags: [],
    };
    await expect(service.logBatch(RUN.public_id, batch, 'mlflow')).rejects.toThrow(
      new InvalidRequestError("Duplicate parameter keys have been submitted: 'lr'"),
    );
    expect(calls).toEqual([]);
  });
});

describe('batchChangeKinds', () => {
  it('names what the batch changed, and the status when it renames the run', () => {
    expect(batchChangeKinds({ params: [], points: [], tags: [] })).toEqual([]);
    expect(batchChangeKinds({ params: [{ key: 'a', value: 'b' }], points: [], tags: [] })).toEqual(['params']);
    expect(batchChangeKinds({ params: [], points: [], tags: [{ key: 'mlflow.runName', value: 'n' }] })).toEqual(['tags', 'status']);
  });
});
