import type { Response } from 'supertest';
import { collectPages, factories, ParamBody } from '../support/factories.js';
import { startTestApp, TestApp } from '../support/test-app.js';

type ParamValue = string | number | boolean;

function expectError(response: Response, status: number, code: string, message: string | RegExp): void {
  expect(response.status).toBe(status);
  expect(response.body).toEqual({ error: { code, message: expect.any(String) } });
  const text = (response.body as { error: { message: string } }).error.message;
  if (typeof message === 'string') {
    expect(text).toContain(message);
  } else {
    expect(text).toMatch(message);
  }
}

/** Code-unit order: what a client sorting the keys itself would get. */
function byKey(a: ParamBody, b: ParamBody): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

const BAD_KEYS: [string, unknown][] = [
  ['empty', ''],
  ['longer than 250 characters', 'k'.repeat(251)],
  ['with "!"', 'lr!'],
  ['with a non-ASCII letter', 'tasa_de_aprendizaje_ñ'],
  ['with a newline', 'lr\n'],
  ['with a backslash', 'opt\\lr'],
  ['starting with "/"', '/lr'],
  ['with an empty segment', 'opt//lr'],
  ['ending with "/"', 'opt/'],
  ['with a ".." segment', 'opt/../lr'],
  ['equal to "."', '.'],
  ['with a "." segment', 'opt/./lr'],
  ['a number', 7],
  ['null', null],
];

const GOOD_KEYS = ['k'.repeat(250), 'optimizer/lr', 'batch size', 'model:name', 'drop-out_rate.v2', 'a..b'];

