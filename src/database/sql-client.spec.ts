import { postgresValues } from './sql-client.js';

describe('postgresValues', () => {
  it('renders numeric arrays as PostgreSQL array literals, NULLs and infinities included', () => {
    expect(postgresValues([[1, -2, 2.5, 1e-7, null, Infinity, -Infinity]])).toEqual(['{1,-2,2.5,1e-7,NULL,Infinity,-Infinity}']);
  });

  it('renders an empty array as the empty literal', () => {
    expect(postgresValues([[]])).toEqual(['{}']);
  });

  it('leaves text arrays and scalars to the driver, which quotes them', () => {
    const keys = ['loss', 'a,"b"'];
    expect(postgresValues([keys, 'text', 7, null])).toEqual([keys, 'text', 7, null]);
  });
});
