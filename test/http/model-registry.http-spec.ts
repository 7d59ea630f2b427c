import { factories, uniqueName, uploadArtifact } from '../support/factories.js';
import { expectError, RFC3339_UTC } from '../support/http-checks.js';
import { expectMlflowError, MLFLOW_AJAX_API, MLFLOW_API, missingParameter, mlflowApi, MlflowApi } from '../support/mlflow.js';
import { startTestApp, TestApp } from '../support/test-app.js';

interface MlflowVersionBody {
  name: string;
  version: string;
  current_stage: string;
  source: string;
  run_id?: string;
  model_id?: string;
  description?: string;
  status: string;
  tags?: { key: string; value: string }[];
  aliases?: string[];
  creation_timestamp: number;
  last_updated_timestamp: number;
}

interface MlflowModelBody {
  name: string;
  description?: string;
  tags?: { key: string; value: string }[];
  aliases?: { alias: string; version: string }[];
  latest_versions?: MlflowVersionBody[];
  creation_timestamp: number;
  last_updated_timestamp: number;
}

describe('the model registry over HTTP (MLflow registry RPCs and /api/v1/models)', () => {
  let server: TestApp;
  let mlflow: MlflowApi;
  let make: ReturnType<typeof factories>;

  beforeAll(async () => {
    server = await startTestApp();
    mlflow = mlflowApi(server.http);
    make = factories(server.http);
  });
  afterAll(() => server.close());

  const patch = (path: string, body: object) => server.http().patch(`${MLFLOW_API}/${path}`).send(body);
  const del = (path: string, body: object) => server.http().delete(`${MLFLOW_API}/${path}`).send(body);

  async function createModel(name = uniqueName('model'), extra: object = {}): Promise<MlflowModelBody> {
    const response = await mlflow.post('registered-models/create', { name, ...extra }).expect(200);
    return response.body.registered_model as MlflowModelBody;
  }

  async function createVersion(name: string, extra: object = {}): Promise<MlflowVersionBody> {
    const response = await mlflow.post('model-versions/create', { name, source: 'runs:/abc/model', ...extra }).expect(200);
    return response.body.model_version as MlflowVersionBody;
  }

  async function getVersion(name: string, version: string): Promise<MlflowVersionBody> {
    return (await mlflow.get('model-versions/get', { name, version }).expect(200)).body.model_version as MlflowVersionBody;
  }

  async function getModel(name: string): Promise<MlflowModelBody> {
    return (await mlflow.get('registered-models/get', { name }).expect(200)).body.registered_model as MlflowModelBody;
  }

  describe('registered models', () => {
    it('creates a model with description and tags and reads it back by name', async () => {
      const before = Date.now();
      const name = uniqueName('model');
      const created = await createModel(name, { description: 'first', tags: [{ key: 'team', value: 'vision' }] });
      expect(created).toEqual({
        name,
        description: 'first',
        tags: [{ key: 'team', value: 'vision' }],
        creation_timestamp: expect.any(Number),
        last_updated_timestamp: expect.any(Number),
      });
      expect(created.creation_timestamp).toBeGreaterThanOrEqual(before);
      expect(await getModel(name)).toEqual(created);
    });

    it('refuses a second model with the same name with RESOURCE_ALREADY_EXISTS', async () => {
      const name = uniqueName('model');
      await createModel(name);
      const response = await mlflow.post('registered-models/create', { name });
      expectMlflowError(response, 400, 'RESOURCE_ALREADY_EXISTS', `Registered Model (name=${name}) already exists.`);
    });

    it('answers RESOURCE_DOES_NOT_EXIST for an unknown model and INVALID_PARAMETER_VALUE without a name', async () => {
      expectMlflowError(
        await mlflow.get('registered-models/get', { name: 'no-such-model' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
        'Registered Model with name=no-such-model not found',
      );
      expectMlflowError(await mlflow.post('registered-models/create', {}), 400, 'INVALID_PARAMETER_VALUE', missingParameter('name'));
    });

    it('renames a model with its versions, and refuses a taken name', async () => {
      const name = uniqueName('model');
      await createModel(name);
      await createVersion(name);
      const newName = uniqueName('renamed');
      const renamed = await mlflow.post('registered-models/rename', { name, new_name: newName }).expect(200);
      expect(renamed.body.registered_model.name).toBe(newName);
      expect((await getVersion(newName, '1')).name).toBe(newName);
      expectMlflowError(await mlflow.get('registered-models/get', { name }), 404, 'RESOURCE_DOES_NOT_EXIST', /not found/);
      const other = await createModel();
      expectMlflowError(
        await mlflow.post('registered-models/rename', { name: other.name, new_name: newName }),
        400,
        'RESOURCE_ALREADY_EXISTS',
        `Registered Model (name=${newName}) already exists.`,
      );
    });

    it('updates the description with PATCH and moves last_updated_timestamp', async () => {
      const created = await createModel();
      const response = await patch('registered-models/update', { name: created.name, description: 'better' }).expect(200);
      expect(response.body.registered_model.description).toBe('better');
      expect(response.body.registered_model.last_updated_timestamp).toBeGreaterThanOrEqual(created.last_updated_timestamp);
    });

    it('sets, overwrites and deletes tags', async () => {
      const { name } = await createModel();
      await mlflow.post('registered-models/set-tag', { name, key: 'a', value: '1' }).expect(200, {});
      await mlflow.post('registered-models/set-tag', { name, key: 'a', value: '2' }).expect(200, {});
      await mlflow.post('registered-models/set-tag', { name, key: 'b', value: '3' }).expect(200, {});
      expect((await getModel(name)).tags).toEqual([
        { key: 'a', value: '2' },
        { key: 'b', value: '3' },
      ]);
      await del('registered-models/delete-tag', { name, key: 'a' }).expect(200, {});
      expect((await getModel(name)).tags).toEqual([{ key: 'b', value: '3' }]);
    });

    it('searches by name =, LIKE and ILIKE, orders by name or last update, and pages with page_token', async () => {
      const prefix = uniqueName('srch').toLowerCase();
      const names = [`${prefix}-c`, `${prefix}-a`, `${prefix}-b`];
      for (const name of names) {
        await createModel(name);
      }
      const search = async (fields: Record<string, string | number | string[]>) =>
        (((await mlflow.get('registered-models/search', fields).expect(200)).body.registered_models ?? []) as MlflowModelBody[]).map(
          (model) => model.name,
        );
      expect(await search({ filter: `name = '${prefix}-b'` })).toEqual([`${prefix}-b`]);
      expect(await search({ filter: `name LIKE '${prefix}-%'` })).toEqual([`${prefix}-a`, `${prefix}-b`, `${prefix}-c`]);
      expect(await search({ filter: `name LIKE '${prefix.toUpperCase()}-%'` })).toEqual([]);
      expect(await search({ filter: `name ILIKE '${prefix.toUpperCase()}-%'`, order_by: ['name DESC'] })).toEqual([
        `${prefix}-c`,
        `${prefix}-b`,
        `${prefix}-a`,
      ]);
      await mlflow.post('registered-models/set-tag', { name: `${prefix}-a`, key: 'touched', value: 'yes' }).expect(200);
      expect((await search({ filter: `name LIKE '${prefix}-%'`, order_by: ['last_updated_timestamp DESC'] }))[0]).toBe(`${prefix}-a`);
      expect(await search({ filter: `tags.touched = 'yes' AND name LIKE '${prefix}%'` })).toEqual([`${prefix}-a`]);
      // As MLflow 3 clients send `tags.mlflow.prompt.is_prompt != 'true'`: untagged models match.
      expect(await search({ filter: `tags.touched != 'yes' AND name LIKE '${prefix}%'` })).toEqual([`${prefix}-b`, `${prefix}-c`]);

      const first = await mlflow.get('registered-models/search', { filter: `name LIKE '${prefix}-%'`, max_results: 2 }).expect(200);
      expect((first.body.registered_models as MlflowModelBody[]).map((model) => model.name)).toEqual([`${prefix}-a`, `${prefix}-b`]);
      expect(first.body.next_page_token).toEqual(expect.any(String));
      const second = await mlflow
        .get('registered-models/search', { filter: `name LIKE '${prefix}-%'`, max_results: 2, page_token: first.body.next_page_token })
        .expect(200);
      expect(second.body).toEqual({ registered_models: [expect.objectContaining({ name: `${prefix}-c` })] });
    });

    it('refuses a filter on an unknown attribute and max_results over 1000 with INVALID_PARAMETER_VALUE', async () => {
      expectMlflowError(
        await mlflow.get('registered-models/search', { filter: "run_id = 'x'" }),
        400,
        'INVALID_PARAMETER_VALUE',
        /invalid attribute 'run_id'/,
      );
      expectMlflowError(await mlflow.get('registered-models/search', { max_results: 1001 }), 400, 'INVALID_PARAMETER_VALUE', /max_results/);
    });

    it('deletes a model with its versions and aliases, and leaves the run and its artifacts in place', async () => {
      const run = await make.run();
      await uploadArtifact(server.http, run.id, Buffer.from('weights'), { key: 'model/model.pkl' });
      const { name } = await createModel();
      await createVersion(name, { source: `runs:/${run.id}/model`, run_id: run.id });
      await mlflow.post('registered-models/alias', { name, alias: 'champion', version: '1' }).expect(200);
      await del('registered-models/delete', { name }).expect(200, {});
      expectMlflowError(await mlflow.get('registered-models/get', { name }), 404, 'RESOURCE_DOES_NOT_EXIST', /not found/);
      expectMlflowError(await mlflow.get('model-versions/get', { name, version: '1' }), 404, 'RESOURCE_DOES_NOT_EXIST', /not found/);
      const artifacts = await server.http().get(`/api/v1/runs/${run.id}/artifacts`).expect(200);
      expect(JSON.stringify(artifacts.body)).toContain('model/model.pkl');
      await server.http().get(`/api/v1/runs/${run.id}`).expect(200);
      // The name is free again, and its versions start over at 1.
      await createModel(name);
      expect((await createVersion(name)).version).toBe('1');
    });
  });

  describe('model versions', () => {
    it('numbers versions 1, 2, 3 per model and never reuses a deleted number', async () => {
      const { name } = await createModel();
      const other = await createModel();
      expect((await createVersion(name)).version).toBe('1');
      expect((await createVersion(other.name)).version).toBe('1');
      expect((await createVersion(name)).version).toBe('2');
      await del('model-versions/delete', { name, version: '2' }).expect(200, {});
      expect((await createVersion(name)).version).toBe('3');
      expectMlflowError(
        await mlflow.get('model-versions/get', { name, version: '2' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
        `Model Version (name=${name}, version=2) not found`,
      );
    });

    it('creates a version with source, run_id, description and tags, in stage None and status READY', async () => {
      const run = await make.run();
      const { name } = await createModel();
      const version = await createVersion(name, {
        source: `runs:/${run.id}/model`,
        run_id: run.id,
        description: 'v1',
        tags: [{ key: 'k', value: 'v' }],
      });
      expect(version).toEqual({
        name,
        version: '1',
        source: `runs:/${run.id}/model`,
        run_id: run.id,
        description: 'v1',
        current_stage: 'None',
        status: 'READY',
        tags: [{ key: 'k', value: 'v' }],
        creation_timestamp: expect.any(Number),
        last_updated_timestamp: expect.any(Number),
      });
      expect(await getVersion(name, '1')).toEqual(version);
      expect((await mlflow.get('model-versions/get-download-uri', { name, version: '1' }).expect(200)).body).toEqual({
        artifact_uri: `runs:/${run.id}/model`,
      });
    });

    it('refuses a version of an unknown model, and one without source', async () => {
      expectMlflowError(
        await mlflow.post('model-versions/create', { name: 'no-such-model', source: 's3://x' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
        'Registered Model with name=no-such-model not found',
      );
      const { name } = await createModel();
      expectMlflowError(await mlflow.post('model-versions/create', { name }), 400, 'INVALID_PARAMETER_VALUE', missingParameter('source'));
    });

    it("a version made from models:/<name>/<version> downloads from that version's files", async () => {
      const { name } = await createModel();
      await createVersion(name, { source: 's3://bucket/model-a' });
      const copy = await createModel();
      await createVersion(copy.name, { source: `models:/${name}/1` });
      expect((await mlflow.get('model-versions/get-download-uri', { name: copy.name, version: '1' }).expect(200)).body).toEqual({
        artifact_uri: 's3://bucket/model-a',
      });
    });

    it("updates a version's description and sets and deletes its tags", async () => {
      const { name } = await createModel();
      await createVersion(name);
      const updated = await patch('model-versions/update', { name, version: '1', description: 'new words' }).expect(200);
      expect(updated.body.model_version.description).toBe('new words');
      await mlflow.post('model-versions/set-tag', { name, version: '1', key: 'validated', value: 'true' }).expect(200, {});
      expect((await getVersion(name, '1')).tags).toEqual([{ key: 'validated', value: 'true' }]);
      await del('model-versions/delete-tag', { name, version: '1', key: 'validated' }).expect(200, {});
      expect((await getVersion(name, '1')).tags).toBeUndefined();
    });

    it('transitions stages in any case, archives the others on request, and refuses an unknown stage', async () => {
      const { name } = await createModel();
      await createVersion(name);
      await createVersion(name);
      const staged = await mlflow.post('model-versions/transition-stage', { name, version: '1', stage: 'production' }).expect(200);
      expect(staged.body.model_version.current_stage).toBe('Production');
      await mlflow
        .post('model-versions/transition-stage', { name, version: '2', stage: 'Production', archive_existing_versions: true })
        .expect(200);
      expect((await getVersion(name, '1')).current_stage).toBe('Archived');
      expect((await getVersion(name, '2')).current_stage).toBe('Production');
      expectMlflowError(
        await mlflow.post('model-versions/transition-stage', { name, version: '2', stage: 'Live' }),
        400,
        'INVALID_PARAMETER_VALUE',
        'Invalid Model Version stage: Live. Value must be one of None, Staging, Production, Archived.',
      );
    });

    it('get-latest-versions answers the newest version per stage, for the stages asked', async () => {
      const { name } = await createModel();
      for (let i = 0; i < 4; i++) {
        await createVersion(name);
      }
      await mlflow.post('model-versions/transition-stage', { name, version: '1', stage: 'Staging' }).expect(200);
      await mlflow.post('model-versions/transition-stage', { name, version: '2', stage: 'Staging' }).expect(200);
      await mlflow.post('model-versions/transition-stage', { name, version: '3', stage: 'Production' }).expect(200);
      const all = await mlflow.post('registered-models/get-latest-versions', { name }).expect(200);
      expect((all.body.model_versions as MlflowVersionBody[]).map((v) => [v.version, v.current_stage])).toEqual([
        ['4', 'None'],
        ['2', 'Staging'],
        ['3', 'Production'],
      ]);
      const staging = await mlflow.get('registered-models/get-latest-versions', { name, stages: ['Staging'] }).expect(200);
      expect((staging.body.model_versions as MlflowVersionBody[]).map((v) => v.version)).toEqual(['2']);
      expect((await getModel(name)).latest_versions?.map((v) => v.version)).toEqual(['4', '2', '3']);
    });

    it('searches versions by name, run_id (= and IN) and source_path', async () => {
      const runA = await make.run();
      const runB = await make.run();
      const { name } = await createModel();
      await createVersion(name, { source: `runs:/${runA.id}/model`, run_id: runA.id });
      await createVersion(name, { source: `runs:/${runB.id}/model`, run_id: runB.id });
      const search = async (filter: string, extra: Record<string, string | number> = {}) =>
        (
          ((await mlflow.get('model-versions/search', { filter, ...extra }).expect(200)).body.model_versions ?? []) as MlflowVersionBody[]
        ).map((v) => v.version);
      expect((await search(`name = '${name}'`, { order_by: 'version_number ASC' })).sort()).toEqual(['1', '2']);
      expect(await search(`run_id = '${runB.id}'`)).toEqual(['2']);
      expect((await search(`run_id IN ('${runA.id}', '${runB.id}')`)).sort()).toEqual(['1', '2']);
      expect(await search(`source_path = 'runs:/${runA.id}/model'`)).toEqual(['1']);
      expect(await search(`name = '${name}' AND version_number > 1`)).toEqual(['2']);
      const paged = await mlflow.get('model-versions/search', { filter: `name = '${name}'`, max_results: 1 }).expect(200);
      expect(paged.body.model_versions).toHaveLength(1);
      expect(paged.body.next_page_token).toEqual(expect.any(String));
    });
  });

  describe('versions made from a logged model (model_id)', () => {
    interface LoggedModel {
      modelId: string;
      artifactUri: string;
      runId: string;
    }

    async function loggedModel(): Promise<LoggedModel> {
      const experimentId = await mlflow.createExperiment();
      const run = await mlflow.createRun(experimentId);
      const created = await mlflow.post('logged-models', { experiment_id: experimentId, source_run_id: run.info.run_id }).expect(200);
      const info = created.body.model.info as { model_id: string; artifact_uri: string };
      return { modelId: info.model_id, artifactUri: info.artifact_uri, runId: run.info.run_id };
    }

    async function modelVersionsTag(modelId: string): Promise<unknown> {
      const response = await server.http().get(`${MLFLOW_API}/logged-models/${modelId}`).expect(200);
      const tags = (response.body.model.info.tags ?? []) as { key: string; value: string }[];
      const tag = tags.find((candidate) => candidate.key === 'mlflow.modelVersions');
      return tag === undefined ? undefined : JSON.parse(tag.value);
    }

    it("links the version to the model, takes the model's run, and downloads from the model's folder", async () => {
      const model = await loggedModel();
      const { name } = await createModel();
      const created = await createVersion(name, { source: `models:/${model.modelId}`, model_id: model.modelId });
      expect(created).toEqual(
        expect.objectContaining({ version: '1', source: `models:/${model.modelId}`, model_id: model.modelId, run_id: model.runId }),
      );
      expect(await getVersion(name, '1')).toEqual(created);
      const searched = await mlflow.get('model-versions/search', { filter: `name = '${name}'` }).expect(200);
      expect(searched.body.model_versions).toEqual([created]);
      const updated = await patch('model-versions/update', { name, version: '1', description: 'linked' }).expect(200);
      expect(updated.body.model_version.model_id).toBe(model.modelId);
      const moved = await mlflow.post('model-versions/transition-stage', {
        name,
        version: '1',
        stage: 'Staging',
        archive_existing_versions: false,
      });
      expect(moved.status).toBe(200);
      expect(moved.body.model_version.model_id).toBe(model.modelId);
      expect((await getModel(name)).latest_versions).toEqual([expect.objectContaining({ model_id: model.modelId })]);
      expect((await mlflow.get('model-versions/get-download-uri', { name, version: '1' }).expect(200)).body).toEqual({
        artifact_uri: model.artifactUri,
      });
      const native = await server.http().get(`/api/v1/models/${name}/versions/1`).expect(200);
      expect(native.body.model_id).toBe(model.modelId);
      expect(await modelVersionsTag(model.modelId)).toEqual([{ name, version: 1 }]);
    });

    it('a version made from that version inherits its model, run and files, and the model lists both', async () => {
      const model = await loggedModel();
      const { name } = await createModel();
      await createVersion(name, { source: `models:/${model.modelId}`, model_id: model.modelId });
      const copy = await createModel();
      const copied = await createVersion(copy.name, { source: `models:/${name}/latest` });
      expect(copied).toEqual(expect.objectContaining({ source: `models:/${name}/1`, model_id: model.modelId, run_id: model.runId }));
      expect((await mlflow.get('model-versions/get-download-uri', { name: copy.name, version: '1' }).expect(200)).body).toEqual({
        artifact_uri: model.artifactUri,
      });
      expect(await modelVersionsTag(model.modelId)).toEqual([
        { name, version: 1 },
        { name: copy.name, version: 1 },
      ]);
      expectMlflowError(
        await mlflow.post('model-versions/create', { name: copy.name, source: `models:/${name}/1`, run_id: 'another-run' }),
        400,
        'INVALID_PARAMETER_VALUE',
        `Invalid model version source: 'models:/${name}/1'. The run_id and model_id request parameters must match the referenced model version.`,
      );
    });

    it('keeps the entries already in mlflow.modelVersions and loses none when versions are made at once', async () => {
      const model = await loggedModel();
      // What MLflow's fluent client appends itself: the version as a string.
      await server
        .http()
        .patch(`${MLFLOW_API}/logged-models/${model.modelId}/tags`)
        .send({ tags: [{ key: 'mlflow.modelVersions', value: '[{"name": "earlier", "version": "1"}]' }] })
        .expect(200);
      const names = await Promise.all([1, 2, 3, 4, 5].map(async () => (await createModel()).name));
      await Promise.all(names.map((name) => createVersion(name, { source: `models:/${model.modelId}`, model_id: model.modelId })));
      const listed = (await modelVersionsTag(model.modelId)) as { name: string; version: number | string }[];
      expect(listed[0]).toEqual({ name: 'earlier', version: '1' });
      expect(listed.slice(1)).toHaveLength(5);
      expect(new Set(listed.slice(1).map((entry) => entry.name))).toEqual(new Set(names));
      expect(listed.slice(1).every((entry) => entry.version === 1)).toBe(true);
    });

    it('accepts a file of the model folder as source, and a run_id given stays', async () => {
      const model = await loggedModel();
      const { name } = await createModel();
      const created = await createVersion(name, { source: `${model.artifactUri}/MLmodel`, model_id: model.modelId, run_id: 'given' });
      expect(created).toEqual(expect.objectContaining({ model_id: model.modelId, run_id: 'given' }));
    });

    it('refuses a model_id that does not hold the source, or names no logged model, and creates nothing', async () => {
      const model = await loggedModel();
      const other = await loggedModel();
      const { name } = await createModel();
      const missing = 'm-00000000000000000000000000000000';
      const invalidSource = (source: string) =>
        `Invalid model version source: '${source}'. The model_id request parameter must identify the resource that contains the source.`;
      const refuse = async (body: object, status: number, code: string, message: string | RegExp) =>
        expectMlflowError(await mlflow.post('model-versions/create', { name, ...body }), status, code, message);

      await refuse(
        { source: `models:/${other.modelId}`, model_id: model.modelId },
        400,
        'INVALID_PARAMETER_VALUE',
        invalidSource(`models:/${other.modelId}`),
      );
      await refuse(
        { source: `runs:/${model.runId}/model`, model_id: model.modelId },
        400,
        'INVALID_PARAMETER_VALUE',
        invalidSource(`runs:/${model.runId}/model`),
      );
      await refuse(
        { source: `${other.artifactUri}/MLmodel`, model_id: model.modelId },
        400,
        'INVALID_PARAMETER_VALUE',
        invalidSource(`${other.artifactUri}/MLmodel`),
      );
      await refuse(
        { source: `${model.artifactUri}/MLmodel`, model_id: missing },
        400,
        'INVALID_PARAMETER_VALUE',
        invalidSource(`${model.artifactUri}/MLmodel`),
      );
      await refuse(
        { source: `models:/${missing}`, model_id: missing },
        400,
        'INVALID_PARAMETER_VALUE',
        /Unable to fetch model from model URI source/,
      );
      await refuse(
        { source: '/tmp/model', model_id: model.modelId },
        400,
        'INVALID_PARAMETER_VALUE',
        /To use a local path as a model version source/,
      );
      await refuse(
        { source: 's3://bucket/model', model_id: missing },
        404,
        'RESOURCE_DOES_NOT_EXIST',
        `Logged model with ID '${missing}' not found.`,
      );
      await refuse(
        { source: `models://elsewhere/${name}/1` },
        400,
        'INVALID_PARAMETER_VALUE',
        /Registered model sources must use the active model registry/,
      );
      expect((await mlflow.get('model-versions/search', { filter: `name = '${name}'` }).expect(200)).body).toEqual({});
      expect(await modelVersionsTag(model.modelId)).toBeUndefined();
    });

    it('/api/v1 refuses an unknown model_id in its envelope', async () => {
      const name = uniqueName('native');
      await server.http().post('/api/v1/models').send({ name }).expect(201);
      const missing = 'm-00000000000000000000000000000000';
      expectError(
        await server
          .http()
          .post(`/api/v1/models/${name}/versions`)
          .send({ source: `models:/${missing}`, model_id: missing }),
        400,
        'INVALID_REQUEST',
        /Unable to fetch model from model URI source/,
      );
    });
  });

  describe('aliases', () => {
    it('sets an alias, reads the version by it, moves it, and deletes it', async () => {
      const { name } = await createModel();
      await createVersion(name);
      await createVersion(name);
      await mlflow.post('registered-models/alias', { name, alias: 'champion', version: '1' }).expect(200, {});
      const byAlias = await mlflow.get('registered-models/alias', { name, alias: 'champion' }).expect(200);
      expect(byAlias.body.model_version).toEqual(expect.objectContaining({ name, version: '1', aliases: ['champion'] }));
      expect((await getModel(name)).aliases).toEqual([{ alias: 'champion', version: '1' }]);
      await mlflow.post('registered-models/alias', { name, alias: 'champion', version: '2' }).expect(200, {});
      expect((await getVersion(name, '2')).aliases).toEqual(['champion']);
      expect((await getVersion(name, '1')).aliases).toBeUndefined();
      await del('registered-models/alias', { name, alias: 'champion' }).expect(200, {});
      expectMlflowError(
        await mlflow.get('registered-models/alias', { name, alias: 'champion' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
        'Registered model alias champion not found.',
      );
    });

    it('refuses an alias on a missing version and the reserved names latest and v<number>', async () => {
      const { name } = await createModel();
      await createVersion(name);
      expectMlflowError(
        await mlflow.post('registered-models/alias', { name, alias: 'x', version: '9' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
        `Model Version (name=${name}, version=9) not found`,
      );
      for (const alias of ['latest', 'v3']) {
        expectMlflowError(
          await mlflow.post('registered-models/alias', { name, alias, version: '1' }),
          400,
          'INVALID_PARAMETER_VALUE',
          /reserved/,
        );
      }
    });

    it('deleting a version drops the aliases that pointed at it', async () => {
      const { name } = await createModel();
      await createVersion(name);
      await mlflow.post('registered-models/alias', { name, alias: 'prod', version: '1' }).expect(200);
      await del('model-versions/delete', { name, version: '1' }).expect(200, {});
      expect((await getModel(name)).aliases).toBeUndefined();
    });
  });

  it('serves the same registry under /ajax-api/2.0/mlflow', async () => {
    const name = uniqueName('ajax');
    await server.http().post(`${MLFLOW_AJAX_API}/registered-models/create`).send({ name }).expect(200);
    await server.http().post(`${MLFLOW_AJAX_API}/model-versions/create`).send({ name, source: 's3://b/m' }).expect(200);
    const response = await server.http().get(`${MLFLOW_AJAX_API}/model-versions/get`).query({ name, version: '1' }).expect(200);
    expect(response.body.model_version).toEqual(expect.objectContaining({ name, version: '1', source: 's3://b/m' }));
  });

  describe('/api/v1/models', () => {
    it('lists, gets and lists versions of the models MLflow registered, in the native envelope', async () => {
      const run = await make.run();
      const name = uniqueName('native');
      await createModel(name, { description: 'd', tags: [{ key: 'team', value: 'nlp' }] });
      await createVersion(name, { source: `runs:/${run.id}/model`, run_id: run.id });
      await createVersion(name);
      await mlflow.post('registered-models/alias', { name, alias: 'champion', version: '1' }).expect(200);

      const model = (
        await server
          .http()
          .get(`/api/v1/models/${encodeURIComponent(name)}`)
          .expect(200)
      ).body;
      expect(model).toEqual({
        name,
        description: 'd',
        tags: { team: 'nlp' },
        aliases: [{ alias: 'champion', version: 1 }],
        latest_versions: [expect.objectContaining({ version: 2, stage: 'None' })],
        created_at: expect.stringMatching(RFC3339_UTC),
        updated_at: expect.stringMatching(RFC3339_UTC),
      });
      const versions = (
        await server
          .http()
          .get(`/api/v1/models/${encodeURIComponent(name)}/versions`)
          .expect(200)
      ).body;
      expect((versions.versions as { version: number }[]).map((v) => v.version)).toEqual([2, 1]);
      expect(versions.versions[1]).toEqual({
        name,
        version: 1,
        source: `runs:/${run.id}/model`,
        run_id: run.id,
        model_id: null,
        description: null,
        stage: 'None',
        status: 'READY',
        tags: {},
        aliases: ['champion'],
        created_at: expect.stringMatching(RFC3339_UTC),
        updated_at: expect.stringMatching(RFC3339_UTC),
      });
      const list = (await server.http().get('/api/v1/models').query({ name_like: name.toUpperCase() }).expect(200)).body;
      expect(list).toEqual({ models: [expect.objectContaining({ name })] });
    });

    it('creates models and versions, numbered as through MLflow', async () => {
      const name = uniqueName('native');
      await server.http().post('/api/v1/models').send({ name }).expect(201);
      const version = await server.http().post(`/api/v1/models/${name}/versions`).send({ source: 's3://b/m' }).expect(201);
      expect(version.body).toEqual(expect.objectContaining({ name, version: 1, stage: 'None' }));
      expect((await createVersion(name)).version).toBe('2');
      const one = await server.http().get(`/api/v1/models/${name}/versions/2`).expect(200);
      expect(one.body.version).toBe(2);
    });

    it('answers the envelope: 404 for an unknown model, 409 for a taken name, 400 for a bad version', async () => {
      expectError(
        await server.http().get('/api/v1/models/no-such-model'),
        404,
        'NOT_FOUND',
        'Registered Model with name=no-such-model not found',
      );
      const name = uniqueName('native');
      await server.http().post('/api/v1/models').send({ name }).expect(201);
      expectError(
        await server.http().post('/api/v1/models').send({ name }),
        409,
        'CONFLICT',
        `Registered Model (name=${name}) already exists.`,
      );
      expectError(await server.http().get(`/api/v1/models/${name}/versions/abc`), 400, 'INVALID_REQUEST', /positive integer/);
    });
  });
});
