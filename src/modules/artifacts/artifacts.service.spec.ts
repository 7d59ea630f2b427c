import { jest } from '@jest/globals';
import type { IncomingMessage } from 'node:http';
import { ConflictError, NotFoundError } from '../../common/errors.js';
import type { ServerConfig } from '../../config/server-config.js';
import type { ChangeFeedService } from '../live/change-feed.service.js';
import type { RunWriteTarget } from '../runs/run.repository.js';
import type { RunsService } from '../runs/runs.service.js';
import type { TelemetryService } from '../telemetry/telemetry.service.js';
import type { ArtifactBlobRepository } from './artifact-blob.repository.js';
import type { ArtifactGarbageCollector } from './artifact-gc.service.js';
import type { ArtifactStore, StagedBlob } from './artifact-store.js';
import type { ArtifactTransferAdapter } from './artifact-transfer.adapter.js';
import type { ArtifactRepository } from './artifact.repository.js';
import { ArtifactsService } from './artifacts.service.js';
import type { ArtifactEntity } from './entities/artifact.entity.js';

const RUN: RunWriteTarget = { id: 41, lifecycle_stage: 'active' } as RunWriteTarget;
const NEW_HASH = 'a'.repeat(64);
const OLD_HASH = 'b'.repeat(64);
const REQUEST = {} as IncomingMessage;

function row(hash: string, path = 'model.bin'): ArtifactEntity {
  return { id: 1, run_id: RUN.id, path, hash, size_bytes: 10, content_type: 'application/octet-stream', created_at: 1 };
}

/** Every collaborator as a jest.fn, and the order of the calls that matter. */
function setup(
  options: { existing?: ArtifactEntity; insert?: () => Promise<{ row: ArtifactEntity; created: boolean }>; pin?: () => Promise<void> } = {},
) {
  const calls: string[] = [];
  const staged: StagedBlob = {
    hash: NEW_HASH,
    sizeBytes: 10,
    commit: jest.fn(() => {
      calls.push('commit');
      return Promise.resolve();
    }),
    discard: jest.fn(() => {
      calls.push('discard');
      return Promise.resolve();
    }),
  };
  const artifacts = {
    findByPath: jest.fn(() => Promise.resolve(options.existing)),
    insertOrGet: jest.fn(() => {
      calls.push('insert');
      return options.insert ? options.insert() : Promise.resolve({ row: row(NEW_HASH), created: true });
    }),
    replace: jest.fn(() => {
      calls.push('replace');
      return Promise.resolve({ row: row(NEW_HASH), previousHash: OLD_HASH });
    }),
  };
  const blobs = {
    pin: jest.fn(() => {
      calls.push('pin');
      return options.pin ? options.pin() : Promise.resolve();
    }),
    unpin: jest.fn(() => {
      calls.push('unpin');
      return Promise.resolve();
    }),
  };
  const gc = {
    collect: jest.fn((hashes: Iterable<string>) => {
      calls.push(`collect ${[...hashes].join(',')}`);
      return Promise.resolve(0);
    }),
  };
  const runs = {
    requireWritable: jest.fn((id: string) => (id === 'run-x' ? Promise.resolve(RUN) : Promise.reject(new NotFoundError('Run', id)))),
  };
  const transfer = {
    refuseBody: jest.fn(),
    rejectDeclaredTooLarge: jest.fn(),
    receiveBody: jest.fn(() => Promise.resolve({ staged, contentType: 'application/octet-stream' })),
  };
  const telemetry = { countArtifactBytesReceived: jest.fn(), countArtifactBytesSent: jest.fn() };
  const service = new ArtifactsService(
    artifacts as unknown as ArtifactRepository,
    blobs as unknown as ArtifactBlobRepository,
    runs as unknown as RunsService,
    {} as ArtifactStore,
    transfer as unknown as ArtifactTransferAdapter,
    gc as unknown as ArtifactGarbageCollector,
    telemetry as unknown as TelemetryService,
    { maxBodySize: 1000 } as ServerConfig,
    { runChanged: jest.fn() } as unknown as ChangeFeedService,
  );
  return { service, calls, staged, artifacts, blobs, gc, transfer, telemetry };
}

