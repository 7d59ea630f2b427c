import { uniqueName } from '../support/factories.js';
import { expectError, unknownId } from '../support/http-checks.js';
import {
  expectMlflowError,
  missingParameter,
  MLFLOW_AJAX_API,
  MLFLOW_API,
  mlflowApi,
  MlflowApi,
  MlflowRunBody,
  mlflowQuery,
} from '../support/mlflow.js';
import { startTestApp, TestApp } from '../support/test-app.js';

describe("MLflow's transport rules over HTTP", () => {
  let server: TestApp;
  let mlflow: MlflowApi;
  let ajax: MlflowApi;
  let experimentId: string;

  beforeAll(async () => {
    server = await startTestApp();
    mlflow = mlflowApi(server.http);
    ajax = mlflowApi(server.http, { base: MLFLOW_AJAX_API });
    experimentId = await mlflow.createExperiment(uniqueName('transport'));
  });
  afterAll(() => server.close());

  async function newRun(extra: object = {}): Promise<string> {
    return (await mlflow.createRun(experimentId, extra)).info.run_id;
  }

  describe('GET reads the query string, POST the JSON body', () => {
    it('reads a GET from the query string and ignores a body sent along', async () => {
      const id = await mlflow.createExperiment();
      const response = await server
        .http()
        .get(`${MLFLOW_API}/experiments/get`)
        .query(mlflowQuery({ experiment_id: id }))
        .set('Content-Type', 'application/json')
        .send({ experiment_id: '0' })
        .expect(200);
      expect(response.body.experiment.experiment_id).toBe(id);
    });

    it('reads a GET without a query string from its JSON body, as old MLflow scripts send it', async () => {
      const runId = await newRun();
      await mlflow.post('runs/log-metric', { run_id: runId, key: 'loss', value: 0.5, timestamp: 9, step: 1 }).expect(200);
      const experiment = await server
        .http()
        .get(`${MLFLOW_API}/experiments/get`)
        .set('Content-Type', 'application/json')
        .send({ experiment_id: experimentId })
        .expect(200);
      expect(experiment.body.experiment.experiment_id).toBe(experimentId);
      const run = await server
        .http()
        .get(`${MLFLOW_API}/runs/get`)
        .set('Content-Type', 'application/json')
        .send({ run_id: runId })
        .expect(200);
      expect(run.body.run.info.run_id).toBe(runId);
      const history = await server
        .http()
        .get(`${MLFLOW_API}/metrics/get-history`)
        .set('Content-Type', 'application/json')
        .send({ run_id: runId, metric_key: 'loss' })
        .expect(200);
      expect(history.body).toEqual({ metrics: [{ key: 'loss', value: 0.5, timestamp: 9, step: 1 }] });
    });

    it('reads a POST from its body only, not from the query string', async () => {
      const name = uniqueName('in-query');
      const response = await server
        .http()
        .post(`${MLFLOW_API}/experiments/create`)
        .query(mlflowQuery({ name }))
        .set('Content-Type', 'application/json')
        .send({});
      expectMlflowError(response, 400, 'INVALID_PARAMETER_VALUE', missingParameter('name'));
      const lookup = await mlflow.get('experiments/get-by-name', { experiment_name: name });
      expectMlflowError(lookup, 404, 'RESOURCE_DOES_NOT_EXIST', `Could not find experiment with name '${name}'`);
    });

    it('treats a POST without a body as {}', async () => {
      const response = await server.http().post(`${MLFLOW_API}/runs/log-metric`);
      expectMlflowError(response, 400, 'INVALID_PARAMETER_VALUE', missingParameter('run_id'));
    });

    it('reads repeated query keys as a list (run_ids of get-history-bulk-interval)', async () => {
      const first = await newRun();
      const second = await newRun();
      for (const runId of [first, second]) {
        await mlflow.post('runs/log-metric', { run_id: runId, key: 'acc', value: 1, timestamp: 1, step: 0 }).expect(200);
      }
      const response = await server
        .http()
        .get(`${MLFLOW_API}/metrics/get-history-bulk-interval?run_ids=${first}&run_ids=${second}&metric_key=acc`)
        .expect(200);
      expect((response.body.metrics as { run_id: string }[]).map((point) => point.run_id)).toEqual([first, second]);
    });

    it('accepts application/json with a charset', async () => {
      const name = uniqueName('charset');
      await server
        .http()
        .post(`${MLFLOW_API}/experiments/create`)
        .set('Content-Type', 'application/json; charset=utf-8')
        .send(JSON.stringify({ name }))
        .expect(200);
      await mlflow.get('experiments/get-by-name', { experiment_name: name }).expect(200);
    });

    it.each<[string, string, string]>([
      ['text/plain', 'text/plain', "Bad Request. Content-Type must be 'application/json'."],
      ['a form (curl -d without a header)', 'application/x-www-form-urlencoded', "Bad Request. Content-Type must be 'application/json'."],
    ])('refuses a body sent as %s with 400 INVALID_PARAMETER_VALUE, creating nothing', async (_what, contentType, message) => {
      const name = uniqueName('not-json');
      const response = await server
        .http()
        .post(`${MLFLOW_API}/experiments/create`)
        .set('Content-Type', contentType)
        .send(JSON.stringify({ name }));
      expectMlflowError(response, 400, 'INVALID_PARAMETER_VALUE', message);
      await mlflow.get('experiments/get-by-name', { experiment_name: name }).expect(404);
    });

    it('refuses a body without a Content-Type with 400 INVALID_PARAMETER_VALUE', async () => {
      const name = uniqueName('no-type');
      const response = await server
        .http()
        .post(`${MLFLOW_API}/experiments/create`)
        .unset('Content-Type')
        .send(Buffer.from(JSON.stringify({ name })));
      expectMlflowError(response, 400, 'INVALID_PARAMETER_VALUE', 'Bad Request. Content-Type header is missing.');
      await mlflow.get('experiments/get-by-name', { experiment_name: name }).expect(404);
    });

    it('answers a double-encoded body (a JSON string holding JSON) with 400 INVALID_PARAMETER_VALUE, creating nothing', async () => {
      const name = uniqueName('double');
      const response = await server
        .http()
        .post(`${MLFLOW_API}/experiments/create`)
        .set('Content-Type', 'application/json')
        .send(JSON.stringify(JSON.stringify({ name })));
      expectMlflowError(response, 400, 'INVALID_PARAMETER_VALUE', /^malformed JSON body/);
      await mlflow.get('experiments/get-by-name', { experiment_name: name }).expect(404);
    });

    it("answers malformed JSON with 400 INVALID_PARAMETER_VALUE in MLflow's envelope, creating nothing", async () => {
      const response = await server
        .http()
        .post(`${MLFLOW_API}/experiments/create`)
        .set('Content-Type', 'application/json')
        .send('{"name": "half');
      expectMlflowError(response, 400, 'INVALID_PARAMETER_VALUE', /^malformed JSON body/);
      await mlflow.get('experiments/get-by-name', { experiment_name: 'half' }).expect(404);
    });
  });

  describe("MLflow's JSON rules", () => {
    it('ignores unknown fields, top-level and nested (newer clients send more than this server knows)', async () => {
      const response = await mlflow
        .post('runs/create', {
          experiment_id: experimentId,
          run_name: 'extra-fields',
          workspace: 'ignored',
          tags: [{ key: 'k', value: 'v', comment: 'ignored' }],
        })
        .expect(200);
      const runId = (response.body.run as MlflowRunBody).info.run_id;
      // MLflow 3 clients add model_id and dataset fields to metrics.
      await mlflow
        .post('runs/log-metric', {
          run_id: runId,
          key: 'loss',
          value: 1,
          timestamp: 2,
          step: 3,
          model_id: 'm-1',
          dataset_name: 'd',
          dataset_digest: 'x',
        })
        .expect(200);
      await mlflow.get('runs/get', { run_id: runId, include: 'everything' }).expect(200);
      expect(await mlflow.history(runId, 'loss')).toEqual([{ key: 'loss', value: 1, timestamp: 2, step: 3 }]);
      expect((await mlflow.getRun(runId)).data.tags).toEqual([
        { key: 'k', value: 'v' },
        { key: 'mlflow.runName', value: 'extra-fields' },
      ]);
    });

    it.each<[string, (runId: string) => object, (runId: string) => Promise<unknown>, unknown]>([
      [
        'runs/log-metric',
        (runId) => ({ run_uuid: runId, key: 'm', value: 2, timestamp: 1, step: 0 }),
        (runId) => mlflow.history(runId, 'm'),
        [{ key: 'm', value: 2, timestamp: 1, step: 0 }],
      ],
      [
        'runs/log-parameter',
        (runId) => ({ run_uuid: runId, key: 'p', value: 'x' }),
        async (runId) => (await mlflow.getRun(runId)).data.params,
        [{ key: 'p', value: 'x' }],
      ],
      [
        'runs/set-tag',
        (runId) => ({ run_uuid: runId, key: 't', value: 'y' }),
        async (runId) => (await mlflow.getRun(runId)).data.tags?.find((tag) => tag.key === 't'),
        { key: 't', value: 'y' },
      ],
      [
        'runs/update',
        (runId) => ({ run_uuid: runId, status: 'KILLED' }),
        async (runId) => (await mlflow.getRun(runId)).info.status,
        'KILLED',
      ],
      [
        'runs/log-batch',
        (runId) => ({ run_uuid: runId, params: [{ key: 'b', value: '1' }] }),
        async (runId) => (await mlflow.getRun(runId)).data.params,
        [{ key: 'b', value: '1' }],
      ],
    ])('accepts run_uuid for run_id on %s', async (path, body, read, expected) => {
      const runId = await newRun();
      await mlflow.post(path, body(runId)).expect(200);
      expect(await read(runId)).toEqual(expected);
    });

    it('accepts run_id and run_uuid together, as the Python client sends them', async () => {
      const runId = await newRun();
      await mlflow.post('runs/log-metric', { run_id: runId, run_uuid: runId, key: 'm', value: 1, timestamp: 1, step: 0 }).expect(200);
      const response = await mlflow.get('runs/get', { run_id: runId, run_uuid: runId }).expect(200);
      expect(response.body.run.data.metrics).toEqual([{ key: 'm', value: 1, timestamp: 1, step: 0 }]);
    });

    it('takes enums by name, by number and by numeric string', async () => {
      const runId = await newRun();
      for (const [sent, expected] of [
        ['FINISHED', 'FINISHED'],
        [4, 'FAILED'],
        ['5', 'KILLED'],
        ['SCHEDULED', 'SCHEDULED'],
        [1, 'RUNNING'],
      ] as const) {
        const response = await mlflow.post('runs/update', { run_id: runId, status: sent }).expect(200);
        expect([sent, response.body.run_info.status]).toEqual([sent, expected]);
      }
      expectMlflowError(
        await mlflow.post('runs/update', { run_id: runId, status: 'finished' }),
        400,
        'INVALID_PARAMETER_VALUE',
        /^Invalid value "finished" for parameter 'status' supplied/,
      );
      expect((await mlflow.getRun(runId)).info.status).toBe('RUNNING');
    });

    it('takes int64 fields as numbers or numeric strings, and writes them as JSON numbers', async () => {
      const run = await mlflow.createRun(experimentId, { start_time: '1700000000000' });
      const runId = run.info.run_id;
      await mlflow.post('runs/update', { run_id: runId, end_time: '1700000000500' }).expect(200);
      await mlflow
        .post('runs/log-metric', { run_id: runId, key: 'm', value: 1, timestamp: '1700000000100', step: '9007199254740991' })
        .expect(200);
      const response = await mlflow.get('runs/get', { run_id: runId }).expect(200);
      expect(response.text).toContain('"start_time":1700000000000');
      expect(response.text).toContain('"end_time":1700000000500');
      expect(response.body.run.data.metrics).toEqual([{ key: 'm', value: 1, timestamp: 1_700_000_000_100, step: Number.MAX_SAFE_INTEGER }]);
      const history = await mlflow.get('metrics/get-history', { run_id: runId, metric_key: 'm', max_results: '1' }).expect(200);
      expect(history.body.metrics).toHaveLength(1);
    });

    it('refuses an int64 beyond what is stored exactly, rather than rounding it', async () => {
      const runId = await newRun();
      expectMlflowError(
        await mlflow.post('runs/log-metric', { run_id: runId, key: 'm', value: 1, timestamp: 1, step: '9007199254740993' }),
        400,
        'INVALID_PARAMETER_VALUE',
        /^Invalid value "9007199254740993" for parameter 'step' supplied: expected an integer/,
      );
      expect((await mlflow.getRun(runId)).data.metrics).toBeUndefined();
    });

    it('answers every success with HTTP 200 and a JSON object, {} for writes that return nothing', async () => {
      const runId = await newRun();
      const writes: Array<[string, object]> = [
        ['runs/log-metric', { run_id: runId, key: 'm', value: 1, timestamp: 1 }],
        ['runs/log-parameter', { run_id: runId, key: 'p', value: 'v' }],
        ['runs/set-tag', { run_id: runId, key: 't', value: 'v' }],
        ['runs/delete-tag', { run_id: runId, key: 't' }],
        ['runs/log-batch', { run_id: runId }],
        ['runs/log-inputs', { run_id: runId, datasets: [] }],
        ['runs/delete', { run_id: runId }],
        ['runs/restore', { run_id: runId }],
        ['experiments/set-experiment-tag', { experiment_id: experimentId, key: 'k', value: 'v' }],
        ['experiments/delete-experiment-tag', { experiment_id: experimentId, key: 'k' }],
      ];
      for (const [path, body] of writes) {
        const response = await mlflow.post(path, body);
        expect([path, response.status, response.headers['content-type'], response.body]).toEqual([
          path,
          200,
          expect.stringMatching(/^application\/json/),
          {},
        ]);
      }
    });
  });

  describe('the /ajax-api/2.0/mlflow twins', () => {
    it('answer the same as /api/2.0/mlflow for reads', async () => {
      const runId = await newRun({ run_name: 'twin' });
      await mlflow.post('runs/log-metric', { run_id: runId, key: 'loss', value: 0.5, timestamp: 3, step: 2 }).expect(200);
      const reads: Array<[string, Record<string, string | string[]>]> = [
        ['experiments/get', { experiment_id: experimentId }],
        ['experiments/get-by-name', { experiment_name: (await mlflow.getExperiment(experimentId)).name }],
        ['runs/get', { run_id: runId }],
        ['metrics/get-history', { run_id: runId, metric_key: 'loss' }],
        ['metrics/get-history-bulk-interval', { run_ids: [runId], metric_key: 'loss' }],
      ];
      for (const [path, fields] of reads) {
        const direct = await mlflow.get(path, fields).expect(200);
        const twin = await ajax.get(path, fields).expect(200);
        expect([path, twin.body]).toEqual([path, direct.body]);
      }
    });

    it('take writes that /api/2.0 then reads', async () => {
      const name = uniqueName('via-ajax');
      const id = await ajax.createExperiment(name);
      expect((await mlflow.getExperiment(id)).name).toBe(name);
      const run = await ajax.createRun(id, { run_name: 'ajax-run' });
      await ajax.post('runs/log-batch', { run_id: run.info.run_id, params: [{ key: 'p', value: '1' }] }).expect(200);
      await ajax.post('runs/update', { run_id: run.info.run_id, status: 'FINISHED' }).expect(200);
      expect((await mlflow.getRun(run.info.run_id)).info).toMatchObject({ run_name: 'ajax-run', status: 'FINISHED' });
      expect((await mlflow.getRun(run.info.run_id)).data.params).toEqual([{ key: 'p', value: '1' }]);
    });

    it("answer errors in MLflow's envelope too", async () => {
      const unknown = unknownId('run');
      expectMlflowError(await ajax.get('runs/get', { run_id: unknown }), 404, 'RESOURCE_DOES_NOT_EXIST', `Run not found: ${unknown}`);
      expectMlflowError(await ajax.post('experiments/create', {}), 400, 'INVALID_PARAMETER_VALUE', missingParameter('name'));
    });
  });

  describe('what MLflow clients probe besides the tracking calls', () => {
    it('GET /version answers a plain-text MLflow version', async () => {
      const response = await server.http().get('/version').expect(200);
      expect(response.headers['content-type']).toMatch(/^text\/plain/);
      expect(response.text).toMatch(/^3\.\d+\.\d+$/);
    });

    it('GET /api/3.0/mlflow/server-info answers the store type and that workspaces are off', async () => {
      const response = await server
        .http()
        .get('/api/3.0/mlflow/server-info')
        .expect('content-type', /^application\/json/)
        .expect(200);
      expect(response.body).toEqual({ store_type: 'SqlStore', workspaces_enabled: false });
    });
  });

  describe('unsupported MLflow features', () => {
    it.each<[string, string, RegExp]>([
      ['POST', `${MLFLOW_API}/webhooks`, /webhooks/],
      ['GET', `${MLFLOW_API}/prompts/search`, /prompt registry/],
      ['POST', '/api/3.0/mlflow/traces', /tracing/],
      ['GET', '/api/3.0/mlflow/traces/tr-123', /tracing/],
      ['POST', `${MLFLOW_API}/traces`, /tracing/],
      ['POST', `${MLFLOW_AJAX_API}/scorers/list`, /GenAI scorers/],
      ['POST', `${MLFLOW_API}/experiments/search-datasets`, /dataset search/],
    ])('%s %s answers 501 NOT_IMPLEMENTED naming the feature', async (method, url, feature) => {
      const response = method === 'GET' ? await server.http().get(url) : await server.http().post(url).send({ name: 'x' });
      expectMlflowError(response, 501, 'NOT_IMPLEMENTED', feature);
      expect(response.body.message).toMatch(/not supported by entrenar-tracking/);
    });

    it('answers a logged-model search of an experiment without models with 200 {} (MLflow 3 clients search before listing artifacts)', async () => {
      for (const base of [MLFLOW_API, MLFLOW_AJAX_API]) {
        const response = await server
          .http()
          .post(`${base}/logged-models/search`)
          .send({ experiment_ids: [experimentId], max_results: 10 })
          .expect(200);
        expect(response.body).toEqual({});
      }
    });

    it("answers MLflow 3's OTLP trace export (POST /v1/traces) with 501 NOT_IMPLEMENTED", async () => {
      const response = await server
        .http()
        .post('/v1/traces')
        .set('Content-Type', 'application/x-protobuf')
        .send(Buffer.from([0x0a, 0x00]));
      expectError(response, 501, 'NOT_IMPLEMENTED', 'POST v1/traces: tracing (OTLP span export) is not supported by entrenar-tracking');
    });

    it('answers 501 NOT_IMPLEMENTED, naming method and path, for an MLflow route it does not know', async () => {
      const response = await server.http().post(`${MLFLOW_API}/some-future-rpc`).send({});
      expectMlflowError(
        response,
        501,
        'NOT_IMPLEMENTED',
        "POST some-future-rpc is not implemented by entrenar-tracking's MLflow-compatible API",
      );
    });

    it('answers 404 ENDPOINT_NOT_FOUND for a path outside the MLflow API under /api/2.0', async () => {
      const response = await server.http().get('/api/2.0/no-such-service/thing');
      expectMlflowError(response, 404, 'ENDPOINT_NOT_FOUND', 'no such route: GET /api/2.0/no-such-service/thing');
    });
  });

  describe('each API keeps its own error envelope', () => {
    it('an unknown run is RESOURCE_DOES_NOT_EXIST on MLflow routes and {"error":{"code":"NOT_FOUND"}} on /api/v1', async () => {
      const unknown = unknownId('run');
      expectMlflowError(await mlflow.get('runs/get', { run_id: unknown }), 404, 'RESOURCE_DOES_NOT_EXIST', `Run not found: ${unknown}`);
      expectError(await server.http().get(`/api/v1/runs/${unknown}`), 404, 'NOT_FOUND', `Run not found: ${unknown}`);
    });

    it('malformed JSON is INVALID_PARAMETER_VALUE on MLflow routes and INVALID_REQUEST on /api/v1', async () => {
      const mlflowResponse = await server.http().post(`${MLFLOW_API}/runs/log-metric`).set('Content-Type', 'application/json').send('{');
      expectMlflowError(mlflowResponse, 400, 'INVALID_PARAMETER_VALUE', /^malformed JSON body/);
      const v1Response = await server.http().post('/api/v1/experiments').set('Content-Type', 'application/json').send('{');
      expectError(v1Response, 400, 'INVALID_REQUEST', /^malformed JSON body/);
    });

    it('/api/v1 keeps refusing unknown fields while MLflow routes ignore them', async () => {
      const v1 = await server.http().post('/api/v1/experiments').send({ name: uniqueName(), artifact_location: 'x' });
      expectError(v1, 400, 'INVALID_REQUEST', /artifact_location/);
      await mlflow.post('experiments/create', { name: uniqueName(), unknown_field: 'x' }).expect(200);
    });
  });
});

