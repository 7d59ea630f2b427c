import express from 'express';
import { isUtf8 } from 'node:buffer';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { InvalidRequestError } from '../common/errors.js';
import { jsonTextProblem, MAX_JSON_DEPTH } from '../common/text.js';

/** A connect-style body reader: `request.body` is set when `next` is called without an error. */
export type JsonBodyReader = (request: IncomingMessage, response: ServerResponse, next: (error?: Error) => void) => void;

/** The JSON text of a request held a `\u` escape (see jsonTextProblem). */
const MAY_HOLD_ESCAPES = Symbol('mayHoldEscapes');
type ReadRequest = IncomingMessage & { body?: unknown; [MAY_HOLD_ESCAPES]?: boolean };

/** Raised from body-parser's verify hook; body-parser passes it on with type `entity.verify.failed` and our 400. */
function notUtf8(): Error {
  return Object.assign(new Error('the request body is not valid UTF-8'), { status: 400, expose: true });
}

/**
 * The one JSON body reader, for the normal path and the hot write lane alike: body-parser with
 * the JSON limit, bytes that must be UTF-8 (rather than silently replaced with U+FFFD), and a
 * parsed document that must be storable text nested at most MAX_JSON_DEPTH deep.
 */
export function createJsonBodyReader(limitBytes: number): JsonBodyReader {
  const parse = express.json({
    limit: limitBytes,
    type: ['application/json', 'application/*+json'],
    verify: (request, _response, buffer, encoding) => {
      const utf8 = encoding.toLowerCase() === 'utf-8';
      if (utf8 && !isUtf8(buffer)) {
        throw notUtf8();
      }
      // Other charsets are decoded by body-parser; only UTF-8 text is searched for escapes.
      (request as ReadRequest)[MAY_HOLD_ESCAPES] = !utf8 || buffer.includes('\\u');
    },
  }) as unknown as JsonBodyReader;
  return (request, response, next) => {
    parse(request, response, (error?: Error) => {
      if (error !== undefined) {
        next(error);
        return;
      }
      const read = request as ReadRequest;
      const problem = jsonTextProblem(read.body, MAX_JSON_DEPTH, read[MAY_HOLD_ESCAPES] ?? true);
      if (problem) {
        next(new InvalidRequestError(problem.path === '' ? `request body: ${problem.problem}` : `${problem.path}: ${problem.problem}`));
        return;
      }
      next();
    });
  };
}
