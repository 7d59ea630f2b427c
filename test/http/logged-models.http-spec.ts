import { expectMlflowError, MLFLOW_AJAX_API, missingParameter, mlflowApi, MlflowApi } from '../support/mlflow.js';
import { bytesParser, hexOf, rawRequest, storedHashes } from '../support/artifacts.js';
import { startTestApp, TestApp } from '../support/test-app.js';

const MODEL_ID = /^m-[0-9a-f]{32}$/;
const PROXY = '/api/2.0/mlflow-artifacts/artifacts';

interface ModelBody {
  info: {
    model_id: string;
    experiment_id: string;
    name: string;
    creation_timestamp_ms: number;
    last_updated_timestamp_ms: number;
    artifact_uri: string;
    status: string;
    model_type?: string;
    source_run_id?: string;
    tags?: { key: string; value: string }[];
  };
  data: {
    params?: { key: string; value: string }[];
    metrics?: { key: string; value: number | string; timestamp: number; step: number; model_id: string; run_id: string }[];
  };
}

describe('MLflow 3 logged models (/api/2.0/mlflow/logged-models)', () => {
  let server: TestApp;
  let mlflow: MlflowApi;

  beforeAll(async () => {
    server = await startTestApp();
    mlflow = mlflowApi(server.http);
  });
  afterAll(() => server.close());

  const create = async (body: object): Promise<ModelBody> => {
    const response = await mlflow.post('logged-models', body).expect(200);
    return response.body.model as ModelBody;
  };
  const get = async (modelId: string): Promise<ModelBody> =>
    (await server.http().get(`/api/2.0/mlflow/logged-models/${modelId}`).expect(200)).body.model as ModelBody;
  const search = (body: object) => mlflow.post('logged-models/search', body);
  const names = async (body: object): Promise<string[]> => {
    const response = await search(body).expect(200);
    return ((response.body.models ?? []) as ModelBody[]).map((model) => model.info.name);
  };
  /** The proxy path of a file in the model's artifact folder: its artifact_uri without the scheme. */
  const proxyPath = (model: ModelBody, key: string) => `${PROXY}/${model.info.artifact_uri.replace(/^mlflow-artifacts:\/+/, '')}/${key}`;

  describe('create and get', () => {
    it('creates a PENDING model with an id, an artifact folder under its experiment, and its tags and params', async () => {
      const experimentId = await mlflow.createExperiment();
      const experiment = await mlflow.getExperiment(experimentId);
      const run = await mlflow.createRun(experimentId);
      const before = Date.now();

      const model = await create({
        experiment_id: experimentId,
        name: 'classifier',
        model_type: 'sklearn',
        source_run_id: run.info.run_id,
        tags: [{ key: 'team', value: 'vision' }],
        params: [{ key: 'alpha', value: '0.1' }],
      });

      expect(model.info.model_id).toMatch(MODEL_ID);
      expect(model).toEqual({
        info: {
          model_id: model.info.model_id,
          experiment_id: experimentId,
          name: 'classifier',
          creation_timestamp_ms: expect.any(Number),
          last_updated_timestamp_ms: model.info.creation_timestamp_ms,
          artifact_uri: `${experiment.artifact_location}/models/${model.info.model_id}/artifacts`,
          status: 'LOGGED_MODEL_PENDING',
          model_type: 'sklearn',
          source_run_id: run.info.run_id,
          tags: [{ key: 'team', value: 'vision' }],
        },
        data: { params: [{ key: 'alpha', value: '0.1' }] },
      });
      expect(model.info.creation_timestamp_ms).toBeGreaterThanOrEqual(before);
      expect(await get(model.info.model_id)).toEqual(model);
      const ajax = await server.http().get(`${MLFLOW_AJAX_API}/logged-models/${model.info.model_id}`).expect(200);
      expect(ajax.body.model).toEqual(model);
    });

    it('names a model when the client gives no name', async () => {
      const model = await create({ experiment_id: await mlflow.createExperiment() });
      expect(model.info.name).toMatch(/\S/);
    });

    it('refuses a missing experiment_id, an unknown experiment and an unknown source run', async () => {
      expectMlflowError(await mlflow.post('logged-models', {}), 400, 'INVALID_PARAMETER_VALUE', missingParameter('experiment_id'));
      expectMlflowError(await mlflow.post('logged-models', { experiment_id: '987654321' }), 404, 'RESOURCE_DOES_NOT_EXIST', /987654321/);
      const experimentId = await mlflow.createExperiment();
      expectMlflowError(
        await mlflow.post('logged-models', { experiment_id: experimentId, source_run_id: 'no-such-run' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
        /no-such-run/,
      );
    });

    it("holds tags and params to MLflow's limits, as on runs", async () => {
      const experimentId = await mlflow.createExperiment();
      const badKey = await mlflow.post('logged-models', { experiment_id: experimentId, tags: [{ key: 'bad\nkey', value: 'v' }] });
      const longParam = await mlflow.post('logged-models', {
        experiment_id: experimentId,
        params: [{ key: 'p', value: 'x'.repeat(6001) }],
      });
      const model = await create({ experiment_id: experimentId });
      const longTag = await server
        .http()
        .patch(`/api/2.0/mlflow/logged-models/${model.info.model_id}/tags`)
        .send({ tags: [{ key: 't', value: 'x'.repeat(8001) }] });

      expectMlflowError(badKey, 400, 'INVALID_PARAMETER_VALUE', /Invalid tag name/);
      expectMlflowError(longParam, 400, 'INVALID_PARAMETER_VALUE', /Param 'p': value must be at most 6000 characters/);
      expectMlflowError(longTag, 400, 'INVALID_PARAMETER_VALUE', /Tag 't': value must be at most 8000 characters/);
      expect((await get(model.info.model_id)).info.tags).toBeUndefined();
    });

    it('answers an unknown model id RESOURCE_DOES_NOT_EXIST', async () => {
      const response = await server.http().get('/api/2.0/mlflow/logged-models/m-0123456789abcdef0123456789abcdef');
      expectMlflowError(response, 404, 'RESOURCE_DOES_NOT_EXIST', "Logged model with ID 'm-0123456789abcdef0123456789abcdef' not found.");
    });
  });

  describe('finalize, tags, params, delete', () => {
    it('finalizes by status name or number, and refuses a missing status', async () => {
      const first = await create({ experiment_id: await mlflow.createExperiment() });
      const second = await create({ experiment_id: first.info.experiment_id });

      const ready = await server
        .http()
        .patch(`/api/2.0/mlflow/logged-models/${first.info.model_id}`)
        .send({ status: 'LOGGED_MODEL_READY' })
        .expect(200);
      const failed = await server.http().patch(`/api/2.0/mlflow/logged-models/${second.info.model_id}`).send({ status: 3 }).expect(200);
      const missing = await server.http().patch(`/api/2.0/mlflow/logged-models/${second.info.model_id}`).send({});

      expect((ready.body.model as ModelBody).info.status).toBe('LOGGED_MODEL_READY');
      expect((failed.body.model as ModelBody).info.status).toBe('LOGGED_MODEL_UPLOAD_FAILED');
      expect((await get(first.info.model_id)).info.status).toBe('LOGGED_MODEL_READY');
      expectMlflowError(missing, 400, 'INVALID_PARAMETER_VALUE', missingParameter('status'));
    });

    it('sets tags (a key again replaces its value), deletes one, and logs params', async () => {
      const model = await create({ experiment_id: await mlflow.createExperiment(), tags: [{ key: 'a', value: '1' }] });
      const path = `/api/2.0/mlflow/logged-models/${model.info.model_id}`;

      expect(
        (
          await server
            .http()
            .patch(`${path}/tags`)
            .send({
              tags: [
                { key: 'a', value: '2' },
                { key: 'b/c', value: '3' },
              ],
            })
            .expect(200)
        ).body,
      ).toEqual({});
      expect((await server.http().delete(`${path}/tags/b/c`).expect(200)).body).toEqual({});
      expect(
        (
          await server
            .http()
            .post(`${path}/params`)
            .send({ params: [{ key: 'lr', value: '0.01' }] })
            .expect(200)
        ).body,
      ).toEqual({});

      const stored = await get(model.info.model_id);
      expect(stored.info.tags).toEqual([{ key: 'a', value: '2' }]);
      expect(stored.data.params).toEqual([{ key: 'lr', value: '0.01' }]);
      expectMlflowError(await server.http().delete(`${path}/tags/nope`), 404, 'RESOURCE_DOES_NOT_EXIST', /nope/);
    });

    it('deletes a model: get and search no longer find it, get with allow_deleted does', async () => {
      const model = await create({ experiment_id: await mlflow.createExperiment(), name: 'gone' });

      expect((await server.http().delete(`/api/2.0/mlflow/logged-models/${model.info.model_id}`).expect(200)).body).toEqual({});

      expectMlflowError(
        await server.http().get(`/api/2.0/mlflow/logged-models/${model.info.model_id}`),
        404,
        'RESOURCE_DOES_NOT_EXIST',
        /not found/,
      );
      const deleted = await server.http().get(`/api/2.0/mlflow/logged-models/${model.info.model_id}?allow_deleted=true`).expect(200);
      expect((deleted.body.model as ModelBody).info.model_id).toBe(model.info.model_id);
      expect(await names({ experiment_ids: [model.info.experiment_id] })).toEqual([]);
    });
  });

  describe('metrics logged with model_id and run outputs', () => {
    it('keeps log-metric and log-batch points that name a model on the model and on the run', async () => {
      const experimentId = await mlflow.createExperiment();
      const run = await mlflow.createRun(experimentId);
      const model = await create({ experiment_id: experimentId });
      const modelId = model.info.model_id;

      await mlflow
        .post('runs/log-metric', { run_id: run.info.run_id, key: 'loss', value: 0.5, timestamp: 1000, step: 1, model_id: modelId })
        .expect(200);
      await mlflow.logBatch(run.info.run_id, {
        metrics: [
          { key: 'acc', value: 'NaN', timestamp: 2000, step: 2, model_id: modelId },
          { key: 'plain', value: 1, timestamp: 2000, step: 2 },
          // The same point twice in one batch is one point; the later value wins.
          { key: 'loss', value: 0.25, timestamp: 1000, step: 1, model_id: modelId },
        ],
      });

      expect((await get(modelId)).data.metrics).toEqual([
        { key: 'acc', value: 'NaN', timestamp: 2000, step: 2, model_id: modelId, run_id: run.info.run_id },
        { key: 'loss', value: 0.25, timestamp: 1000, step: 1, model_id: modelId, run_id: run.info.run_id },
      ]);
      const runMetrics = (await mlflow.getRun(run.info.run_id)).data.metrics ?? [];
      expect(runMetrics.map((metric) => metric.key).sort()).toEqual(['acc', 'loss', 'plain']);
    });

    it('keeps a metric naming an unknown model on the run only, as MLflow takes any model_id there', async () => {
      const run = await mlflow.createRun(await mlflow.createExperiment());

      await mlflow
        .post('runs/log-metric', {
          run_id: run.info.run_id,
          key: 'k',
          value: 1,
          timestamp: 5,
          step: 0,
          model_id: 'm-ffffffffffffffffffffffffffffffff',
        })
        .expect(200);

      expect(await mlflow.history(run.info.run_id, 'k')).toEqual([{ key: 'k', value: 1, timestamp: 5, step: 0 }]);
      const lookup = await server.http().get('/api/2.0/mlflow/logged-models/m-ffffffffffffffffffffffffffffffff');
      expectMlflowError(lookup, 404, 'RESOURCE_DOES_NOT_EXIST', /not found/);
    });

    it('records a run output (runs/outputs), shown by runs/get, and refuses an unknown model', async () => {
      const experimentId = await mlflow.createExperiment();
      const run = await mlflow.createRun(experimentId);
      const model = await create({ experiment_id: experimentId });

      const recorded = await mlflow
        .post('runs/outputs', { run_id: run.info.run_id, models: [{ model_id: model.info.model_id, step: 3 }] })
        .expect(200);
      const unknown = await mlflow.post('runs/outputs', {
        run_id: run.info.run_id,
        models: [{ model_id: 'm-eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee', step: 0 }],
      });

      expect(recorded.body).toEqual({});
      expect((await mlflow.getRun(run.info.run_id)).outputs).toEqual({ model_outputs: [{ model_id: model.info.model_id, step: 3 }] });
      expectMlflowError(unknown, 404, 'RESOURCE_DOES_NOT_EXIST', /m-eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee/);
    });
  });

  describe('search', () => {
    let experimentId: string;
    let runId: string;

    beforeAll(async () => {
      experimentId = await mlflow.createExperiment();
      runId = (await mlflow.createRun(experimentId)).info.run_id;
      const first = await create({
        experiment_id: experimentId,
        name: 'first',
        source_run_id: runId,
        params: [{ key: 'alpha', value: '0.1' }],
        tags: [{ key: 'team', value: 'a' }],
      });
      // Newest first: the second is created in a later millisecond.
      await new Promise((resolve) => setTimeout(resolve, 5));
      const second = await create({ experiment_id: experimentId, name: 'second', params: [{ key: 'alpha', value: '0.5' }] });
      await mlflow.logBatch(runId, {
        metrics: [
          { key: 'acc', value: 0.7, timestamp: 1, step: 0, model_id: first.info.model_id },
          { key: 'acc', value: 0.9, timestamp: 1, step: 0, model_id: second.info.model_id },
        ],
      });
      await server.http().patch(`/api/2.0/mlflow/logged-models/${first.info.model_id}`).send({ status: 'LOGGED_MODEL_READY' }).expect(200);
    });

    it('finds every model of the experiments, newest first', async () => {
      expect(await names({ experiment_ids: [experimentId] })).toEqual(['second', 'first']);
    });

    it.each([
      ["name = 'first'", ['first']],
      ["name LIKE 'sec%'", ['second']],
      ["params.alpha = '0.5'", ['second']],
      ["tags.team = 'a'", ['first']],
      ['metrics.acc > 0.8', ['second']],
      ["status = 'READY'", ['first']],
      ["status = 'LOGGED_MODEL_PENDING'", ['second']],
      ["name IN ('first', 'other')", ['first']],
    ])('filters with %s', async (filter, expected) => {
      expect(await names({ experiment_ids: [experimentId], filter })).toEqual(expected);
    });

    it('filters by source_run_id', async () => {
      expect(await names({ experiment_ids: [experimentId], filter: `source_run_id = '${runId}'` })).toEqual(['first']);
    });

    it('orders by a metric or an attribute, either way', async () => {
      expect(await names({ experiment_ids: [experimentId], order_by: [{ field_name: 'metrics.acc', ascending: true }] })).toEqual([
        'first',
        'second',
      ]);
      expect(await names({ experiment_ids: [experimentId], order_by: [{ field_name: 'name', ascending: false }] })).toEqual([
        'second',
        'first',
      ]);
    });

    it('pages with max_results and page_token', async () => {
      const page = await search({ experiment_ids: [experimentId], max_results: 1 }).expect(200);
      expect((page.body.models as ModelBody[]).map((model) => model.info.name)).toEqual(['second']);
      const rest = await search({ experiment_ids: [experimentId], max_results: 1, page_token: page.body.next_page_token }).expect(200);
      expect((rest.body.models as ModelBody[]).map((model) => model.info.name)).toEqual(['first']);
      expect(rest.body.next_page_token).toBeUndefined();
    });

    it('refuses a bad filter, a missing experiment_ids, a foreign page token and max_results out of range', async () => {
      expectMlflowError(await search({ experiment_ids: [experimentId], filter: 'name = ' }), 400, 'INVALID_PARAMETER_VALUE', /filter/);
      expectMlflowError(
        await search({ experiment_ids: [experimentId], filter: "colour = 'red'" }),
        400,
        'INVALID_PARAMETER_VALUE',
        /colour/,
      );
      expectMlflowError(await search({}), 400, 'INVALID_PARAMETER_VALUE', missingParameter('experiment_ids'));
      expectMlflowError(
        await search({ experiment_ids: [experimentId], page_token: 'garbage' }),
        400,
        'INVALID_PARAMETER_VALUE',
        /page_token/,
      );
      expectMlflowError(await search({ experiment_ids: [experimentId], max_results: 0 }), 400, 'INVALID_PARAMETER_VALUE', /max_results/);
    });
  });

  describe("a model's files through the artifact proxy", () => {
    it('stores, lists, downloads and deletes files under the model artifact location; deleting frees the blob', async () => {
      const model = await create({ experiment_id: await mlflow.createExperiment() });
      const bytes = Buffer.from(`weights ${model.info.model_id}`);

      const put = await rawRequest(server.url, {
        method: 'PUT',
        path: proxyPath(model, 'data/model.bin'),
        headers: { 'content-type': 'application/octet-stream', 'content-length': bytes.length },
        chunks: [bytes],
      });
      expect(put.status).toBe(200);

      const folder = model.info.artifact_uri.replace(/^mlflow-artifacts:\/+/, '');
      expect((await server.http().get(PROXY).query({ path: folder }).expect(200)).body).toEqual({
        files: [{ path: 'data', is_dir: true }],
      });
      expect(
        (
          await server
            .http()
            .get(PROXY)
            .query({ path: `${folder}/data` })
            .expect(200)
        ).body,
      ).toEqual({
        files: [{ path: 'model.bin', is_dir: false, file_size: bytes.length }],
      });
      const downloaded = await server.http().get(proxyPath(model, 'data/model.bin')).buffer(true).parse(bytesParser).expect(200);
      expect(downloaded.body).toEqual(bytes);
      expect(await storedHashes(server)).toContain(hexOf(bytes));

      expect((await server.http().delete(proxyPath(model, 'data')).expect(200)).body).toEqual({});
      expect((await server.http().get(PROXY).query({ path: folder }).expect(200)).body).toEqual({});
      expect(await storedHashes(server)).not.toContain(hexOf(bytes));
    });

    it('lists and serves them through logged-models/<id>/artifacts/directories and /files, as the UI reads them', async () => {
      const model = await create({ experiment_id: await mlflow.createExperiment() });
      for (const [key, text] of [
        ['MLmodel', 'flavors: {}'],
        ['data/model.bin', 'weights'],
      ]) {
        const put = await rawRequest(server.url, {
          method: 'PUT',
          path: proxyPath(model, key),
          headers: { 'content-type': 'application/octet-stream', 'content-length': Buffer.byteLength(text) },
          chunks: [Buffer.from(text)],
        });
        expect(put.status).toBe(200);
      }
      const base = `${MLFLOW_AJAX_API}/logged-models/${model.info.model_id}/artifacts`;

      const root = await server.http().get(`${base}/directories`).expect(200);
      const folder = await server.http().get(`${base}/directories`).query({ artifact_directory_path: 'data' }).expect(200);
      const file = await server
        .http()
        .get(`${base}/files`)
        .query({ artifact_file_path: 'data/model.bin' })
        .buffer(true)
        .parse(bytesParser)
        .expect(200);
      const missing = await server.http().get(`${base}/files`).query({ artifact_file_path: 'nope.txt' });

      expect(root.body).toEqual({
        root_uri: model.info.artifact_uri,
        files: [
          { path: 'MLmodel', is_dir: false, file_size: 11 },
          { path: 'data', is_dir: true },
        ],
      });
      expect(folder.body).toEqual({ root_uri: model.info.artifact_uri, files: [{ path: 'data/model.bin', is_dir: false, file_size: 7 }] });
      expect(file.body).toEqual(Buffer.from('weights'));
      expectMlflowError(missing, 404, 'RESOURCE_DOES_NOT_EXIST', /nope\.txt/);
    });

    it('does not take files for a deleted model or one that is not there', async () => {
      const model = await create({ experiment_id: await mlflow.createExperiment() });
      await server.http().delete(`/api/2.0/mlflow/logged-models/${model.info.model_id}`).expect(200);
      const bytes = Buffer.from('x');
      const put = (path: string) =>
        rawRequest(server.url, { method: 'PUT', path, headers: { 'content-type': 'text/plain', 'content-length': 1 }, chunks: [bytes] });

      const toDeleted = await put(proxyPath(model, 'MLmodel'));
      const toUnknown = await put(`${PROXY}/${model.info.experiment_id}/models/m-dddddddddddddddddddddddddddddddd/artifacts/MLmodel`);

      expect(toDeleted.status).toBe(404);
      expect(toUnknown.status).toBe(404);
    });
  });
});