describe('MLflow routes with API-key authentication', () => {
  const KEY = 'mlflow-key-0123456789';
  const OTHER_KEY = 'other.key~4567-abcdef';
  let server: TestApp;

  const basic = (user: string, password: string) => ({
    Authorization: `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`,
  });
  const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });

  function expectUnauthenticated(response: { status: number; body: unknown; headers: Record<string, string> }): void {
    expectMlflowError(response, 401, 'UNAUTHENTICATED', /^missing or invalid API key/);
    // The refusal never echoes a key back.
    expect(JSON.stringify(response.body)).not.toContain(KEY);
    expect(JSON.stringify(response.body)).not.toContain(OTHER_KEY);
  }

  beforeAll(async () => {
    server = await startTestApp({ authType: 'api_key', apiKeys: [KEY, OTHER_KEY] });
  });
  afterAll(() => server.close());

  it("answers 401 UNAUTHENTICATED in MLflow's envelope without credentials, on every MLflow prefix", async () => {
    for (const url of [
      `${MLFLOW_API}/experiments/get?experiment_id=0`,
      `${MLFLOW_AJAX_API}/experiments/get?experiment_id=0`,
      '/api/3.0/mlflow/server-info',
    ]) {
      const response = await server.http().get(url);
      expect([url, response.status]).toEqual([url, 401]);
      expectUnauthenticated(response);
    }
    // /api/v1 keeps its own envelope.
    const v1 = await server.http().get('/api/v1/experiments');
    expect(v1.status).toBe(401);
    expect(v1.body).toEqual({ error: { code: 'UNAUTHORIZED', message: expect.any(String) } });
  });

  it('accepts the key as a Bearer token (MLFLOW_TRACKING_TOKEN)', async () => {
    const mlflow = mlflowApi(server.http, { headers: bearer(KEY) });
    const id = await mlflow.createExperiment();
    expect((await mlflow.getExperiment(id)).experiment_id).toBe(id);
  });

  it.each(['alice', 'bob smith', 'ünïcode', 'mlflow-key-0123', ''])(
    'accepts HTTP Basic with the key as password and any user name (%j) (MLFLOW_TRACKING_USERNAME/PASSWORD)',
    async (user) => {
      const mlflow = mlflowApi(server.http, { headers: basic(user, KEY) });
      const runId = (await mlflow.createRun('0')).info.run_id;
      await mlflow.post('runs/log-parameter', { run_id: runId, key: 'user', value: 'ok' }).expect(200);
      expect((await mlflow.getRun(runId)).data.params).toEqual([{ key: 'user', value: 'ok' }]);
    },
  );

  it('accepts either configured key over Basic and Bearer', async () => {
    for (const headers of [basic('alice', OTHER_KEY), bearer(OTHER_KEY), basic('bob', KEY)]) {
      await server.http().get(`${MLFLOW_API}/experiments/get`).query({ experiment_id: '0' }).set(headers).expect(200);
    }
  });

  it.each<[string, Record<string, string>]>([
    ['a wrong password', basic('alice', 'not-the-key')],
    ['the key as user name and a wrong password', basic(KEY, 'wrong')],
    ['the key with something after it', basic('alice', `${KEY}x`)],
    ['the key followed by a colon and more', basic('alice', `${KEY}:extra`)],
    ['the other key cut short', basic('alice', 'other.key')],
    ['two keys joined by a colon', basic('alice', `${KEY}:${OTHER_KEY}`)],
    ['an empty password', basic('alice', '')],
    ['the key alone, base64 without a user name', { Authorization: `Basic ${Buffer.from(KEY).toString('base64')}` }],
    ['the key, not base64-encoded', { Authorization: `Basic ${KEY}` }],
    ['a scheme that only contains "basic"', { Authorization: `NotBasic ${Buffer.from(`alice:${KEY}`).toString('base64')}` }],
    ['a wrong Bearer token', bearer('wrong-key')],
  ])('answers 401 UNAUTHENTICATED for %s, never echoing it', async (_what, headers) => {
    const response = await server.http().get(`${MLFLOW_API}/experiments/get`).query({ experiment_id: '0' }).set(headers);
    expectUnauthenticated(response);
    expect(JSON.stringify(response.body)).not.toContain(headers.Authorization.replace(/^\S+ /, ''));
  });

  it('stores nothing when a write is refused', async () => {
    const name = uniqueName('refused');
    expectUnauthenticated(await server.http().post(`${MLFLOW_API}/experiments/create`).set(basic('alice', 'wrong')).send({ name }));
    const lookup = await server.http().get(`${MLFLOW_API}/experiments/get-by-name`).query({ experiment_name: name }).set(bearer(KEY));
    expectMlflowError(lookup, 404, 'RESOURCE_DOES_NOT_EXIST', `Could not find experiment with name '${name}'`);
  });

  it('accepts Basic on /api/v1 too (one set of keys for both APIs)', async () => {
    await server.http().get('/api/v1/experiments').set(basic('alice', KEY)).expect(200);
  });

  it('keeps /health public', async () => {
    const response = await server.http().get('/health').expect(200);
    expect(response.body.status).toBe('healthy');
    await server.http().get('/health').set(basic('alice', 'wrong')).expect(200);
  });
});