describe('params over HTTP', () => {
  let server: TestApp;
  let make: ReturnType<typeof factories>;

  beforeAll(async () => {
    server = await startTestApp();
    make = factories(server.http);
  });
  afterAll(() => server.close());

  const paramsUrl = (runId: string): string => `/api/v1/runs/${runId}/params`;

  async function logParam(runId: string, key: string, value: ParamValue): Promise<ParamBody> {
    const response = await server.http().post(paramsUrl(runId)).send({ key, value }).expect(201);
    return response.body as ParamBody;
  }

  async function listParams(
    runId: string,
    query: Record<string, string | number> = {},
  ): Promise<{ params: ParamBody[]; next_page_token?: string }> {
    const response = await server.http().get(paramsUrl(runId)).query(query).expect(200);
    return response.body as { params: ParamBody[]; next_page_token?: string };
  }

  describe('POST /api/v1/runs/{id}/params', () => {
    it('answers 201 {key, value} for the seed example, and GET lists it', async () => {
      const run = await make.run();
      const response = await server.http().post(paramsUrl(run.id)).send({ key: 'learning_rate', value: 0.001 }).expect(201);
      expect(response.body).toEqual({ key: 'learning_rate', value: 0.001 });
      expect(await listParams(run.id)).toEqual({ params: [{ key: 'learning_rate', value: 0.001 }] });
    });

    it.each<[string, ParamValue]>([
      ['a string', 'gpt2'],
      ['a numeric-looking string', '0.001'],
      ['the string "true"', 'true'],
      ['an integer', 32],
      ['zero', 0],
      ['a negative float', -3.5],
      ['a tiny float', 1e-10],
      ['a huge number', 1.7976931348623157e308],
      ['true', true],
      ['false', false],
      ['a string of exactly 6000 characters', 'v'.repeat(6000)],
      ['a string with unicode and quotes', 'naïve "quoted" \u{1F600}'],
    ])('keeps the JSON type and value of %s', async (_what, value) => {
      const run = await make.run();
      const body = await logParam(run.id, 'p', value);
      expect(body).toEqual({ key: 'p', value });
      const listed = await listParams(run.id);
      expect(listed.params).toEqual([{ key: 'p', value }]);
      expect(typeof listed.params[0].value).toBe(typeof value);
    });

    it('lists several params of mixed types sorted by key, each with its own type', async () => {
      const run = await make.run();
      const params: ParamBody[] = [
        { key: 'optimizer', value: 'adam' },
        { key: 'batch_size', value: 32 },
        { key: 'Use_AMP', value: true },
        { key: 'lr', value: '0.001' },
        { key: 'dropout', value: 0.1 },
        { key: 'model/name', value: 'gpt2' },
        { key: 'model.depth', value: 12 },
        { key: 'shuffle', value: false },
      ];
      for (const param of params) {
        await logParam(run.id, param.key, param.value);
      }
      expect((await listParams(run.id)).params).toEqual([...params].sort(byKey));
    });

    it('accepts the same value again with 201 and keeps one param', async () => {
      const run = await make.run();
      for (const value of ['adam', 0.001, false] as ParamValue[]) {
        const key = `p_${typeof value}`;
        await logParam(run.id, key, value);
        const again = await server.http().post(paramsUrl(run.id)).send({ key, value }).expect(201);
        expect(again.body).toEqual({ key, value });
      }
      expect((await listParams(run.id)).params).toEqual([
        { key: 'p_boolean', value: false },
        { key: 'p_number', value: 0.001 },
        { key: 'p_string', value: 'adam' },
      ]);
    });

    it.each<[string, ParamValue, ParamValue]>([
      ['another number', 0.001, 0.01],
      ['another string', 'adam', 'sgd'],
      ['the other boolean', true, false],
      ['the same text as a number', '0.001', 0.001],
      ['the same number as a string', 0.001, '0.001'],
      ['the same text as a boolean', 'true', true],
      ['a number for a boolean', true, 1],
      ['a boolean for a number', 0, false],
      ['a string differing only in case', 'Adam', 'adam'],
      ['a string with trailing space', 'adam', 'adam '],
    ])('answers 409 CONFLICT for %s, and leaves the stored value unchanged', async (_what, first, second) => {
      const run = await make.run();
      await logParam(run.id, 'p', first);
      const response = await server.http().post(paramsUrl(run.id)).send({ key: 'p', value: second });
      expectError(response, 409, 'CONFLICT', "'p'");
      const listed = await listParams(run.id);
      expect(listed.params).toEqual([{ key: 'p', value: first }]);
      expect(typeof listed.params[0].value).toBe(typeof first);
    });

    it('keeps params of different runs apart: the same key may differ between runs', async () => {
      const first = await make.run();
      const second = await make.run(first.experiment_id);
      await logParam(first.id, 'lr', 0.1);
      await logParam(second.id, 'lr', 0.2);
      expect((await listParams(first.id)).params).toEqual([{ key: 'lr', value: 0.1 }]);
      expect((await listParams(second.id)).params).toEqual([{ key: 'lr', value: 0.2 }]);
    });

    it.each<[string, unknown]>([
      ['an object', { lr: 0.1 }],
      ['an array', [0.1, 0.2]],
      ['null', null],
    ])('rejects a value that is %s with 400 naming value, and stores nothing', async (_what, value) => {
      const run = await make.run();
      const response = await server.http().post(paramsUrl(run.id)).send({ key: 'p', value });
      expectError(response, 400, 'INVALID_REQUEST', 'value: ');
      expect(await listParams(run.id)).toEqual({ params: [] });
    });

    it('rejects a missing value with 400 naming value', async () => {
      const run = await make.run();
      const response = await server.http().post(paramsUrl(run.id)).send({ key: 'p' });
      expectError(response, 400, 'INVALID_REQUEST', 'value: ');
      expect(await listParams(run.id)).toEqual({ params: [] });
    });

    it('rejects a number that overflows to Infinity in JSON (1e999) with 400 naming value', async () => {
      const run = await make.run();
      const response = await server
        .http()
        .post(paramsUrl(run.id))
        .set('Content-Type', 'application/json')
        .send('{"key":"p","value":1e999}');
      expectError(response, 400, 'INVALID_REQUEST', 'value: ');
      expect(await listParams(run.id)).toEqual({ params: [] });
    });

    it('rejects a string value of 6001 characters with 400 naming value, and stores nothing', async () => {
      const run = await make.run();
      const response = await server
        .http()
        .post(paramsUrl(run.id))
        .send({ key: 'p', value: 'v'.repeat(6001) });
      expectError(response, 400, 'INVALID_REQUEST', 'value: ');
      expect(await listParams(run.id)).toEqual({ params: [] });
    });

    it.each(GOOD_KEYS)('accepts the key %j', async (key) => {
      const run = await make.run();
      await logParam(run.id, key, 1);
      expect((await listParams(run.id)).params).toEqual([{ key, value: 1 }]);
    });

    it.each(BAD_KEYS)('rejects a key %s with 400 naming key, and stores nothing', async (_what, key) => {
      const run = await make.run();
      const response = await server.http().post(paramsUrl(run.id)).send({ key, value: 1 });
      expectError(response, 400, 'INVALID_REQUEST', 'key: ');
      expect(await listParams(run.id)).toEqual({ params: [] });
    });

    it('rejects a missing key with 400 naming key', async () => {
      const run = await make.run();
      const response = await server.http().post(paramsUrl(run.id)).send({ value: 1 });
      expectError(response, 400, 'INVALID_REQUEST', 'key: ');
    });

    it('rejects an unknown field with 400 naming it, and stores nothing', async () => {
      const run = await make.run();
      const response = await server.http().post(paramsUrl(run.id)).send({ key: 'p', value: 1, type: 'number' });
      expectError(response, 400, 'INVALID_REQUEST', 'type: unknown field');
      expect(await listParams(run.id)).toEqual({ params: [] });
    });

    it('rejects malformed JSON with 400 INVALID_REQUEST', async () => {
      const run = await make.run();
      const response = await server.http().post(paramsUrl(run.id)).set('Content-Type', 'application/json').send('{"key": "p", "value": }');
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ error: { code: 'INVALID_REQUEST', message: expect.any(String) } });
    });

    it('answers 404 NOT_FOUND for an unknown run', async () => {
      const response = await server.http().post(paramsUrl('run-doesnotexist')).send({ key: 'p', value: 1 });
      expect(response.status).toBe(404);
      expect(response.body).toEqual({ error: { code: 'NOT_FOUND', message: 'Run not found: run-doesnotexist' } });
    });

    it('lets exactly one of several parallel different values win; the others get 409', async () => {
      const run = await make.run();
      const values = Array.from({ length: 12 }, (_unused, index) => index);
      const responses = await Promise.all(values.map((value) => server.http().post(paramsUrl(run.id)).send({ key: 'seed', value })));
      const statuses = responses.map((response) => response.status).sort();
      expect(statuses).toEqual([201, ...Array(values.length - 1).fill(409)]);
      const winner = responses.find((response) => response.status === 201) as Response;
      expect((await listParams(run.id)).params).toEqual([{ key: 'seed', value: (winner.body as ParamBody).value }]);
    });

    it('accepts the same value logged in parallel every time', async () => {
      const run = await make.run();
      const responses = await Promise.all(
        Array.from({ length: 12 }, () => server.http().post(paramsUrl(run.id)).send({ key: 'seed', value: 'same' })),
      );
      expect(responses.map((response) => response.status)).toEqual(Array(12).fill(201));
      expect((await listParams(run.id)).params).toEqual([{ key: 'seed', value: 'same' }]);
    });
  });

  describe('GET /api/v1/runs/{id}/params', () => {
    it('answers {params: []} for a run without params', async () => {
      const run = await make.run();
      expect(await listParams(run.id)).toEqual({ params: [] });
    });

    it('answers 404 NOT_FOUND for an unknown run', async () => {
      const response = await server.http().get(paramsUrl('run-doesnotexist'));
      expect(response.status).toBe(404);
      expect(response.body).toEqual({ error: { code: 'NOT_FOUND', message: 'Run not found: run-doesnotexist' } });
    });

    it('pages through the params by key with no gaps or duplicates, and no token on the last page', async () => {
      const run = await make.run();
      const expected: ParamBody[] = [];
      for (let index = 0; index < 11; index++) {
        const param = { key: `param_${String((index * 7) % 11).padStart(2, '0')}`, value: index % 3 === 0 ? `v${index}` : index };
        expected.push(param);
        await logParam(run.id, param.key, param.value);
      }
      expected.sort(byKey);
      for (const pageSize of [1, 3, 4, 11, 50]) {
        const { items, pages } = await collectPages<ParamBody>(server.http, paramsUrl(run.id), 'params', pageSize);
        expect(items).toEqual(expected);
        expect(pages).toHaveLength(Math.max(1, Math.ceil(expected.length / pageSize)));
        for (const page of pages.slice(0, -1)) {
          expect(page.items).toHaveLength(pageSize);
          expect(typeof page.next_page_token).toBe('string');
        }
        expect(pages[pages.length - 1].next_page_token).toBeUndefined();
      }
    });

    it('continues after the last key of the previous page when params are added between pages', async () => {
      const run = await make.run();
      for (const key of ['b', 'd', 'f', 'h']) {
        await logParam(run.id, key, key);
      }
      const first = await listParams(run.id, { max_results: 2 });
      expect(first.params.map((param) => param.key)).toEqual(['b', 'd']);
      await logParam(run.id, 'a', 'a');
      await logParam(run.id, 'e', 'e');
      const second = await listParams(run.id, { max_results: 10, page_token: first.next_page_token as string });
      expect(second.params.map((param) => param.key)).toEqual(['e', 'f', 'h']);
      expect(second.next_page_token).toBeUndefined();
    });

    it.each([
      ['0', '0'],
      ['negative', '-1'],
      ['not a number', 'many'],
      ['fractional', '2.5'],
      ['above 10000', '10001'],
    ])('answers 400 naming max_results when it is %s', async (_what, value) => {
      const run = await make.run();
      const response = await server.http().get(paramsUrl(run.id)).query({ max_results: value });
      expectError(response, 400, 'INVALID_REQUEST', 'max_results: ');
    });

    it.each([
      ['garbage', 'not-a-token!!'],
      ['base64 of something else', Buffer.from('hello').toString('base64url')],
      ['a token of the wrong shape', Buffer.from(JSON.stringify({ s: 1, t: 2 })).toString('base64url')],
    ])('answers 400 naming page_token when it is %s', async (_what, token) => {
      const run = await make.run();
      await logParam(run.id, 'p', 1);
      const response = await server.http().get(paramsUrl(run.id)).query({ page_token: token });
      expectError(response, 400, 'INVALID_REQUEST', 'page_token');
    });
  });
});
