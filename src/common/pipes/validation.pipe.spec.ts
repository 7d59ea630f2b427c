import { ArgumentMetadata, ValidationError } from '@nestjs/common';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsInt, IsNumber, IsString, Min, ValidateNested } from 'class-validator';
import { InvalidRequestError } from '../errors.js';
import { IsEntityKey, Optional } from '../validation.js';
import { createValidationPipe, describeValidationErrors } from './validation.pipe.js';

class PointDto {
  @IsEntityKey()
  key!: string;

  @IsInt({ message: 'must be an integer' })
  @Min(0, { message: 'must be at least 0' })
  step!: number;

  @IsNumber({}, { message: 'must be a number' })
  value!: number;
}

class OwnerDto {
  @IsString({ message: 'must be a string' })
  name!: string;
}

class BatchDto {
  @IsArray({ message: 'must be an array' })
  @ArrayMaxSize(10, { message: 'must hold at most 10 points' })
  @ValidateNested({ each: true })
  @Type(() => PointDto)
  metrics!: PointDto[];

  @Optional()
  @ValidateNested()
  @Type(() => OwnerDto)
  owner?: OwnerDto;
}

const BODY: ArgumentMetadata = { type: 'body', metatype: BatchDto, data: '' };

function points(count: number): Record<string, unknown>[] {
  return Array.from({ length: count }, (_, step) => ({ key: 'loss', step, value: step / 10 }));
}

async function rejectionOf(body: unknown): Promise<InvalidRequestError> {
  try {
    await createValidationPipe().transform(body, BODY);
  } catch (error) {
    if (error instanceof InvalidRequestError) {
      return error;
    }
    throw error;
  }
  throw new Error('expected an InvalidRequestError, but the body was accepted');
}

describe('createValidationPipe', () => {
  it('turns a valid body into an instance of the DTO, nested objects included', async () => {
    const result: unknown = await createValidationPipe().transform({ metrics: points(2), owner: { name: 'ada' } }, BODY);
    expect(result).toBeInstanceOf(BatchDto);
    const batch = result as BatchDto;
    expect(batch.metrics[1]).toBeInstanceOf(PointDto);
    expect(batch.metrics).toEqual(points(2));
    expect(batch.owner).toBeInstanceOf(OwnerDto);
  });

  it('refuses an unknown top-level field, naming it', async () => {
    const error = await rejectionOf({ metrics: points(1), colour: 'red' });
    expect(error.code).toBe('INVALID_REQUEST');
    expect(error.status).toBe(400);
    expect(error.message).toBe('colour: unknown field');
  });

  it('names an unknown field inside an array element by its index path', async () => {
    const body = { metrics: points(3) };
    body.metrics[2].epoch = 1;
    expect((await rejectionOf(body)).message).toBe('metrics[2].epoch: unknown field');
  });

  it('names a failing nested field by its index path, e.g. metrics[3].step', async () => {
    const body = { metrics: points(5) };
    body.metrics[3].step = 1.5;
    expect((await rejectionOf(body)).message).toBe('metrics[3].step: must be an integer');
  });

  it('names a failing field of a nested object by its dotted path', async () => {
    expect((await rejectionOf({ metrics: points(1), owner: { name: 7 } })).message).toBe('owner.name: must be a string');
  });

  it('lists every failing field, one per field, joined by "; "', async () => {
    const body = { metrics: points(3) };
    body.metrics[0].key = '';
    body.metrics[2].value = 'high';
    const error = await rejectionOf({ ...body, extra: true });
    const lines = error.message.split('; ');
    expect(lines).toHaveLength(3);
    expect(lines).toEqual(
      expect.arrayContaining(['metrics[0].key: must not be empty', 'metrics[2].value: must be a number', 'extra: unknown field']),
    );
  });

  it('reports one failing rule per field, not every rule the value breaks', async () => {
    const body = { metrics: points(1) };
    body.metrics[0].step = 'x'; // breaks both @IsInt and @Min
    const message = (await rejectionOf(body)).message;
    expect(message.split('; ')).toHaveLength(1);
    expect(message).toMatch(/^metrics\[0\]\.step: must be (an integer|at least 0)$/);
  });

  it('refuses a missing required field, naming it', async () => {
    const message = (await rejectionOf({})).message;
    expect(message.split('; ')).toHaveLength(1);
    expect(message).toMatch(/^metrics: must (be an array|hold at most 10 points)$/);
  });

  it('never echoes the refused value', async () => {
    const body = { metrics: points(1), owner: { name: { secret: 'hunter2' } } };
    const error = await rejectionOf(body);
    expect(error.message).not.toContain('hunter2');
  });

  it('refuses null for an optional nested object (only an absent field is skipped)', async () => {
    expect((await rejectionOf({ metrics: points(1), owner: null })).message).toMatch(/^owner: /);
  });
});

describe('describeValidationErrors', () => {
  it('joins constraints, walks children and writes numeric properties as indexes', () => {
    const errors: ValidationError[] = [
      {
        property: 'metrics',
        constraints: {},
        children: [
          { property: '0', children: [{ property: 'value', constraints: { isNumber: 'must be a number', min: 'too small' } }] },
          { property: '12', constraints: { whitelistValidation: 'property 12 should not exist' } },
        ],
      },
      { property: 'name', constraints: { isString: 'must be a string' }, children: [] },
    ];
    expect(describeValidationErrors(errors)).toEqual([
      'metrics[0].value: must be a number; too small',
      'metrics[12]: unknown field',
      'name: must be a string',
    ]);
  });

  it('describes nothing for no errors', () => {
    expect(describeValidationErrors([])).toEqual([]);
  });
});
