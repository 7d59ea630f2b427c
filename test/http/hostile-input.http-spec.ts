import type { Response } from 'supertest';
import { factories, RunBody, uniqueName } from '../support/factories.js';
import { startTestApp, TestApp } from '../support/test-app.js';

/**
 * Text a database cannot store faithfully (NUL, lone surrogates, bytes that are not UTF-8) and
 * documents nested deep enough to overflow a recursive walk are refused with a 400 naming the
 * problem, the same way on SQLite and PostgreSQL, and nothing is stored. (Before: PostgreSQL
 * answered a NUL with a 500, and 10,000 levels of nesting overflowed the stack.)
 */
describe('hostile input is refused with a 400 and changes nothing', () => {
  let server: TestApp;
  let make: ReturnType<typeof factories>;
  let run: RunBody;

  beforeAll(async () => {
    server = await startTestApp();
    make = factories(server.http);
    run = await make.runningRun();
  });
  afterAll(() => server.close());

  /** Sends JSON text as written (escapes and all): supertest would re-serialise an object. */
  const postRaw = (path: string, json: string) => server.http().post(path).set('Content-Type', 'application/json').send(json);

  function expectV1Refusal(response: Response, message: RegExp): void {
    expect({ status: response.status, body: response.body }).toEqual({
      status: 400,
      body: { error: { code: 'INVALID_REQUEST', message: expect.stringMatching(message) } },
    });
  }

  function expectMlflowRefusal(response: Response, message: RegExp): void {
    expect({ status: response.status, body: response.body }).toEqual({
      status: 400,
      body: { error_code: 'INVALID_PARAMETER_VALUE', message: expect.stringMatching(message) },
    });
  }

  /** Everything a refused request could have touched, read back through the API. */
  async function snapshot(): Promise<unknown> {
    const [experiments, runs, params, detail, tags] = await Promise.all([
      server.http().get('/api/v1/experiments').query({ max_results: 1000 }).expect(200),
      server.http().get(`/api/v1/experiments/${run.experiment_id}/runs`).query({ max_results: 1000 }).expect(200),
      server.http().get(`/api/v1/runs/${run.id}/params`).expect(200),
      server.http().get(`/api/v1/runs/${run.id}`).expect(200),
      server.http().get('/api/2.0/mlflow/runs/get').query({ run_id: run.id }).expect(200),
    ]);
    return { experiments: experiments.body, runs: runs.body, params: params.body, run: detail.body, mlflow: tags.body };
  }

  const NUL = /must not contain the NUL character \(U\+0000\)/;
  const SURROGATE = /must not contain a lone UTF-16 surrogate/;

  describe.each([
    ['a NUL character', '\\u0000', NUL],
    ['a lone high surrogate', '\\ud800', SURROGATE],
    ['a lone low surrogate', '\\udfff', SURROGATE],
  ])('%s in stored text', (_what, escape, message) => {
    it('is refused in an experiment name, a config value and a config field name', async () => {
      const before = await snapshot();
      expectV1Refusal(await postRaw('/api/v1/experiments', `{"name":"exp${escape}x"}`), new RegExp(`^name: ${message.source}`));
      expectV1Refusal(
        await postRaw('/api/v1/experiments', `{"name":"${uniqueName()}","config":{"layers":[{"act":"relu${escape}"}]}}`),
        new RegExp(`^config\\.layers\\[0\\]\\.act: ${message.source}`),
      );
      expectV1Refusal(
        await postRaw('/api/v1/experiments', `{"name":"${uniqueName()}","config":{"k${escape}":1}}`),
        new RegExp(`^config: field names ${message.source}`),
      );
      expect(await snapshot()).toEqual(before);
    });

    it('is refused in a run name, a param key and value, and a completion reason', async () => {
      const before = await snapshot();
      expectV1Refusal(await postRaw('/api/v1/runs', `{"experiment_id":"${run.experiment_id}","name":"r${escape}"}`), message);
      expectV1Refusal(await postRaw(`/api/v1/runs/${run.id}/params`, `{"key":"lr","value":"0.1${escape}"}`), message);
      expectV1Refusal(await postRaw(`/api/v1/runs/${run.id}/params`, `{"key":"l${escape}r","value":"0.1"}`), message);
      expectV1Refusal(await postRaw(`/api/v1/runs/${run.id}/complete`, `{"status":"failed","reason":"oom${escape}"}`), message);
      expect(await snapshot()).toEqual(before);
    });

    it('is refused through the MLflow API: names, tags, params, run updates and search filters', async () => {
      const before = await snapshot();
      const mlflow = '/api/2.0/mlflow';
      expectMlflowRefusal(await postRaw(`${mlflow}/experiments/create`, `{"name":"m${escape}"}`), message);
      expectMlflowRefusal(await postRaw(`${mlflow}/runs/set-tag`, `{"run_id":"${run.id}","key":"note","value":"a${escape}"}`), message);
      expectMlflowRefusal(await postRaw(`${mlflow}/runs/log-parameter`, `{"run_id":"${run.id}","key":"p","value":"v${escape}"}`), message);
      expectMlflowRefusal(await postRaw(`${mlflow}/runs/update`, `{"run_id":"${run.id}","run_name":"n${escape}"}`), message);
      expectMlflowRefusal(
        await postRaw(`${mlflow}/runs/search`, `{"experiment_ids":["${run.experiment_id}"],"filter":"params.p = 'x${escape}'"}`),
        message,
      );
      expectMlflowRefusal(await postRaw(`${mlflow}/experiments/search`, `{"filter":"name = 'x${escape}'"}`), message);
      expect(await snapshot()).toEqual(before);
    });
  });

  describe('percent-encoded text in the URL', () => {
    it.each([
      ['an encoded NUL in ?name=', '/api/v1/experiments?name=a%00b', /NUL character \(%00\)/],
      ['an encoded NUL in a path id', '/api/v1/runs/run%00x', /NUL character \(%00\)/],
      ['bytes that are not UTF-8', '/api/v1/experiments?name=%C3%28', /must be UTF-8/],
      ['an encoded lone surrogate', '/api/v1/experiments?name=%ED%A0%80', /must be UTF-8/],
      ['a malformed escape', '/api/v1/runs/run-%zz', /malformed percent-encoding/],
    ])('answers 400 for %s', async (_what, url, message) => {
      expectV1Refusal(await server.http().get(url), message);
    });

    it('answers 400 in MLflow’s envelope on MLflow routes (get-by-name, runs/get)', async () => {
      expectMlflowRefusal(await server.http().get('/api/2.0/mlflow/experiments/get-by-name?experiment_name=a%00'), /NUL character/);
      expectMlflowRefusal(await server.http().get('/api/2.0/mlflow/runs/get?run_id=%FF'), /must be UTF-8/);
    });
  });

  it('answers 400 for a JSON body that is not valid UTF-8, instead of storing U+FFFD', async () => {
    const before = await snapshot();
    const name = uniqueName();
    const body = Buffer.concat([Buffer.from(`{"name":"${name}`), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')]);
    const response = await fetch(`${server.url}/api/v1/experiments`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body,
    });
    expect({ status: response.status, body: await response.json() }).toEqual({
      status: 400,
      body: { error: { code: 'INVALID_REQUEST', message: 'the request body is not valid UTF-8' } },
    });
    expect(await snapshot()).toEqual(before);
  });

  describe('deep nesting', () => {
    const deep = (levels: number, leaf = '1') => '['.repeat(levels) + leaf + ']'.repeat(levels);
    const deepObject = (levels: number) => '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);
    const TOO_DEEP = /^request body: JSON nested deeper than 64 levels$/;

    it.each([
      ['an experiment config', () => `{"name":"${uniqueName()}","config":${deepObject(10_000)}}`, '/api/v1/experiments'],
      ['a param value', () => `{"key":"deep","value":${deep(10_000)}}`, 'PARAMS'],
      ['a metric batch', () => `{"metrics":${deep(20_000)}}`, 'BATCH'],
    ])('answers 400 for 10,000+ levels in %s, and stores nothing', async (_what, body, target) => {
      const before = await snapshot();
      const path =
        target === 'PARAMS' ? `/api/v1/runs/${run.id}/params` : target === 'BATCH' ? `/api/v1/runs/${run.id}/metrics/batch` : target;
      expectV1Refusal(await postRaw(path, body()), TOO_DEEP);
      expect(await snapshot()).toEqual(before);
    });

    it('answers 400 for 10,000 levels in an MLflow set-tag value and log-batch', async () => {
      const before = await snapshot();
      expectMlflowRefusal(
        await postRaw('/api/2.0/mlflow/runs/set-tag', `{"run_id":"${run.id}","key":"t","value":${deep(10_000)}}`),
        TOO_DEEP,
      );
      expectMlflowRefusal(await postRaw('/api/2.0/mlflow/runs/log-batch', `{"run_id":"${run.id}","metrics":${deep(10_000)}}`), TOO_DEEP);
      expect(await snapshot()).toEqual(before);
    });

    it('accepts a body nested exactly 64 levels deep and gives the config back whole; 65 levels is refused', async () => {
      // The body is level 1, its config level 2: 63 more objects inside reach level 64.
      const config = JSON.parse(deepObject(63)) as Record<string, unknown>;
      const created = await server.http().post('/api/v1/experiments').send({ name: uniqueName(), config }).expect(201);
      const read = await server.http().get(`/api/v1/experiments/${created.body.id}`).expect(200);
      expect(read.body.config).toEqual(config);
      expectV1Refusal(await postRaw('/api/v1/experiments', `{"name":"${uniqueName()}","config":${deepObject(64)}}`), TOO_DEEP);
    });
  });

  it('keeps storing ordinary non-ASCII text exactly', async () => {
    const name = uniqueName('émoji-🚀-中文');
    const created = await server
      .http()
      .post('/api/v1/experiments')
      .send({ name, config: { note: 'tab\there' } })
      .expect(201);
    expect(created.body.name).toBe(name);
    const found = await server.http().get('/api/v1/experiments').query({ name }).expect(200);
    expect((found.body.experiments as Array<{ name: string }>).map((experiment) => experiment.name)).toEqual([name]);
  });
});
