import { createHash, randomFillSync } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { blobDir, bytesUnder, filesUnder, tmpDir } from '../support/artifacts.js';
import { factories } from '../support/factories.js';
import { startTestApp, TestApp } from '../support/test-app.js';

const MIB = 1024 * 1024;
const FILE_BYTES = 100 * MIB;
const RUNS = 10;

/** PUTs a file from disk as a raw, streamed body; resolves with the status and JSON answer. */
function putFile(baseUrl: string, urlPath: string, file: string, size: number): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      `${baseUrl}${urlPath}`,
      { method: 'PUT', headers: { 'content-type': 'application/octet-stream', 'content-length': size }, agent: false },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
          }),
        );
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    pipeline(createReadStream(file, { highWaterMark: MIB }), request).catch(reject);
  });
}

describe('deduplication: the same 100 MiB file logged by 10 runs', () => {
  let server: TestApp;
  let workDir: string;
  let file: string;
  let hash: string;

  beforeAll(async () => {
    server = await startTestApp({ maxBodySize: FILE_BYTES });
    workDir = await mkdtemp(path.join(os.tmpdir(), 'entrenar-dedup-test-'));
    file = path.join(workDir, 'checkpoint.bin');
    const digest = createHash('sha256');
    const handle = await open(file, 'w');
    const block = Buffer.alloc(4 * MIB);
    for (let written = 0; written < FILE_BYTES; written += block.length) {
      randomFillSync(block);
      digest.update(block);
      await handle.write(block);
    }
    await handle.close();
    hash = digest.digest('hex');
  });
  afterAll(async () => {
    await server.close();
    await rm(workDir, { recursive: true, force: true });
  });

  it('grows the blob store by 100 MiB, not 1 GiB, and every run lists and serves the file', async () => {
    const make = factories(server.http);
    const before = await bytesUnder(blobDir(server));
    const runIds: string[] = [];
    for (let index = 0; index < RUNS; index++) {
      const run = await make.run();
      runIds.push(run.id);
      const response = await putFile(server.url, `/api/v1/runs/${run.id}/artifacts/checkpoints/base-model.bin`, file, FILE_BYTES);
      expect(response).toEqual({
        status: 201,
        body: { key: 'checkpoints/base-model.bin', hash: `sha256:${hash}`, size_bytes: FILE_BYTES },
      });
    }
    const after = await bytesUnder(blobDir(server));
    expect(after - before).toBe(FILE_BYTES);
    expect((await filesUnder(blobDir(server))).filter((name) => name.endsWith(hash))).toHaveLength(1);
    expect(await filesUnder(tmpDir(server))).toEqual([]);

    for (const runId of runIds) {
      const listed = await server.http().get(`/api/v1/runs/${runId}/artifacts`).expect(200);
      expect(listed.body.artifacts).toEqual([
        expect.objectContaining({ key: 'checkpoints/base-model.bin', hash: `sha256:${hash}`, size_bytes: FILE_BYTES }),
      ]);
    }
    // Each run's copy reads back whole: a ranged read of the last MiB from the last run.
    const tail = await new Promise<{ status: number; length: number }>((resolve, reject) => {
      http
        .get(
          `${server.url}/api/v1/runs/${runIds[RUNS - 1]}/artifacts/checkpoints/base-model.bin`,
          { headers: { range: `bytes=${FILE_BYTES - MIB}-` } },
          (response) => {
            let length = 0;
            response.on('data', (chunk: Buffer) => (length += chunk.length));
            response.on('end', () => resolve({ status: response.statusCode ?? 0, length }));
          },
        )
        .on('error', reject);
    });
    expect(tail).toEqual({ status: 206, length: MIB });

    // Deleting it from nine runs keeps the bytes; from the tenth frees them.
    for (const [index, runId] of runIds.entries()) {
      await server.http().delete(`/api/v1/runs/${runId}/artifacts/checkpoints/base-model.bin`).expect(204);
      expect(await bytesUnder(blobDir(server))).toBe(index < RUNS - 1 ? after : before);
    }
  });
});
