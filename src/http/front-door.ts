import type { IncomingMessage, ServerResponse } from 'node:http';
import { InvalidRequestError, PayloadTooLargeError } from '../common/errors.js';
import { refuseUnreadBody } from '../common/http/refuse-body.js';
import { requestTargetProblem } from '../common/text.js';
import type { ServerConfig } from '../config/server-config.js';
import { isRawUploadRequest } from '../modules/artifacts/raw-upload-routes.js';
import type { AuthGate } from '../modules/auth/auth-gate.js';

/** A request whose client sent `Expect: 100-continue` and waits for our go-ahead before sending its body. */
export type FrontDoorRequest = IncomingMessage & { awaitingContinue?: boolean };

/**
 * What every request meets first, on the normal path and on the hot write lane alike, before
 * any route or body parser: authentication (AuthGate), then a readable request target, then the
 * declared body size: a JSON body over --max-json-body-size is refused here; an upload over
 * --max-body-size is left to its route to refuse, unread. Only then is a client that asked for
 * `100 Continue` told to send its body. Resolves when the request may go on; throws the error
 * to answer with otherwise.
 */
export type FrontDoor = (request: FrontDoorRequest, response: ServerResponse) => Promise<void>;

export function createFrontDoor(gate: AuthGate, config: Pick<ServerConfig, 'maxBodySize' | 'maxJsonBodySize'>): FrontDoor {
  return async (request, response) => {
    try {
      await gate.admit(request, response);
      const targetProblem = requestTargetProblem(request.url ?? '/');
      if (targetProblem !== undefined) {
        throw new InvalidRequestError(targetProblem);
      }
      if (!isUpload(request) && declaredLength(request) > config.maxJsonBodySize) {
        throw new PayloadTooLargeError(`request body is larger than the limit of ${config.maxJsonBodySize} bytes`);
      }
    } catch (error) {
      // A refused request's body is never read into memory.
      refuseUnreadBody(request);
      throw error;
    }
    if (isUpload(request) && declaredLength(request) > config.maxBodySize) {
      // The upload routes refuse this themselves (each API in its own words), without reading
      // the body; it is never asked for.
      return;
    }
    if (request.awaitingContinue) {
      request.awaitingContinue = false;
      response.writeContinue();
    }
  };
}

/** Files (raw PUTs and multipart forms) may be as large as --max-body-size; everything else is JSON. */
function isUpload(request: IncomingMessage): boolean {
  return isRawUploadRequest(request.method, request.url) || /^multipart\/form-data\b/i.test(request.headers['content-type'] ?? '');
}

/** The Content-Length the client declared; 0 when it declared none (chunked bodies are counted as they arrive). */
function declaredLength(request: IncomingMessage): number {
  const declared = Number(request.headers['content-length']);
  return Number.isFinite(declared) ? declared : 0;
}
