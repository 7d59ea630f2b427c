import { Injectable, PipeTransform } from '@nestjs/common';
import { InvalidRequestError } from '../errors.js';

/**
 * The body of an endpoint that takes no fields (such as starting a run): none at all, or `{}`.
 * Any field is an unknown field and is refused by name, as everywhere else in the API, so that
 * a client that sends, say, `{"status":"failed"}` to the wrong endpoint hears about it.
 */
@Injectable()
export class NoBodyFieldsPipe implements PipeTransform<unknown, undefined> {
  transform(value: unknown): undefined {
    if (value === undefined || value === null) {
      return undefined;
    }
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw new InvalidRequestError('body: must be empty or an empty JSON object');
    }
    const fields = Object.keys(value);
    if (fields.length > 0) {
      throw new InvalidRequestError(fields.map((field) => `${field}: unknown field`).join('; '));
    }
    return undefined;
  }
}