describe('ArtifactsService uploads', () => {
  it('pins the blob before committing it and lets go only after the row is recorded', async () => {
    const { service, calls } = setup();
    const response = await service.uploadRaw('run-x', 'model.bin', REQUEST, {});
    expect(response).toEqual({ key: 'model.bin', hash: `sha256:${NEW_HASH}`, size_bytes: 10 });
    expect(calls).toEqual(['pin', 'commit', 'insert', 'unpin', 'discard']);
  });

  it('reports the bytes received once the artifact is recorded, also when the key already held them', async () => {
    const stored = setup();
    await stored.service.uploadRaw('run-x', 'model.bin', REQUEST, {});
    expect(stored.telemetry.countArtifactBytesReceived.mock.calls).toEqual([[10]]);
    const same = setup({ existing: row(NEW_HASH) });
    await same.service.uploadRaw('run-x', 'model.bin', REQUEST, {});
    expect(same.telemetry.countArtifactBytesReceived.mock.calls).toEqual([[10]]);
  });

  it('reports no bytes received for an upload that is not recorded', async () => {
    const failed = setup({ insert: () => Promise.reject(new Error('database went away')) });
    await expect(failed.service.uploadRaw('run-x', 'model.bin', REQUEST, {})).rejects.toThrow('database went away');
    const conflict = setup({ existing: row(OLD_HASH) });
    await expect(conflict.service.uploadRaw('run-x', 'model.bin', REQUEST, {})).rejects.toBeInstanceOf(ConflictError);
    expect(failed.telemetry.countArtifactBytesReceived).not.toHaveBeenCalled();
    expect(conflict.telemetry.countArtifactBytesReceived).not.toHaveBeenCalled();
  });

  it('collects the committed blob when its row cannot be recorded (the orphan case), and reports the failure', async () => {
    const failure = new Error('database went away');
    const { service, calls } = setup({ insert: () => Promise.reject(failure) });
    await expect(service.uploadRaw('run-x', 'model.bin', REQUEST, {})).rejects.toBe(failure);
    expect(calls).toEqual(['pin', 'commit', 'insert', 'unpin', `collect ${NEW_HASH}`, 'discard']);
  });

  it('collects the committed blob of an upload that lost the key to a concurrent one, answering CONFLICT', async () => {
    const { service, calls } = setup({ insert: () => Promise.resolve({ row: row(OLD_HASH), created: false }) });
    await expect(service.uploadRaw('run-x', 'model.bin', REQUEST, {})).rejects.toBeInstanceOf(ConflictError);
    expect(calls).toEqual(['pin', 'commit', 'insert', 'unpin', `collect ${NEW_HASH}`, 'discard']);
  });

  it('answers CONFLICT before pinning or committing when the key holds other bytes and overwrite is off', async () => {
    const { service, calls } = setup({ existing: row(OLD_HASH) });
    await expect(service.uploadRaw('run-x', 'model.bin', REQUEST, { overwrite: false })).rejects.toBeInstanceOf(ConflictError);
    expect(calls).toEqual(['discard']);
  });

  it('replaces with overwrite and collects the replaced blob after letting go of its own', async () => {
    const { service, calls } = setup({ existing: row(OLD_HASH) });
    await service.uploadRaw('run-x', 'model.bin', REQUEST, { overwrite: true });
    expect(calls).toEqual(['pin', 'commit', 'replace', 'unpin', `collect ${OLD_HASH}`, 'discard']);
  });

  it('keeps the stored copy when the key already holds the same bytes: no pin, no commit, staged bytes dropped', async () => {
    const { service, calls } = setup({ existing: row(NEW_HASH) });
    const response = await service.uploadRaw('run-x', 'model.bin', REQUEST, {});
    expect(response.hash).toBe(`sha256:${NEW_HASH}`);
    expect(calls).toEqual(['discard']);
  });

  it('never commits when the pending reference cannot be registered', async () => {
    const failure = new Error('no database');
    const { service, calls } = setup({ pin: () => Promise.reject(failure) });
    await expect(service.uploadRaw('run-x', 'model.bin', REQUEST, {})).rejects.toBe(failure);
    expect(calls).toEqual(['pin', 'discard']);
  });

  it('refuses the body without reading it when the run or the key is wrong', async () => {
    const unknown = setup();
    await expect(unknown.service.uploadRaw('run-nope', 'model.bin', REQUEST, {})).rejects.toBeInstanceOf(NotFoundError);
    expect(unknown.transfer.refuseBody).toHaveBeenCalledWith(REQUEST);
    expect(unknown.transfer.receiveBody).not.toHaveBeenCalled();

    const badKey = setup();
    await expect(badKey.service.uploadRaw('run-x', '../escape', REQUEST, {})).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    expect(badKey.transfer.refuseBody).toHaveBeenCalledWith(REQUEST);
    expect(badKey.transfer.receiveBody).not.toHaveBeenCalled();
  });
});
