import { factories, uniqueName } from '../support/factories.js';
import { expectError, unknownId } from '../support/http-checks.js';
import {
  expectMlflowError,
  missingParameter,
  MLFLOW_EXPERIMENT_ID,
  mlflowApi,
  MlflowApi,
  MlflowExperimentBody,
  MlflowRunBody,
} from '../support/mlflow.js';
import { startTestApp, TestApp } from '../support/test-app.js';

describe('MLflow experiments API over HTTP (/api/2.0/mlflow/experiments)', () => {
  let server: TestApp;
  let mlflow: MlflowApi;
  let make: ReturnType<typeof factories>;

  beforeAll(async () => {
    server = await startTestApp();
    mlflow = mlflowApi(server.http);
    make = factories(server.http);
  });
  afterAll(() => server.close());

  async function v1Experiment(id: string): Promise<{ id: string; name: string; lifecycle_stage: string; config: unknown }> {
    return (await server.http().get(`/api/v1/experiments/${id}`).expect(200)).body as {
      id: string;
      name: string;
      lifecycle_stage: string;
      config: unknown;
    };
  }

  async function v1ActiveExperimentIds(): Promise<string[]> {
    const response = await server.http().get('/api/v1/experiments').query({ max_results: 1000 }).expect(200);
    expect(response.body.next_page_token).toBeUndefined();
    return (response.body.experiments as { id: string }[]).map((experiment) => experiment.id);
  }

  async function expectNoExperimentNamed(name: string): Promise<void> {
    const response = await mlflow.get('experiments/get-by-name', { experiment_name: name });
    expectMlflowError(response, 404, 'RESOURCE_DOES_NOT_EXIST', `Could not find experiment with name '${name}'`);
  }

  describe('the default experiment', () => {
    it('exists from the start as "0", named Default, active, with artifact location mlflow-artifacts:/0', async () => {
      const response = await mlflow
        .get('experiments/get', { experiment_id: '0' })
        .expect('content-type', /^application\/json/)
        .expect(200);
      expect(response.body).toEqual({
        experiment: {
          experiment_id: '0',
          name: 'Default',
          artifact_location: 'mlflow-artifacts:/0',
          lifecycle_stage: 'active',
          last_update_time: expect.any(Number),
          creation_time: expect.any(Number),
        },
      });
    });

    it('is found by name and shows in /api/v1 as the same experiment', async () => {
      const byName = await mlflow.get('experiments/get-by-name', { experiment_name: 'Default' }).expect(200);
      expect(byName.body.experiment.experiment_id).toBe('0');
      expect(await v1Experiment('0')).toMatchObject({ id: '0', name: 'Default', lifecycle_stage: 'active' });
    });
  });

  describe('POST experiments/create', () => {
    it('answers 200 with an experiment_id that MLflow clients accept, and the experiment reads back in full', async () => {
      const name = uniqueName('mlflow');
      const before = Date.now();
      const response = await mlflow
        .post('experiments/create', { name })
        .expect('content-type', /^application\/json/)
        .expect(200);
      const after = Date.now();
      expect(response.body).toEqual({ experiment_id: expect.stringMatching(MLFLOW_EXPERIMENT_ID) });
      const id = response.body.experiment_id as string;
      expect(id).toBe(id.toLowerCase());
      const experiment = await mlflow.getExperiment(id);
      // No tags: the field is left out, as MLflow leaves out empty lists.
      expect(experiment).toEqual({
        experiment_id: id,
        name,
        artifact_location: `mlflow-artifacts:/${id}`,
        lifecycle_stage: 'active',
        last_update_time: experiment.creation_time,
        creation_time: expect.any(Number),
      });
      expect(experiment.creation_time).toBeGreaterThanOrEqual(before);
      expect(experiment.creation_time).toBeLessThanOrEqual(after);
    });

    it('shows the experiment in /api/v1 under the same id and name, in the active list', async () => {
      const name = uniqueName('mlflow');
      const id = await mlflow.createExperiment(name);
      expect(await v1Experiment(id)).toEqual(expect.objectContaining({ id, name, lifecycle_stage: 'active', config: null }));
      expect(await v1ActiveExperimentIds()).toContain(id);
    });

    it('keeps tags (sorted by key) and a given artifact_location, which the runs then live under', async () => {
      const id = await mlflow.createExperiment(uniqueName('tagged'), {
        artifact_location: 's3://bucket/team/project',
        tags: [{ key: 'team', value: 'vision' }, { key: 'priority', value: 'high' }, { key: 'empty' }],
      });
      const experiment = await mlflow.getExperiment(id);
      expect(experiment.artifact_location).toBe('s3://bucket/team/project');
      expect(experiment.tags).toEqual([
        { key: 'empty', value: '' },
        { key: 'priority', value: 'high' },
        { key: 'team', value: 'vision' },
      ]);
      const run = await mlflow.createRun(id);
      expect(run.info.artifact_uri).toBe(`s3://bucket/team/project/${run.info.run_id}/artifacts`);
    });

    it("stores a relative local artifact_location resolved against the server's working directory, as MLflow does", async () => {
      const cwd = process.cwd();
      for (const [given, stored] of [
        ['mlruns/team', `${cwd}/mlruns/team`],
        ['./local', `${cwd}/local`],
        ['file:rel/x', `file://${cwd}/rel/x`],
        ['/srv/artifacts', '/srv/artifacts'],
        ['file:///srv/a', 'file:///srv/a'],
      ]) {
        const id = await mlflow.createExperiment(uniqueName('located'), { artifact_location: given });
        expect([given, (await mlflow.getExperiment(id)).artifact_location]).toEqual([given, stored]);
        const run = await mlflow.createRun(id);
        expect(run.info.artifact_uri).toBe(`${stored}/${run.info.run_id}/artifacts`);
      }
    });

    it('answers 400 RESOURCE_ALREADY_EXISTS for a name in use, keeping the first experiment as it was', async () => {
      const name = uniqueName('taken');
      const first = await mlflow.createExperiment(name, { tags: [{ key: 'origin', value: 'first' }] });
      const response = await mlflow.post('experiments/create', { name, tags: [{ key: 'origin', value: 'second' }] });
      expectMlflowError(response, 400, 'RESOURCE_ALREADY_EXISTS', `Experiment(name=${name}) already exists.`);
      const byName = await mlflow.get('experiments/get-by-name', { experiment_name: name }).expect(200);
      expect(byName.body.experiment).toMatchObject({ experiment_id: first, tags: [{ key: 'origin', value: 'first' }] });
    });

    it('answers 400 RESOURCE_ALREADY_EXISTS for the name of a deleted experiment', async () => {
      const name = uniqueName('deleted-name');
      const id = await mlflow.createExperiment(name);
      await mlflow.post('experiments/delete', { experiment_id: id }).expect(200);
      expectMlflowError(
        await mlflow.post('experiments/create', { name }),
        400,
        'RESOURCE_ALREADY_EXISTS',
        `Experiment(name=${name}) already exists.`,
      );
    });

    it('shares the name space with /api/v1 both ways, each API answering in its own envelope', async () => {
      const v1 = await make.experiment();
      expectMlflowError(
        await mlflow.post('experiments/create', { name: v1.name }),
        400,
        'RESOURCE_ALREADY_EXISTS',
        `Experiment(name=${v1.name}) already exists.`,
      );
      const name = uniqueName('mlflow-first');
      await mlflow.createExperiment(name);
      expectError(
        await server.http().post('/api/v1/experiments').send({ name }),
        409,
        'CONFLICT',
        `an experiment named '${name}' already exists`,
      );
    });

    it.each<[string, object, string | RegExp]>([
      ['no name', { name: undefined }, missingParameter('name')],
      ['an empty name', { name: '' }, missingParameter('name')],
      ['a name that is not a string', { name: 42 }, /^Invalid value 42 for parameter 'name' supplied/],
      ['a name of 501 characters', { name: 'n'.repeat(501) }, 'name: must be at most 500 characters'],
      ['a runs: artifact location', { artifact_location: 'runs:/abc/model' }, /artifact_location: 'runs:' URIs are not accepted/],
      [
        'an artifact location of 2049 characters',
        { artifact_location: `s3://${'a'.repeat(2044)}` },
        'artifact_location: must be at most 2048 characters',
      ],
      ['a tag with an invalid key', { tags: [{ key: '../escape', value: 'x' }] }, /^Invalid tag key '\.\.\/escape'/],
      ['a tag without a key', { tags: [{ value: 'x' }] }, missingParameter('key')],
      [
        'a tag value of 5001 characters',
        { tags: [{ key: 'long', value: 'v'.repeat(5001) }] },
        "Tag 'long': value must be at most 5000 characters",
      ],
      ['tags that are not a list', { tags: { key: 'a', value: 'b' } }, /^Invalid value .* for parameter 'tags' supplied: expected a list/],
    ])('answers 400 INVALID_PARAMETER_VALUE for %s and creates nothing', async (_what, body, message) => {
      const name = uniqueName('refused');
      const response = await mlflow.post('experiments/create', { name, ...body });
      expectMlflowError(response, 400, 'INVALID_PARAMETER_VALUE', message);
      await expectNoExperimentNamed(name);
    });

    it('accepts a name of exactly 500 characters', async () => {
      const name = `${uniqueName('long')}-`.padEnd(500, 'x');
      const id = await mlflow.createExperiment(name);
      expect((await mlflow.getExperiment(id)).name).toBe(name);
    });
  });

  describe('GET experiments/get', () => {
    it('answers 404 RESOURCE_DOES_NOT_EXIST for an unknown id', async () => {
      const id = unknownId('exp');
      expectMlflowError(
        await mlflow.get('experiments/get', { experiment_id: id }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
        `Experiment not found: ${id}`,
      );
    });

    it('answers 400 INVALID_PARAMETER_VALUE without an experiment_id', async () => {
      expectMlflowError(await mlflow.get('experiments/get'), 400, 'INVALID_PARAMETER_VALUE', missingParameter('experiment_id'));
    });

    it('reads a deleted experiment, showing it deleted', async () => {
      const id = await mlflow.createExperiment();
      await mlflow.post('experiments/delete', { experiment_id: id }).expect(200);
      expect((await mlflow.getExperiment(id)).lifecycle_stage).toBe('deleted');
    });

    it('reads an experiment created through /api/v1, with the artifact location its runs use', async () => {
      const v1 = await make.experiment({ config: { model: 'gpt2' } });
      expect(await mlflow.getExperiment(v1.id)).toEqual({
        experiment_id: v1.id,
        name: v1.name,
        artifact_location: `mlflow-artifacts:/${v1.id}`,
        lifecycle_stage: 'active',
        last_update_time: Date.parse(v1.updated_at),
        creation_time: Date.parse(v1.created_at),
      });
    });
  });

  describe('GET experiments/get-by-name', () => {
    it('finds an experiment by its exact name, spaces and all', async () => {
      const name = `${uniqueName('with spaces')} & ünïcode`;
      const id = await mlflow.createExperiment(name);
      const response = await mlflow.get('experiments/get-by-name', { experiment_name: name }).expect(200);
      expect(response.body).toEqual({ experiment: await mlflow.getExperiment(id) });
    });

    it("answers 404 RESOURCE_DOES_NOT_EXIST with MLflow's message for an unknown name", async () => {
      await expectNoExperimentNamed(uniqueName('nobody'));
    });

    it('is case-sensitive', async () => {
      const name = uniqueName('CaseSensitive');
      await mlflow.createExperiment(name);
      await expectNoExperimentNamed(name.toLowerCase());
    });

    it('finds a deleted experiment, showing it deleted (the client needs that to refuse it)', async () => {
      const name = uniqueName('gone');
      const id = await mlflow.createExperiment(name);
      await mlflow.post('experiments/delete', { experiment_id: id }).expect(200);
      const response = await mlflow.get('experiments/get-by-name', { experiment_name: name }).expect(200);
      expect(response.body.experiment).toMatchObject({ experiment_id: id, lifecycle_stage: 'deleted' });
    });

    it('answers 400 INVALID_PARAMETER_VALUE without an experiment_name', async () => {
      expectMlflowError(
        await mlflow.get('experiments/get-by-name', { experiment_name: '' }),
        400,
        'INVALID_PARAMETER_VALUE',
        missingParameter('experiment_name'),
      );
    });
  });

  describe('POST experiments/update', () => {
    it('renames: 200 {}, the new name everywhere, the old name free again', async () => {
      const oldName = uniqueName('before');
      const newName = uniqueName('after');
      const id = await mlflow.createExperiment(oldName);
      const created = await mlflow.getExperiment(id);
      const response = await mlflow.post('experiments/update', { experiment_id: id, new_name: newName }).expect(200);
      expect(response.body).toEqual({});
      const renamed = await mlflow.getExperiment(id);
      expect(renamed.name).toBe(newName);
      expect(renamed.last_update_time).toBeGreaterThanOrEqual(created.last_update_time);
      expect(renamed.creation_time).toBe(created.creation_time);
      expect((await v1Experiment(id)).name).toBe(newName);
      await expectNoExperimentNamed(oldName);
      // The old name can be used again.
      await mlflow.createExperiment(oldName);
    });

    it('accepts the current name (nothing changes)', async () => {
      const name = uniqueName('same');
      const id = await mlflow.createExperiment(name);
      await mlflow.post('experiments/update', { experiment_id: id, new_name: name }).expect(200);
      expect((await mlflow.getExperiment(id)).name).toBe(name);
    });

    it('renames an experiment created through /api/v1', async () => {
      const v1 = await make.experiment();
      const newName = uniqueName('renamed-v1');
      await mlflow.post('experiments/update', { experiment_id: v1.id, new_name: newName }).expect(200);
      expect((await v1Experiment(v1.id)).name).toBe(newName);
    });

    it('answers 400 RESOURCE_ALREADY_EXISTS for a name taken by an active or a deleted experiment, keeping the name', async () => {
      const name = uniqueName('keep');
      const id = await mlflow.createExperiment(name);
      const active = uniqueName('active');
      await mlflow.createExperiment(active);
      const deleted = uniqueName('deleted');
      const deletedId = await mlflow.createExperiment(deleted);
      await mlflow.post('experiments/delete', { experiment_id: deletedId }).expect(200);
      for (const taken of [active, deleted]) {
        const response = await mlflow.post('experiments/update', { experiment_id: id, new_name: taken });
        expectMlflowError(response, 400, 'RESOURCE_ALREADY_EXISTS', `Experiment(name=${taken}) already exists.`);
      }
      expect((await mlflow.getExperiment(id)).name).toBe(name);
    });

    it('refuses to rename a deleted experiment with 400 INVALID_PARAMETER_VALUE, keeping its name', async () => {
      const name = uniqueName('deleted');
      const id = await mlflow.createExperiment(name);
      await mlflow.post('experiments/delete', { experiment_id: id }).expect(200);
      const response = await mlflow.post('experiments/update', { experiment_id: id, new_name: uniqueName('new') });
      expectMlflowError(response, 400, 'INVALID_PARAMETER_VALUE', `Cannot rename a non-active experiment (${id} is deleted)`);
      expect((await mlflow.getExperiment(id)).name).toBe(name);
    });

    it('answers 400 without new_name or with a name over 500 characters, and 404 for an unknown experiment', async () => {
      const name = uniqueName('unchanged');
      const id = await mlflow.createExperiment(name);
      expectMlflowError(
        await mlflow.post('experiments/update', { experiment_id: id }),
        400,
        'INVALID_PARAMETER_VALUE',
        missingParameter('new_name'),
      );
      expectMlflowError(
        await mlflow.post('experiments/update', { experiment_id: id, new_name: 'x'.repeat(501) }),
        400,
        'INVALID_PARAMETER_VALUE',
        'new_name: must be at most 500 characters',
      );
      expect((await mlflow.getExperiment(id)).name).toBe(name);
      const unknown = unknownId('exp');
      expectMlflowError(
        await mlflow.post('experiments/update', { experiment_id: unknown, new_name: uniqueName() }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
        `Experiment not found: ${unknown}`,
      );
    });
  });

  describe('POST experiments/delete and experiments/restore', () => {
    it('restores only the runs deleted with the experiment, not one deleted on its own before', async () => {
      const id = await mlflow.createExperiment();
      const keptDeleted = await mlflow.createRun(id);
      const deletedWith = await mlflow.createRun(id);
      await mlflow.post('runs/delete', { run_id: keptDeleted.info.run_id }).expect(200);
      await new Promise((resolve) => setTimeout(resolve, 5));
      await mlflow.post('experiments/delete', { experiment_id: id }).expect(200);
      await mlflow.post('experiments/restore', { experiment_id: id }).expect(200);
      expect((await mlflow.getRun(deletedWith.info.run_id)).info.lifecycle_stage).toBe('active');
      expect((await mlflow.getRun(keptDeleted.info.run_id)).info.lifecycle_stage).toBe('deleted');
    });

    it('deletes the experiment and every run in it, as both APIs show, and restore brings them all back', async () => {
      const id = await mlflow.createExperiment();
      const mlflowRuns = [await mlflow.createRun(id), await mlflow.createRun(id)];
      const v1Run = await make.run(id);
      const runIds = [...mlflowRuns.map((run) => run.info.run_id), v1Run.id];

      const deleted = await mlflow.post('experiments/delete', { experiment_id: id }).expect(200);
      expect(deleted.body).toEqual({});
      expect((await mlflow.getExperiment(id)).lifecycle_stage).toBe('deleted');
      expect((await v1Experiment(id)).lifecycle_stage).toBe('deleted');
      expect(await v1ActiveExperimentIds()).not.toContain(id);
      for (const runId of runIds) {
        expect((await mlflow.getRun(runId)).info.lifecycle_stage).toBe('deleted');
        expect((await server.http().get(`/api/v1/runs/${runId}`).expect(200)).body.lifecycle_stage).toBe('deleted');
      }
      // The runs take no writes while deleted.
      expectMlflowError(
        await mlflow.post('runs/log-metric', { run_id: runIds[0], key: 'loss', value: 1, timestamp: 1, step: 0 }),
        400,
        'INVALID_PARAMETER_VALUE',
        /deleted/,
      );

      const restored = await mlflow.post('experiments/restore', { experiment_id: id }).expect(200);
      expect(restored.body).toEqual({});
      expect((await mlflow.getExperiment(id)).lifecycle_stage).toBe('active');
      expect(await v1ActiveExperimentIds()).toContain(id);
      for (const runId of runIds) {
        expect((await mlflow.getRun(runId)).info.lifecycle_stage).toBe('active');
        expect((await server.http().get(`/api/v1/runs/${runId}`).expect(200)).body.lifecycle_stage).toBe('active');
      }
      await mlflow.post('runs/log-metric', { run_id: runIds[0], key: 'loss', value: 1, timestamp: 1, step: 0 }).expect(200);
    });

    it('refuses to delete the default experiment "0" with 400, leaving it active', async () => {
      expectMlflowError(
        await mlflow.post('experiments/delete', { experiment_id: '0' }),
        400,
        'INVALID_PARAMETER_VALUE',
        "Cannot delete the default experiment '0'",
      );
      expect((await mlflow.getExperiment('0')).lifecycle_stage).toBe('active');
    });

    it('answers 404 RESOURCE_DOES_NOT_EXIST when deleting an already deleted experiment', async () => {
      const id = await mlflow.createExperiment();
      await mlflow.post('experiments/delete', { experiment_id: id }).expect(200);
      expectMlflowError(
        await mlflow.post('experiments/delete', { experiment_id: id }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
        `Experiment ${id} is already deleted`,
      );
      expect((await mlflow.getExperiment(id)).lifecycle_stage).toBe('deleted');
    });

    it('answers 404 RESOURCE_DOES_NOT_EXIST when restoring an active experiment', async () => {
      const id = await mlflow.createExperiment();
      expectMlflowError(
        await mlflow.post('experiments/restore', { experiment_id: id }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
        `Experiment ${id} is not deleted`,
      );
      expect((await mlflow.getExperiment(id)).lifecycle_stage).toBe('active');
    });

    it('answers 404 for an unknown experiment and 400 without an experiment_id, on both', async () => {
      const unknown = unknownId('exp');
      for (const path of ['experiments/delete', 'experiments/restore']) {
        expectMlflowError(
          await mlflow.post(path, { experiment_id: unknown }),
          404,
          'RESOURCE_DOES_NOT_EXIST',
          `Experiment not found: ${unknown}`,
        );
        expectMlflowError(await mlflow.post(path, {}), 400, 'INVALID_PARAMETER_VALUE', missingParameter('experiment_id'));
      }
    });

    it('deletes an experiment created through /api/v1, which then takes no new runs there either', async () => {
      const v1 = await make.experiment();
      await mlflow.post('experiments/delete', { experiment_id: v1.id }).expect(200);
      const response = await server.http().post('/api/v1/runs').send({ experiment_id: v1.id });
      expectError(response, 409, 'CONFLICT', `experiment ${v1.id} is deleted; restore it before adding runs`);
    });
  });

  describe('POST experiments/set-experiment-tag and delete-experiment-tag', () => {
    it('sets a tag, overwrites it, and deletes it', async () => {
      const id = await mlflow.createExperiment();
      const set = await mlflow.post('experiments/set-experiment-tag', { experiment_id: id, key: 'stage', value: 'draft' }).expect(200);
      expect(set.body).toEqual({});
      await mlflow.post('experiments/set-experiment-tag', { experiment_id: id, key: 'owner', value: 'ana' }).expect(200);
      expect((await mlflow.getExperiment(id)).tags).toEqual([
        { key: 'owner', value: 'ana' },
        { key: 'stage', value: 'draft' },
      ]);
      await mlflow.post('experiments/set-experiment-tag', { experiment_id: id, key: 'stage', value: 'final' }).expect(200);
      expect((await mlflow.getExperiment(id)).tags).toEqual([
        { key: 'owner', value: 'ana' },
        { key: 'stage', value: 'final' },
      ]);
      const deleted = await mlflow.post('experiments/delete-experiment-tag', { experiment_id: id, key: 'stage' }).expect(200);
      expect(deleted.body).toEqual({});
      expect((await mlflow.getExperiment(id)).tags).toEqual([{ key: 'owner', value: 'ana' }]);
      await mlflow.post('experiments/delete-experiment-tag', { experiment_id: id, key: 'owner' }).expect(200);
      // No tags left: the field is left out.
      expect((await mlflow.getExperiment(id)).tags).toBeUndefined();
    });

    it('moves last_update_time forward when a tag is set', async () => {
      const id = await mlflow.createExperiment();
      const before = await mlflow.getExperiment(id);
      await new Promise((resolve) => setTimeout(resolve, 5));
      await mlflow.post('experiments/set-experiment-tag', { experiment_id: id, key: 'k', value: 'v' }).expect(200);
      expect((await mlflow.getExperiment(id)).last_update_time).toBeGreaterThan(before.last_update_time);
    });

    it('answers 404 RESOURCE_DOES_NOT_EXIST when deleting a tag that is not there', async () => {
      const id = await mlflow.createExperiment(uniqueName(), { tags: [{ key: 'kept', value: 'yes' }] });
      expectMlflowError(
        await mlflow.post('experiments/delete-experiment-tag', { experiment_id: id, key: 'missing' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
        `No tag with name: missing in experiment with id ${id}`,
      );
      expect((await mlflow.getExperiment(id)).tags).toEqual([{ key: 'kept', value: 'yes' }]);
    });

    it('refuses both on a deleted experiment with 400, changing nothing', async () => {
      const id = await mlflow.createExperiment(uniqueName(), { tags: [{ key: 'kept', value: 'yes' }] });
      await mlflow.post('experiments/delete', { experiment_id: id }).expect(200);
      const message = `The experiment ${id} must be in the 'active' state`;
      expectMlflowError(
        await mlflow.post('experiments/set-experiment-tag', { experiment_id: id, key: 'new', value: 'v' }),
        400,
        'INVALID_PARAMETER_VALUE',
        message,
      );
      expectMlflowError(
        await mlflow.post('experiments/delete-experiment-tag', { experiment_id: id, key: 'kept' }),
        400,
        'INVALID_PARAMETER_VALUE',
        message,
      );
      expect((await mlflow.getExperiment(id)).tags).toEqual([{ key: 'kept', value: 'yes' }]);
    });

    it('answers 400 for an invalid key or an over-long value and 404 for an unknown experiment, setting nothing', async () => {
      const id = await mlflow.createExperiment();
      expectMlflowError(
        await mlflow.post('experiments/set-experiment-tag', { experiment_id: id, key: 'a//b', value: 'v' }),
        400,
        'INVALID_PARAMETER_VALUE',
        /^Invalid tag key 'a\/\/b'/,
      );
      expectMlflowError(
        await mlflow.post('experiments/set-experiment-tag', { experiment_id: id, key: 'big', value: 'v'.repeat(5001) }),
        400,
        'INVALID_PARAMETER_VALUE',
        "Tag 'big': value must be at most 5000 characters",
      );
      expectMlflowError(
        await mlflow.post('experiments/set-experiment-tag', { experiment_id: id, value: 'v' }),
        400,
        'INVALID_PARAMETER_VALUE',
        missingParameter('key'),
      );
      expect((await mlflow.getExperiment(id)).tags).toBeUndefined();
      const unknown = unknownId('exp');
      for (const path of ['experiments/set-experiment-tag', 'experiments/delete-experiment-tag']) {
        expectMlflowError(
          await mlflow.post(path, { experiment_id: unknown, key: 'k', value: 'v' }),
          404,
          'RESOURCE_DOES_NOT_EXIST',
          `Experiment not found: ${unknown}`,
        );
      }
    });
  });

  describe('experiments/search (smoke test; the search suite covers the grammar)', () => {
    it('finds an experiment by name with POST, as MLflow clients send it', async () => {
      const name = uniqueName('searchable');
      const id = await mlflow.createExperiment(name);
      const response = await mlflow.post('experiments/search', { filter: `name = '${name}'`, max_results: 10 }).expect(200);
      expect(response.body).toEqual({ experiments: [await mlflow.getExperiment(id)] });
    });
  });

  describe('runs see their experiment', () => {
    it('a run created in an experiment carries its id and an artifact_uri under its artifact location', async () => {
      const id = await mlflow.createExperiment();
      const run: MlflowRunBody = await mlflow.createRun(id);
      const experiment: MlflowExperimentBody = await mlflow.getExperiment(id);
      expect(run.info.experiment_id).toBe(id);
      expect(run.info.artifact_uri).toBe(`${experiment.artifact_location}/${run.info.run_id}/artifacts`);
    });
  });
});
