import busboy from 'busboy';
import type { IncomingMessage } from 'node:http';
import { Injectable } from '@nestjs/common';
import { InvalidRequestError, PayloadTooLargeError } from '../../common/errors.js';
import { ArtifactStore, BlobTooLargeError, StagedBlob } from './artifact-store.js';

/** A multipart upload received: the staged file and the form fields that came with it. */
export interface ReceivedUpload {
  staged: StagedBlob;
  fileName: string;
  contentType: string;
  fields: ReadonlyMap<string, string>;
}

const MAX_FIELDS = 20;
const MAX_FIELD_BYTES = 64 * 1024;

/** Drains what is left of a request we stopped reading, so the connection stays usable. */
function drain(request: IncomingMessage): void {
  request.unpipe();
  request.resume();
}

/**
 * Where HTTP meets the artifact store: parses `multipart/form-data` with busboy as the bytes
 * arrive and streams the `file` part straight into the store (hashing on the way), so an upload
 * of any size is never held in memory.
 */
@Injectable()
export class ArtifactTransferAdapter {
  receiveMultipart(request: IncomingMessage, store: ArtifactStore, limitBytes: number): Promise<ReceivedUpload> {
    const declared = Number(request.headers['content-length']);
    if (Number.isFinite(declared) && declared > limitBytes) {
      drain(request);
      return Promise.reject(new PayloadTooLargeError(`request body of ${declared} bytes is larger than the limit of ${limitBytes} bytes`));
    }
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: request.headers, limits: { files: 1, fields: MAX_FIELDS, fieldSize: MAX_FIELD_BYTES } });
    } catch {
      drain(request);
      return Promise.reject(new InvalidRequestError('expected a multipart/form-data body with a "file" part'));
    }

    return new Promise<ReceivedUpload>((resolve, reject) => {
      const fields = new Map<string, string>();
      let staging: Promise<StagedBlob> | undefined;
      let fileName = '';
      let contentType = 'application/octet-stream';
      let problem: Error | undefined;
      let finished = false;
      let fileStream: (NodeJS.ReadableStream & { destroy(error?: Error): void }) | undefined;

      const fail = (error: Error) => {
        if (finished) {
          return;
        }
        finished = true;
        // Stop the file part so staging fails and removes its temporary file.
        fileStream?.destroy(new Error('upload abandoned'));
        drain(request);
        // Answer only once the staged bytes are gone, so an error response means nothing was kept.
        const cleanup = staging ? staging.then((staged) => staged.discard()) : Promise.resolve();
        cleanup.then(
          () => reject(error),
          () => reject(error),
        );
      };

      parser.on('field', (name, value, info) => {
        if (info.valueTruncated) {
          problem ??= new InvalidRequestError(`${name}: form field longer than ${MAX_FIELD_BYTES} bytes`);
        }
        fields.set(name, value);
      });
      parser.on('file', (name, stream, info) => {
        if (name !== 'file' || staging) {
          problem ??= new InvalidRequestError(`${name}: unexpected file part; send exactly one part named "file"`);
          stream.resume();
          return;
        }
        fileStream = stream;
        fileName = info.filename ?? '';
        contentType = info.mimeType || 'application/octet-stream';
        staging = store.stage(stream, limitBytes);
        staging.catch((error: unknown) => {
          if (error instanceof BlobTooLargeError) {
            fail(new PayloadTooLargeError(`file is larger than the limit of ${limitBytes} bytes`));
          }
        });
      });
      parser.on('filesLimit', () => {
        problem ??= new InvalidRequestError('send exactly one part named "file"');
      });
      parser.on('fieldsLimit', () => {
        problem ??= new InvalidRequestError(`too many form fields (at most ${MAX_FIELDS})`);
      });
      parser.on('error', (error: Error) => {
        fail(new InvalidRequestError(`unreadable multipart body: ${error.message}`));
      });
      parser.on('close', () => {
        if (finished) {
          return;
        }
        if (!staging) {
          fail(problem ?? new InvalidRequestError('file: missing; send the bytes in a part named "file"'));
          return;
        }
        staging.then(
          (staged) => {
            if (finished) {
              void staged.discard();
              return;
            }
            if (problem) {
              fail(problem);
              return;
            }
            finished = true;
            resolve({ staged, fileName, contentType, fields });
          },
          (error: unknown) => fail(error instanceof Error ? error : new Error(String(error))),
        );
      });
      request.on('close', () => {
        if (!request.complete) {
          fail(new InvalidRequestError('upload interrupted: the client closed the connection'));
        }
      });
      request.pipe(parser);
    });
  }
}
