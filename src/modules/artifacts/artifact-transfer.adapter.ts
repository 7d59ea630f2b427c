import busboy from 'busboy';
import type { Request, Response } from 'express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Injectable, Logger } from '@nestjs/common';
import { InvalidRequestError, PayloadTooLargeError } from '../../common/errors.js';
import { errorBody } from '../../common/filters/global-exception.filter.js';
import { refuseUnreadBody } from '../../common/http/refuse-body.js';
import { ArtifactStore, BlobTooLargeError, ByteRange, StagedBlob } from './artifact-store.js';

/** A multipart upload received: the staged file and the form fields that came with it. */
export interface ReceivedUpload {
  staged: StagedBlob;
  fileName: string;
  contentType: string;
  fields: ReadonlyMap<string, string>;
}

/** A raw upload received: the staged body and its declared content type. */
export interface ReceivedBody {
  staged: StagedBlob;
  contentType: string;
}

/** What a download serves: one stored blob and how to present it. */
export interface BlobDownload {
  hash: string;
  sizeBytes: number;
  contentType: string;
  /** The name a browser saves it under (`Content-Disposition: attachment`). */
  fileName: string;
  open(range?: ByteRange): Promise<Readable>;
}

const MAX_FIELDS = 20;
const MAX_FIELD_BYTES = 64 * 1024;
const DEFAULT_CONTENT_TYPE = 'application/octet-stream';
/** Buffer between the socket and the store while staging a raw body. */
const BODY_BUFFER_BYTES = 1024 * 1024;
/** `type/subtype` with optional parameters, printable ASCII only. */
const CONTENT_TYPE = /^[\w!#$&^.+-]+\/[\w!#$&^.+-]+(\s*;[\x20-\x7e]*)?$/;

/** The content type to store for a declared one: kept if well-formed, else the generic binary type. */
export function storedContentType(declared: string | undefined): string {
  const value = declared?.trim();
  return value && value.length <= 255 && CONTENT_TYPE.test(value) ? value : DEFAULT_CONTENT_TYPE;
}

/** `attachment; filename=…` safe for any name (RFC 6266 / 5987). */
export function contentDisposition(fileName: string): string {
  const base = path.posix.basename(fileName);
  const ascii = base.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(base)}`;
}

/** The entity tag of a blob: its content hash, as the API shows it. */
export function blobEtag(hash: string): string {
  return `"sha256:${hash}"`;
}

/**
 * Whether If-None-Match holds for a blob with entity tag `etag` (RFC 9110 §13.1.2), so that a
 * GET or HEAD is answered 304: `*` (the blob exists), or a list naming its tag by weak
 * comparison (`W/` ignored on either side). Nothing else in the request matters: no-cache in
 * Cache-Control or Pragma tells caches to revalidate with the origin, and this is that
 * revalidation (§13.2.1). Express' `req.fresh` (the `fresh` package) applies the cache's rule
 * here instead and calls every no-cache request stale, so a browser reload got 200.
 */
export function ifNoneMatchHolds(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) {
    return false;
  }
  if (ifNoneMatch.trim() === '*') {
    return true;
  }
  const opaqueTag = etag.replace(/^W\//, '');
  for (const [, listed] of ifNoneMatch.matchAll(/(?:W\/)?("[^"]*")/g)) {
    if (listed === opaqueTag) {
      return true;
    }
  }
  return false;
}

/**
 * Whether a Range request may be answered partially given its If-Range (RFC 9110 §13.1.5): only
 * when If-Range is absent or names the current entity tag exactly (a date, or another tag, means
 * the client's partial copy may be stale, so it gets the whole file).
 */
export function ifRangeAllowsPartial(ifRange: string | undefined, etag: string): boolean {
  if (ifRange === undefined) {
    return true;
  }
  return ifRange.trim() === etag;
}

class UploadInterruptedError extends InvalidRequestError {
  constructor() {
    super('upload interrupted: the client closed the connection before the whole body arrived');
  }
}

function tooLarge(limitBytes: number, declared?: number): PayloadTooLargeError {
  return new PayloadTooLargeError(
    declared === undefined
      ? `request body is larger than the limit of ${limitBytes} bytes`
      : `request body of ${declared} bytes is larger than the limit of ${limitBytes} bytes`,
  );
}

function declaredLength(request: IncomingMessage): number | undefined {
  const header = request.headers['content-length'];
  if (header === undefined || !/^\d+$/.test(header)) {
    return undefined;
  }
  return Number(header);
}

/**
 * Where HTTP meets the artifact store, in both directions. Uploads stream from the socket
 * through the hash into the store's staging area (multipart parsed by busboy as the bytes
 * arrive, or the raw body), so an upload of any size is never held in memory. Downloads stream
 * from the store to the socket with backpressure, with ETag, If-None-Match, Range and If-Range
 * handled as RFC 9110 says (ranges parsed by Express' `range-parser`).
 */
@Injectable()
export class ArtifactTransferAdapter {
  private readonly logger = new Logger('ArtifactTransfer');

  /**
   * Stops reading an upload that will not be stored (see refuseUnreadBody: discarded while the
   * answer goes out, then the connection closed).
   */
  refuseBody(request: IncomingMessage): void {
    refuseUnreadBody(request);
  }

  /** Throws PAYLOAD_TOO_LARGE, refusing the body, when the declared length is over the limit. */
  rejectDeclaredTooLarge(request: IncomingMessage, limitBytes: number): void {
    const declared = declaredLength(request);
    if (declared !== undefined && declared > limitBytes) {
      this.refuseBody(request);
      throw tooLarge(limitBytes, declared);
    }
  }

  /** Streams a raw request body (any content type) into the store's staging area. */
  async receiveBody(request: IncomingMessage, store: ArtifactStore, limitBytes: number): Promise<ReceivedBody> {
    const staged = await this.receiveBodyInto(request, limitBytes, (body) => store.stage(body, limitBytes));
    return { staged, contentType: storedContentType(request.headers['content-type']) };
  }

  /**
   * Streams a raw request body into `sink` (which must enforce `limitBytes` by rejecting with
   * BlobTooLargeError), answering PAYLOAD_TOO_LARGE past the limit and INVALID_REQUEST when the
   * client hangs up midway; either way the rest of the body is refused.
   */
  async receiveBodyInto<T>(request: IncomingMessage, limitBytes: number, sink: (body: Readable) => Promise<T>): Promise<T> {
    this.rejectDeclaredTooLarge(request, limitBytes);
    // The sink's pipeline destroys its source on failure; give it a pass-through instead of the
    // request itself, so a refusal can still answer on this connection.
    const body = new PassThrough({ highWaterMark: BODY_BUFFER_BYTES });
    const interrupted = () => {
      if (!request.complete) {
        body.destroy(new UploadInterruptedError());
      }
    };
    request.once('close', interrupted);
    request.once('error', interrupted);
    request.pipe(body);
    try {
      return await sink(body);
    } catch (error) {
      this.refuseBody(request);
      if (error instanceof BlobTooLargeError) {
        throw tooLarge(limitBytes);
      }
      if (error instanceof UploadInterruptedError || !request.complete) {
        throw new UploadInterruptedError();
      }
      throw error;
    } finally {
      request.off('close', interrupted);
      request.off('error', interrupted);
    }
  }

  receiveMultipart(request: IncomingMessage, store: ArtifactStore, limitBytes: number): Promise<ReceivedUpload> {
    try {
      this.rejectDeclaredTooLarge(request, limitBytes);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: request.headers, limits: { files: 1, fields: MAX_FIELDS, fieldSize: MAX_FIELD_BYTES } });
    } catch {
      this.refuseBody(request);
      return Promise.reject(new InvalidRequestError('expected a multipart/form-data body with a "file" part'));
    }

    return new Promise<ReceivedUpload>((resolve, reject) => {
      const fields = new Map<string, string>();
      let staging: Promise<StagedBlob> | undefined;
      let fileName = '';
      let contentType = DEFAULT_CONTENT_TYPE;
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
        this.refuseBody(request);
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
        // busboy destroys a file part with an error when the form breaks off, possibly after
        // staging has stopped listening to it: that failure is reported through the parser and
        // the staging promise, so the part's own error event must not go unhandled.
        stream.on('error', () => undefined);
        if (name !== 'file' || staging) {
          problem ??= new InvalidRequestError(`${name}: unexpected file part; send exactly one part named "file"`);
          stream.resume();
          return;
        }
        fileStream = stream;
        fileName = info.filename ?? '';
        contentType = storedContentType(info.mimeType);
        staging = store.stage(stream, limitBytes);
        staging.catch((error: unknown) => {
          if (error instanceof BlobTooLargeError) {
            fail(tooLarge(limitBytes));
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
          fail(new UploadInterruptedError());
        }
      });
      request.pipe(parser);
    });
  }

  /**
   * Sends a blob: 304 when If-None-Match names its ETag, 206 with one range when Range asks for
   * one (and If-Range, if sent, still matches), 416 when the range lies outside the blob, else
   * 200 with the whole content. Several ranges are answered with the whole content, as RFC 9110
   * allows. HEAD gets the same headers without a body. Returns how many bytes of content were
   * handed to the connection (fewer than asked for if the client went away midway).
   */
  async sendBlob(incoming: IncomingMessage, outgoing: ServerResponse, blob: BlobDownload): Promise<number> {
    const request = incoming as Request;
    const response = outgoing as Response;
    const etag = blobEtag(blob.hash);
    response.setHeader('ETag', etag);
    response.setHeader('Accept-Ranges', 'bytes');
    // Keys can be overwritten: let caches keep the bytes, but revalidate (cheaply, by ETag).
    response.setHeader('Cache-Control', 'private, no-cache');
    const ifNoneMatch = request.headers['if-none-match'];
    if ((request.method === 'GET' || request.method === 'HEAD') && ifNoneMatchHolds(ifNoneMatch, etag)) {
      response.statusCode = 304;
      response.end();
      return 0;
    }

    let range: ByteRange | undefined;
    const ifRange = request.headers['if-range'];
    if (request.headers.range !== undefined && ifRangeAllowsPartial(typeof ifRange === 'string' ? ifRange : undefined, etag)) {
      const ranges = request.range(blob.sizeBytes, { combine: true });
      if (ranges === -1) {
        response.setHeader('Content-Range', `bytes */${blob.sizeBytes}`);
        const problem = {
          status: 416,
          code: 'INVALID_REQUEST' as const,
          mlflowCode: 'INVALID_PARAMETER_VALUE' as const,
          message: `range not satisfiable: ${request.headers.range} (the artifact has ${blob.sizeBytes} bytes)`,
          internal: false,
        };
        response.status(416).json(errorBody(request.originalUrl, problem).body);
        return 0;
      }
      // -2 (malformed) and non-byte units are ignored, as RFC 9110 requires.
      if (Array.isArray(ranges) && ranges.type === 'bytes' && ranges.length === 1) {
        range = { start: ranges[0].start, end: ranges[0].end };
      }
    }

    const length = range ? range.end - range.start + 1 : blob.sizeBytes;
    const bodyless = request.method === 'HEAD' || length === 0;
    const stream = bodyless ? undefined : await blob.open(range);
    response.statusCode = range ? 206 : 200;
    if (range) {
      response.setHeader('Content-Range', `bytes ${range.start}-${range.end}/${blob.sizeBytes}`);
    }
    response.setHeader('Content-Type', blob.contentType);
    response.setHeader('Content-Length', String(length));
    response.setHeader('Content-Disposition', contentDisposition(blob.fileName));
    response.setHeader('X-Content-Type-Options', 'nosniff');
    if (!stream) {
      response.end();
      return 0;
    }
    let sentBytes = 0;
    stream.on('data', (chunk: Buffer) => (sentBytes += chunk.length));
    try {
      await pipeline(stream, response);
    } catch (error) {
      // The client went away, or the store failed mid-stream: pipeline has destroyed both
      // sides, so the client sees a short body rather than a wrong one.
      if (!response.writableFinished && (error as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') {
        this.logger.warn(`download of blob ${blob.hash} failed mid-stream: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    return sentBytes;
  }
}
