import { ArgumentMetadata } from '@nestjs/common';
import { InvalidRequestError } from '../../../common/errors.js';
import { createValidationPipe } from '../../../common/pipes/validation.pipe.js';
import { MAX_HISTORY_PAGE, MetricQueryDto } from './metric.dto.js';

const QUERY: ArgumentMetadata = { type: 'query', metatype: MetricQueryDto, data: '' };

async function messageFor(query: Record<string, string>): Promise<string> {
  try {
    await createValidationPipe().transform(query, QUERY);
  } catch (error) {
    if (error instanceof InvalidRequestError) {
      return error.message;
    }
    throw error;
  }
  throw new Error('expected the query to be refused');
}

describe('MetricQueryDto through the global validation pipe', () => {
  it('turns numeric query text into numbers', async () => {
    const query: unknown = await createValidationPipe().transform(
      { key: 'loss', start_step: '10', end_step: '20', max_results: '5' },
      QUERY,
    );
    expect(query).toBeInstanceOf(MetricQueryDto);
    expect(query).toMatchObject({ key: 'loss', start_step: 10, end_step: 20, max_results: 5 });
  });

  it.each([
    ['start_step', '-1', 'start_step: must be at least 0'],
    ['end_step', '-5', 'end_step: must be at least 0'],
    ['max_results', '0', 'max_results: must be at least 1'],
    ['max_results', String(MAX_HISTORY_PAGE + 1), `max_results: must be at most ${MAX_HISTORY_PAGE}`],
    ['start_step', '1.5', 'start_step: must be an integer'],
  ])('refuses %s=%s with "%s"', async (field, value, message) => {
    expect(await messageFor({ [field]: value })).toBe(message);
  });

  it.each([['start_step'], ['end_step'], ['max_results']])('says that a non-numeric %s must be an integer', async (field) => {
    // "abc" is not out of range: it is not a number at all, and the message should say so.
    expect(await messageFor({ [field]: 'abc' })).toBe(`${field}: must be an integer`);
  });

  it('refuses an unknown query parameter, naming it', async () => {
    expect(await messageFor({ kee: 'loss' })).toBe('kee: unknown field');
  });
});
