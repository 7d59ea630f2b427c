import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { TrackingClient } from './tracking-client.js';
import type { Artifact } from './types.js';

/**
 * entrenar-tracking/client/node: uploads a file from disk, streamed (never read into memory),
 * under `key` (default: the file's name).
 */
export async function uploadArtifactFile(
  client: TrackingClient,
  runId: string,
  filePath: string,
  options: { key?: string; contentType?: string; overwrite?: boolean } = {},
): Promise<Artifact> {
  await stat(filePath);
  const stream = Readable.toWeb(createReadStream(filePath)) as ReadableStream<Uint8Array>;
  return client.uploadArtifact(runId, options.key ?? path.basename(filePath), stream, options);
}
