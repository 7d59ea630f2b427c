import { factories, runInStatus, RunStatusName, uniqueName } from '../support/factories.js';
import { expectError, unknownId } from '../support/http-checks.js';
import {
  expectMlflowError,
  missingParameter,
  MLFLOW_RUN_ID,
  mlflowApi,
  MlflowApi,
  MlflowMetricBody,
  MlflowRunBody,
  strictJson,
} from '../support/mlflow.js';
import { startTestApp, TestApp } from '../support/test-app.js';

/** Names the server makes up for unnamed runs, e.g. `orderly-quail-568`. */
const GENERATED_NAME = /^[a-z]+-[a-z]+-\d{1,3}$/;

/** The status mapping written down in the README, MLflow name → /api/v1 status. */
const STATUS_PAIRS: ReadonlyArray<[mlflow: string, number: number, v1: RunStatusName]> = [
  ['RUNNING', 1, 'running'],
  ['SCHEDULED', 2, 'pending'],
  ['FINISHED', 3, 'success'],
  ['FAILED', 4, 'failed'],
  ['KILLED', 5, 'cancelled'],
];

interface V1Run {
  id: string;
  experiment_id: string;
  name: string;
  status: string;
  lifecycle_stage: string;
  started_at: string | null;
  ended_at: string | null;
}

describe('MLflow runs and metrics API over HTTP (/api/2.0/mlflow/runs, /metrics)', () => {
  let server: TestApp;
  let mlflow: MlflowApi;
  let make: ReturnType<typeof factories>;
  /** An MLflow experiment shared by the tests that do not list runs. */
  let experimentId: string;

  beforeAll(async () => {
    server = await startTestApp();
    mlflow = mlflowApi(server.http);
    make = factories(server.http);
    experimentId = await mlflow.createExperiment(uniqueName('runs'));
  });
  afterAll(() => server.close());

  async function newRun(extra: object = {}): Promise<string> {
    return (await mlflow.createRun(experimentId, extra)).info.run_id;
  }

  async function v1Run(runId: string): Promise<V1Run> {
    return (await server.http().get(`/api/v1/runs/${runId}`).expect(200)).body as V1Run;
  }

  async function v1RunIds(experiment: string): Promise<string[]> {
    const response = await server.http().get(`/api/v1/experiments/${experiment}/runs`).query({ max_results: 1000 }).expect(200);
    return (response.body.runs as V1Run[]).map((run) => run.id);
  }

  async function v1Params(runId: string): Promise<{ key: string; value: unknown }[]> {
    return (await server.http().get(`/api/v1/runs/${runId}/params`).expect(200)).body.params as { key: string; value: unknown }[];
  }

  async function v1History(runId: string, key: string): Promise<{ key: string; step: number; value: unknown; timestamp: string }[]> {
    return (await server.http().get(`/api/v1/runs/${runId}/metrics`).query({ key }).expect(200)).body.metrics as {
      key: string;
      step: number;
      value: unknown;
      timestamp: string;
    }[];
  }

  /** Everything stored about a run that a write could change, read through both APIs. */
  async function snapshot(runId: string, metricKeys: readonly string[]): Promise<object> {
    const run = await mlflow.getRun(runId);
    const histories: Record<string, MlflowMetricBody[]> = {};
    for (const key of metricKeys) {
      histories[key] = await mlflow.history(runId, key);
    }
    return { info: { ...run.info }, data: run.data, inputs: run.inputs, histories, v1Params: await v1Params(runId) };
  }

  describe('POST runs/create', () => {
    it("answers 200 with a RUNNING run in MLflow's shape: ids, generated name, start time, artifact URI, runName tag", async () => {
      const before = Date.now();
      const response = await mlflow
        .post('runs/create', { experiment_id: experimentId })
        .expect('content-type', /^application\/json/)
        .expect(200);
      const after = Date.now();
      const run = response.body.run as MlflowRunBody;
      const runId = run.info.run_id;
      expect(response.body).toEqual({
        run: {
          info: {
            run_id: expect.stringMatching(MLFLOW_RUN_ID),
            run_uuid: runId,
            run_name: expect.stringMatching(GENERATED_NAME),
            experiment_id: experimentId,
            status: 'RUNNING',
            start_time: expect.any(Number),
            artifact_uri: `mlflow-artifacts:/${experimentId}/${runId}/artifacts`,
            lifecycle_stage: 'active',
          },
          // No metrics or params yet: those fields are left out, not empty lists.
          data: { tags: [{ key: 'mlflow.runName', value: run.info.run_name }] },
          inputs: {},
          outputs: {},
        },
      });
      expect(runId).toBe(runId.toLowerCase());
      expect(run.info.start_time).toBeGreaterThanOrEqual(before);
      expect(run.info.start_time).toBeLessThanOrEqual(after);
      // runs/get answers the same run.
      expect(await mlflow.getRun(runId)).toEqual(run);
    });

    it('shows the run in /api/v1: same id, experiment and name, running, started at start_time', async () => {
      const run = await mlflow.createRun(experimentId, { run_name: 'shared-run', start_time: 1_700_000_000_123 });
      expect(await v1Run(run.info.run_id)).toMatchObject({
        id: run.info.run_id,
        experiment_id: experimentId,
        name: 'shared-run',
        status: 'running',
        lifecycle_stage: 'active',
        started_at: '2023-11-14T22:13:20.123Z',
        ended_at: null,
      });
      expect(await v1RunIds(experimentId)).toContain(run.info.run_id);
    });

    it('names the run after run_name, and sets the mlflow.runName tag to it', async () => {
      const run = await mlflow.createRun(experimentId, { run_name: 'lr-sweep-1' });
      expect(run.info.run_name).toBe('lr-sweep-1');
      expect(run.data.tags).toEqual([{ key: 'mlflow.runName', value: 'lr-sweep-1' }]);
    });

    it('names the run after the mlflow.runName tag when run_name is absent', async () => {
      const run = await mlflow.createRun(experimentId, { tags: [{ key: 'mlflow.runName', value: 'from-tag' }] });
      expect(run.info.run_name).toBe('from-tag');
      expect((await v1Run(run.info.run_id)).name).toBe('from-tag');
    });

    it('accepts run_name and mlflow.runName when they agree', async () => {
      const run = await mlflow.createRun(experimentId, { run_name: 'same', tags: [{ key: 'mlflow.runName', value: 'same' }] });
      expect(run.info.run_name).toBe('same');
      expect(run.data.tags).toEqual([{ key: 'mlflow.runName', value: 'same' }]);
    });

    it('answers 400 INVALID_PARAMETER_VALUE when run_name and mlflow.runName differ, creating no run', async () => {
      const experiment = await mlflow.createExperiment();
      const response = await mlflow.post('runs/create', {
        experiment_id: experiment,
        run_name: 'one',
        tags: [{ key: 'mlflow.runName', value: 'two' }],
      });
      expectMlflowError(
        response,
        400,
        'INVALID_PARAMETER_VALUE',
        "Both 'run_name' (one) and the tag 'mlflow.runName' (two) were given and they differ",
      );
      expect(await v1RunIds(experiment)).toEqual([]);
    });

    it('generates a readable name for every run created without one', async () => {
      const names = new Set<string>();
      for (let index = 0; index < 5; index++) {
        const run = await mlflow.createRun(experimentId);
        expect(run.info.run_name).toMatch(GENERATED_NAME);
        expect(run.data.tags).toEqual([{ key: 'mlflow.runName', value: run.info.run_name }]);
        names.add(run.info.run_name);
      }
      expect(names.size).toBeGreaterThan(1);
    });

    it('takes start_time as a number or a numeric string (int64)', async () => {
      expect((await mlflow.createRun(experimentId, { start_time: 1_600_000_000_000 })).info.start_time).toBe(1_600_000_000_000);
      expect((await mlflow.createRun(experimentId, { start_time: '1600000000001' })).info.start_time).toBe(1_600_000_000_001);
    });

    it('takes user_id from the field, else from the mlflow.user tag, and leaves it out when neither is given', async () => {
      const fromField = await mlflow.createRun(experimentId, { user_id: 'alice', tags: [{ key: 'mlflow.user', value: 'bob' }] });
      expect(fromField.info.user_id).toBe('alice');
      const fromTag = await mlflow.createRun(experimentId, { tags: [{ key: 'mlflow.user', value: 'bob' }] });
      expect(fromTag.info.user_id).toBe('bob');
      expect(fromTag.data.tags).toEqual([
        { key: 'mlflow.runName', value: fromTag.info.run_name },
        { key: 'mlflow.user', value: 'bob' },
      ]);
      const nobody = await mlflow.createRun(experimentId);
      expect(nobody.info).not.toHaveProperty('user_id');
      expect((await mlflow.getRun(fromTag.info.run_id)).info.user_id).toBe('bob');
    });

    it('puts the run in the default experiment "0" when experiment_id is empty or absent', async () => {
      for (const body of [{ experiment_id: '' }, {}]) {
        const response = await mlflow.post('runs/create', body).expect(200);
        const run = response.body.run as MlflowRunBody;
        expect(run.info.experiment_id).toBe('0');
        expect(run.info.artifact_uri).toBe(`mlflow-artifacts:/0/${run.info.run_id}/artifacts`);
        expect((await v1Run(run.info.run_id)).experiment_id).toBe('0');
      }
    });

    it('keeps the tags it is given, sorted by key', async () => {
      const run = await mlflow.createRun(experimentId, {
        run_name: 'tagged',
        tags: [
          { key: 'mlflow.source.type', value: 'LOCAL' },
          { key: 'a.first', value: '1' },
          { key: 'mlflow.source.name', value: 'train.py' },
        ],
      });
      expect((await mlflow.getRun(run.info.run_id)).data.tags).toEqual([
        { key: 'a.first', value: '1' },
        { key: 'mlflow.runName', value: 'tagged' },
        { key: 'mlflow.source.name', value: 'train.py' },
        { key: 'mlflow.source.type', value: 'LOCAL' },
      ]);
    });

    it('answers with the run exactly as runs/get then reads it, whatever the tag keys and repeats', async () => {
      const created = await mlflow.createRun(experimentId, {
        tags: [
          { key: 'zeta', value: '1' },
          { key: 'Zeta', value: '2' },
          { key: 'a/b', value: '3' },
          { key: 'a b', value: '4' },
          { key: '_under', value: '5' },
          { key: 'a-b', value: '6' },
          { key: '0num', value: '7' },
          { key: 'zeta', value: 'last wins' },
          { key: 'mlflow.user', value: 'ada' },
        ],
      });
      const read = await mlflow.getRun(created.info.run_id);
      expect(created).toEqual(read);
      // Byte order, not a locale's (which would put "_under" and "Zeta" elsewhere).
      expect(read.data.tags?.map((tag) => tag.key)).toEqual([
        '0num',
        'Zeta',
        '_under',
        'a b',
        'a-b',
        'a/b',
        'mlflow.runName',
        'mlflow.user',
        'zeta',
      ]);
      expect(read.data.tags?.find((tag) => tag.key === 'zeta')?.value).toBe('last wins');
    });

    it('answers 400 INVALID_PARAMETER_VALUE in a deleted experiment and 404 in an unknown one, creating nothing', async () => {
      const experiment = await mlflow.createExperiment();
      await mlflow.post('experiments/delete', { experiment_id: experiment }).expect(200);
      expectMlflowError(
        await mlflow.post('runs/create', { experiment_id: experiment }),
        400,
        'INVALID_PARAMETER_VALUE',
        `The experiment ${experiment} must be in the 'active' state to create runs in it`,
      );
      await mlflow.post('experiments/restore', { experiment_id: experiment }).expect(200);
      expect(await v1RunIds(experiment)).toEqual([]);
      const unknown = unknownId('exp');
      expectMlflowError(
        await mlflow.post('runs/create', { experiment_id: unknown }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
        `Experiment not found: ${unknown}`,
      );
    });

    it.each<[string, object, string | RegExp]>([
      ['a tag with an invalid key', { tags: [{ key: '/abs', value: 'x' }] }, /^Invalid tag name: '\/abs'/],
      [
        'a tag value of 8001 characters',
        { tags: [{ key: 'big', value: 'v'.repeat(8001) }] },
        "Tag 'big': value must be at most 8000 characters, got 8001",
      ],
      ['a run_name of 251 characters', { run_name: 'r'.repeat(251) }, 'run_name: must be at most 250 characters'],
      ['a start_time that is not an integer', { start_time: 'soon' }, /^Invalid value "soon" for parameter 'start_time' supplied/],
      ['tags that are not objects', { tags: ['a=b'] }, /^Invalid value "a=b" for parameter 'tags' supplied/],
    ])('answers 400 INVALID_PARAMETER_VALUE for %s, creating no run', async (_what, body, message) => {
      const experiment = await mlflow.createExperiment();
      expectMlflowError(await mlflow.post('runs/create', { experiment_id: experiment, ...body }), 400, 'INVALID_PARAMETER_VALUE', message);
      expect(await v1RunIds(experiment)).toEqual([]);
    });
  });

  describe('GET runs/get', () => {
    it('answers the whole run: latest metric per key, params, tags and dataset inputs', async () => {
      const run = await mlflow.createRun(experimentId, { run_name: 'full', start_time: 1000, user_id: 'ana' });
      const runId = run.info.run_id;
      await mlflow.logBatch(runId, {
        metrics: [
          { key: 'loss', value: 3, timestamp: 10, step: 0 },
          { key: 'loss', value: 2, timestamp: 20, step: 1 },
          // Two points on step 2: the later timestamp is the latest.
          { key: 'loss', value: 1, timestamp: 40, step: 2 },
          { key: 'loss', value: 7, timestamp: 30, step: 2 },
          // The highest step is the latest even when logged first.
          { key: 'accuracy', value: 0.5, timestamp: 50, step: 5 },
        ],
        params: [
          { key: 'lr', value: '0.01' },
          { key: 'batch_size', value: '32' },
        ],
        tags: [{ key: 'team', value: 'vision' }],
      });
      await mlflow.post('runs/log-metric', { run_id: runId, key: 'accuracy', value: 0.9, timestamp: 60, step: 3 }).expect(200);
      await mlflow
        .post('runs/log-inputs', {
          run_id: runId,
          datasets: [
            {
              tags: [{ key: 'mlflow.data.context', value: 'train' }],
              dataset: { name: 'wikitext', digest: 'abc123', source_type: 'hf', source: '{"path":"wikitext"}', schema: '{"cols":[]}' },
            },
          ],
        })
        .expect(200);
      const response = await mlflow.get('runs/get', { run_id: runId }).expect(200);
      expect(response.body).toEqual({
        run: {
          info: {
            run_id: runId,
            run_uuid: runId,
            run_name: 'full',
            experiment_id: experimentId,
            user_id: 'ana',
            status: 'RUNNING',
            start_time: 1000,
            artifact_uri: `mlflow-artifacts:/${experimentId}/${runId}/artifacts`,
            lifecycle_stage: 'active',
          },
          data: {
            metrics: [
              { key: 'accuracy', value: 0.5, timestamp: 50, step: 5 },
              { key: 'loss', value: 1, timestamp: 40, step: 2 },
            ],
            params: [
              { key: 'batch_size', value: '32' },
              { key: 'lr', value: '0.01' },
            ],
            tags: [
              { key: 'mlflow.runName', value: 'full' },
              { key: 'team', value: 'vision' },
            ],
          },
          inputs: {
            dataset_inputs: [
              {
                tags: [{ key: 'mlflow.data.context', value: 'train' }],
                dataset: { name: 'wikitext', digest: 'abc123', source_type: 'hf', source: '{"path":"wikitext"}', schema: '{"cols":[]}' },
              },
            ],
          },
          outputs: {},
        },
      });
    });

    it('accepts run_uuid instead of run_id', async () => {
      const runId = await newRun();
      const response = await mlflow.get('runs/get', { run_uuid: runId }).expect(200);
      expect(response.body.run.info.run_id).toBe(runId);
    });

    it('answers 404 RESOURCE_DOES_NOT_EXIST for an unknown run and 400 without a run_id', async () => {
      const unknown = unknownId('run');
      expectMlflowError(await mlflow.get('runs/get', { run_id: unknown }), 404, 'RESOURCE_DOES_NOT_EXIST', `Run not found: ${unknown}`);
      expectMlflowError(await mlflow.get('runs/get', { other: 'x' }), 400, 'INVALID_PARAMETER_VALUE', missingParameter('run_id'));
    });

    it('reads a run created through /api/v1: SCHEDULED, not started, no data', async () => {
      const v1 = await make.run(experimentId, { name: 'from-v1' });
      expect(await mlflow.getRun(v1.id)).toEqual({
        info: {
          run_id: v1.id,
          run_uuid: v1.id,
          run_name: 'from-v1',
          experiment_id: experimentId,
          status: 'SCHEDULED',
          artifact_uri: `mlflow-artifacts:/${experimentId}/${v1.id}/artifacts`,
          lifecycle_stage: 'active',
        },
        data: {},
        inputs: {},
        outputs: {},
      });
    });

    it('shows what /api/v1 logged: typed params as text, metric points', async () => {
      const v1 = await make.runningRun(experimentId);
      await server.http().post(`/api/v1/runs/${v1.id}/params`).send({ key: 'lr', value: 0.001 }).expect(201);
      await server.http().post(`/api/v1/runs/${v1.id}/params`).send({ key: 'layers', value: 12 }).expect(201);
      await server
        .http()
        .post(`/api/v1/runs/${v1.id}/metrics`)
        .send({ key: 'loss', step: 4, value: 0.25, timestamp: '2024-01-01T00:00:00.000Z' })
        .expect(201);
      const run = await mlflow.getRun(v1.id);
      expect(run.data.params).toEqual([
        { key: 'layers', value: '12' },
        { key: 'lr', value: '0.001' },
      ]);
      expect(run.data.metrics).toEqual([{ key: 'loss', value: 0.25, timestamp: Date.parse('2024-01-01T00:00:00.000Z'), step: 4 }]);
      // The same text again from MLflow is the same value; another is a change.
      await mlflow.post('runs/log-parameter', { run_id: v1.id, key: 'lr', value: '0.001' }).expect(200);
      expectMlflowError(
        await mlflow.post('runs/log-parameter', { run_id: v1.id, key: 'lr', value: '0.002' }),
        400,
        'INVALID_PARAMETER_VALUE',
        /^Changing param values is not allowed/,
      );
    });
  });

  describe('POST runs/update', () => {
    it('sets status, end_time and run_name, answering run_info as runs/get then shows it', async () => {
      const runId = await newRun({ run_name: 'before', start_time: 5000 });
      const response = await mlflow
        .post('runs/update', { run_id: runId, status: 'FINISHED', end_time: 9000, run_name: 'after' })
        .expect(200);
      const run = await mlflow.getRun(runId);
      expect(response.body).toEqual({ run_info: run.info });
      expect(run.info).toMatchObject({ status: 'FINISHED', start_time: 5000, end_time: 9000, run_name: 'after' });
      expect(run.data.tags).toEqual([{ key: 'mlflow.runName', value: 'after' }]);
      expect(await v1Run(runId)).toMatchObject({ name: 'after', status: 'success', ended_at: '1970-01-01T00:00:09.000Z' });
    });

    it('allows any status transition, by name, by number or by numeric string', async () => {
      const runId = await newRun();
      const steps: Array<[string | number, string, RunStatusName]> = [
        [3, 'FINISHED', 'success'],
        ['1', 'RUNNING', 'running'],
        ['KILLED', 'KILLED', 'cancelled'],
        [2, 'SCHEDULED', 'pending'],
        ['4', 'FAILED', 'failed'],
        ['RUNNING', 'RUNNING', 'running'],
        [5, 'KILLED', 'cancelled'],
      ];
      for (const [sent, mlflowStatus, v1Status] of steps) {
        const response = await mlflow.post('runs/update', { run_id: runId, status: sent }).expect(200);
        expect([sent, response.body.run_info.status]).toEqual([sent, mlflowStatus]);
        expect([sent, (await v1Run(runId)).status]).toEqual([sent, v1Status]);
      }
    });

    it('changes only the fields it is given', async () => {
      const runId = await newRun({ run_name: 'stable' });
      await mlflow.post('runs/update', { run_id: runId, end_time: 1234 }).expect(200);
      expect((await mlflow.getRun(runId)).info).toMatchObject({ status: 'RUNNING', end_time: 1234, run_name: 'stable' });
      await mlflow.post('runs/update', { run_id: runId, status: 'FAILED' }).expect(200);
      expect((await mlflow.getRun(runId)).info).toMatchObject({ status: 'FAILED', end_time: 1234, run_name: 'stable' });
      await mlflow.post('runs/update', { run_uuid: runId, run_name: 'renamed' }).expect(200);
      expect((await mlflow.getRun(runId)).info).toMatchObject({ status: 'FAILED', end_time: 1234, run_name: 'renamed' });
      expect((await v1Run(runId)).name).toBe('renamed');
    });

    it.each<[string, object, string | RegExp]>([
      [
        'an unknown status name',
        { status: 'DONE' },
        /^Invalid value "DONE" for parameter 'status' supplied: expected one of RUNNING, SCHEDULED, FINISHED, FAILED, KILLED/,
      ],
      ['status number 0', { status: 0 }, /^Invalid value 0 for parameter 'status' supplied/],
      ['status number 6', { status: 6 }, /^Invalid value 6 for parameter 'status' supplied/],
      ['an end_time that is not an integer', { end_time: 'later' }, /^Invalid value "later" for parameter 'end_time' supplied/],
      ['an end_time with a fraction', { end_time: 1.5 }, /^Invalid value 1.5 for parameter 'end_time' supplied/],
      ['a run_name of 251 characters', { run_name: 'n'.repeat(251) }, 'run_name: must be at most 250 characters'],
    ])('answers 400 INVALID_PARAMETER_VALUE for %s, changing nothing', async (_what, body, message) => {
      const runId = await newRun({ run_name: 'untouched' });
      const before = await mlflow.getRun(runId);
      expectMlflowError(
        await mlflow.post('runs/update', { run_id: runId, status: 'FINISHED', ...body }),
        400,
        'INVALID_PARAMETER_VALUE',
        message,
      );
      expect(await mlflow.getRun(runId)).toEqual(before);
    });
  });

  describe('status mapping between the two APIs', () => {
    it.each(STATUS_PAIRS)('a run set to %s (%i) through MLflow is %s in /api/v1', async (mlflowStatus, _number, v1Status) => {
      const runId = await newRun();
      await mlflow.post('runs/update', { run_id: runId, status: mlflowStatus }).expect(200);
      expect((await v1Run(runId)).status).toBe(v1Status);
    });

    it.each(STATUS_PAIRS)('a run brought to %s through /api/v1 (%i, %s) reads so in MLflow', async (mlflowStatus, _number, v1Status) => {
      const v1 = await runInStatus(server.http, experimentId, v1Status);
      const run = await mlflow.getRun(v1.id);
      expect(run.info.status).toBe(mlflowStatus);
      // start_time and end_time follow /api/v1's started_at and ended_at.
      expect(run.info.start_time).toBe(v1.started_at === null ? undefined : Date.parse(v1.started_at));
      expect(run.info.end_time).toBe(v1.ended_at === null ? undefined : Date.parse(v1.ended_at));
    });

    it('lets both APIs drive one run: MLflow SCHEDULED, /api/v1 start and complete, MLflow reopens', async () => {
      const runId = await newRun({ start_time: 42 });
      await mlflow.post('runs/update', { run_id: runId, status: 'SCHEDULED' }).expect(200);
      const started = await server.http().post(`/api/v1/runs/${runId}/start`).expect(200);
      expect(started.body.status).toBe('running');
      expect((await mlflow.getRun(runId)).info).toMatchObject({ status: 'RUNNING', start_time: 42 });
      const completed = await server.http().post(`/api/v1/runs/${runId}/complete`).send({ status: 'success' }).expect(200);
      const finished = await mlflow.getRun(runId);
      expect(finished.info).toMatchObject({ status: 'FINISHED', end_time: Date.parse(completed.body.ended_at as string) });
      // /api/v1 keeps its lifecycle rules; MLflow's UpdateRun has none.
      expectError(
        await server.http().post(`/api/v1/runs/${runId}/start`),
        409,
        'CONFLICT',
        `run ${runId} is success; it can become running only from pending`,
      );
      await mlflow.post('runs/update', { run_id: runId, status: 'RUNNING' }).expect(200);
      expect((await v1Run(runId)).status).toBe('running');
    });
  });

  describe('POST runs/delete and runs/restore', () => {
    it('deletes a run (both APIs show it deleted, /api/v1 lists it no more) and restores it', async () => {
      const experiment = await mlflow.createExperiment();
      const runId = (await mlflow.createRun(experiment)).info.run_id;
      const deleted = await mlflow.post('runs/delete', { run_id: runId }).expect(200);
      expect(deleted.body).toEqual({});
      expect((await mlflow.getRun(runId)).info.lifecycle_stage).toBe('deleted');
      expect((await v1Run(runId)).lifecycle_stage).toBe('deleted');
      expect(await v1RunIds(experiment)).toEqual([]);
      const restored = await mlflow.post('runs/restore', { run_id: runId }).expect(200);
      expect(restored.body).toEqual({});
      expect((await mlflow.getRun(runId)).info.lifecycle_stage).toBe('active');
      expect(await v1RunIds(experiment)).toEqual([runId]);
    });

    it('answers 200 when deleting a deleted run or restoring an active one, as MLflow does', async () => {
      const runId = await newRun();
      await mlflow.post('runs/restore', { run_id: runId }).expect(200);
      expect((await mlflow.getRun(runId)).info.lifecycle_stage).toBe('active');
      await mlflow.post('runs/delete', { run_id: runId }).expect(200);
      await mlflow.post('runs/delete', { run_uuid: runId }).expect(200);
      expect((await mlflow.getRun(runId)).info.lifecycle_stage).toBe('deleted');
    });

    it('answers 404 for an unknown run and 400 without a run_id', async () => {
      const unknown = unknownId('run');
      for (const path of ['runs/delete', 'runs/restore']) {
        expectMlflowError(await mlflow.post(path, { run_id: unknown }), 404, 'RESOURCE_DOES_NOT_EXIST', `Run not found: ${unknown}`);
        expectMlflowError(await mlflow.post(path, {}), 400, 'INVALID_PARAMETER_VALUE', missingParameter('run_id'));
      }
    });
  });

  describe('writes to a deleted or unknown run', () => {
    const writes: Array<[string, (runId: string) => object]> = [
      ['runs/log-metric', (runId) => ({ run_id: runId, key: 'late', value: 1, timestamp: 1, step: 0 })],
      ['runs/log-parameter', (runId) => ({ run_id: runId, key: 'late', value: 'x' })],
      [
        'runs/log-batch',
        (runId) => ({ run_id: runId, metrics: [{ key: 'late', value: 1, timestamp: 1 }], params: [{ key: 'p', value: 'v' }] }),
      ],
      ['runs/set-tag', (runId) => ({ run_id: runId, key: 'late', value: 'x' })],
      ['runs/delete-tag', (runId) => ({ run_id: runId, key: 'kept' })],
      ['runs/update', (runId) => ({ run_id: runId, status: 'FINISHED', end_time: 5, run_name: 'late' })],
      [
        'runs/log-inputs',
        (runId) => ({ run_id: runId, datasets: [{ dataset: { name: 'd', digest: '1', source_type: 'local', source: '/data' } }] }),
      ],
    ];

    it.each(writes)('%s on a deleted run answers 400 INVALID_PARAMETER_VALUE and changes nothing', async (path, body) => {
      const runId = await newRun({ tags: [{ key: 'kept', value: 'yes' }] });
      await mlflow.post('runs/delete', { run_id: runId }).expect(200);
      const before = await snapshot(runId, ['late']);
      expectMlflowError(
        await mlflow.post(path, body(runId)),
        400,
        'INVALID_PARAMETER_VALUE',
        new RegExp(`${runId}.*(deleted|'active' state)`),
      );
      expect(await snapshot(runId, ['late'])).toEqual(before);
    });

    it.each(writes)('%s on an unknown run answers 404 RESOURCE_DOES_NOT_EXIST', async (path, body) => {
      const unknown = unknownId('run');
      expectMlflowError(await mlflow.post(path, body(unknown)), 404, 'RESOURCE_DOES_NOT_EXIST', `Run not found: ${unknown}`);
    });

    it('/api/v1 refuses writes to a run deleted through MLflow with 409, in its own envelope', async () => {
      const runId = await newRun();
      await mlflow.post('runs/delete', { run_id: runId }).expect(200);
      const response = await server.http().post(`/api/v1/runs/${runId}/metrics`).send({ key: 'loss', step: 0, value: 1 });
      expectError(response, 409, 'CONFLICT', `run ${runId} is deleted; restore it before writing to it`);
    });
  });

  describe('POST runs/log-metric', () => {
    it('logs a point that get-history, runs/get and /api/v1 all show', async () => {
      const runId = await newRun();
      const response = await mlflow
        .post('runs/log-metric', { run_id: runId, key: 'loss', value: 0.75, timestamp: 1_700_000_000_000, step: 3 })
        .expect(200);
      expect(response.body).toEqual({});
      const point = { key: 'loss', value: 0.75, timestamp: 1_700_000_000_000, step: 3 };
      expect(await mlflow.history(runId, 'loss')).toEqual([point]);
      expect((await mlflow.getRun(runId)).data.metrics).toEqual([point]);
      expect(await v1History(runId, 'loss')).toEqual([{ key: 'loss', step: 3, value: 0.75, timestamp: '2023-11-14T22:13:20.000Z' }]);
    });

    it('defaults step to 0 and timestamp to now', async () => {
      const runId = await newRun();
      const before = Date.now();
      await mlflow.post('runs/log-metric', { run_id: runId, key: 'acc', value: 0.5 }).expect(200);
      const after = Date.now();
      const [point] = await mlflow.history(runId, 'acc');
      expect(point).toEqual({ key: 'acc', value: 0.5, timestamp: expect.any(Number), step: 0 });
      expect(point.timestamp).toBeGreaterThanOrEqual(before);
      expect(point.timestamp).toBeLessThanOrEqual(after);
    });

    it('takes "NaN", "Infinity" and "-Infinity" and gives them back as those strings, never a bare NaN', async () => {
      const runId = await newRun();
      for (const [step, value] of [
        [0, 'NaN'],
        [1, 'Infinity'],
        [2, '-Infinity'],
      ] as const) {
        await mlflow.post('runs/log-metric', { run_id: runId, key: 'odd', value, timestamp: 100 + step, step }).expect(200);
      }
      const history = await mlflow.get('metrics/get-history', { run_id: runId, metric_key: 'odd' }).expect(200);
      expect(strictJson(history)).toEqual({
        metrics: [
          { key: 'odd', value: 'NaN', timestamp: 100, step: 0 },
          { key: 'odd', value: 'Infinity', timestamp: 101, step: 1 },
          { key: 'odd', value: '-Infinity', timestamp: 102, step: 2 },
        ],
      });
      const run = await mlflow.get('runs/get', { run_id: runId }).expect(200);
      expect((strictJson(run) as { run: MlflowRunBody }).run.data.metrics).toEqual([
        { key: 'odd', value: '-Infinity', timestamp: 102, step: 2 },
      ]);
      const v1 = await server.http().get(`/api/v1/runs/${runId}/metrics`).query({ key: 'odd' }).expect(200);
      expect((strictJson(v1) as { metrics: { value: unknown }[] }).metrics.map((point) => point.value)).toEqual([
        'NaN',
        'Infinity',
        '-Infinity',
      ]);
    });

    it('takes int64 fields as numeric strings and a value as a numeric string', async () => {
      const runId = await newRun();
      await mlflow.post('runs/log-metric', { run_id: runId, key: 'm', value: '0.125', timestamp: '1700000000123', step: '12' }).expect(200);
      expect(await mlflow.history(runId, 'm')).toEqual([{ key: 'm', value: 0.125, timestamp: 1_700_000_000_123, step: 12 }]);
    });

    it('stores an exact duplicate once (a retried request never doubles a point), but keeps other points of the step', async () => {
      const runId = await newRun();
      const point = { run_id: runId, key: 'loss', value: 0.5, timestamp: 77, step: 1 };
      await mlflow.post('runs/log-metric', point).expect(200);
      await mlflow.post('runs/log-metric', point).expect(200);
      await mlflow.post('runs/log-metric', { ...point, value: 'NaN' }).expect(200);
      await mlflow.post('runs/log-metric', { ...point, value: 'NaN' }).expect(200);
      await mlflow.post('runs/log-metric', { ...point, value: 0.6 }).expect(200);
      await mlflow.post('runs/log-metric', { ...point, timestamp: 78 }).expect(200);
      // (The order of points that share step and timestamp is the paging tests' concern.)
      const history = await mlflow.history(runId, 'loss');
      expect(history).toHaveLength(4);
      expect(history).toEqual(
        expect.arrayContaining([
          { key: 'loss', value: 'NaN', timestamp: 77, step: 1 },
          { key: 'loss', value: 0.5, timestamp: 77, step: 1 },
          { key: 'loss', value: 0.6, timestamp: 77, step: 1 },
          { key: 'loss', value: 0.5, timestamp: 78, step: 1 },
        ]),
      );
    });

    it.each<[string, object, string | RegExp]>([
      ['no key', { value: 1 }, missingParameter('key')],
      ['a key with ..', { key: '../up', value: 1 }, /^Invalid metric name: '\.\.\/up'/],
      ['a key of 251 characters', { key: 'k'.repeat(251), value: 1 }, /^Invalid metric name: '.*': must be at most 250 characters$/],
      ['no value', { key: 'm' }, missingParameter("value of metric 'm'")],
      ['a value that is not a number', { key: 'm', value: 'abc' }, /^Invalid value "abc" for parameter 'value of metric 'm'' supplied/],
      ['a boolean value', { key: 'm', value: true }, /^Invalid value true for parameter 'value of metric 'm'' supplied/],
      [
        'a step with a fraction',
        { key: 'm', value: 1, step: 1.5 },
        /^Invalid value 1.5 for parameter 'step' supplied: expected an integer/,
      ],
      ['a step that is text', { key: 'm', value: 1, step: 'one' }, /^Invalid value "one" for parameter 'step' supplied/],
      ['a negative timestamp', { key: 'm', value: 1, timestamp: -1 }, "Metric 'm': timestamp must be ≥ 0, got -1"],
    ])('answers 400 INVALID_PARAMETER_VALUE for %s, storing nothing', async (_what, body, message) => {
      const runId = await newRun();
      expectMlflowError(
        await mlflow.post('runs/log-metric', { run_id: runId, timestamp: 5, ...body }),
        400,
        'INVALID_PARAMETER_VALUE',
        message,
      );
      expect((await mlflow.getRun(runId)).data.metrics).toBeUndefined();
    });

    it('answers 400 without a run_id', async () => {
      expectMlflowError(
        await mlflow.post('runs/log-metric', { key: 'm', value: 1, timestamp: 1 }),
        400,
        'INVALID_PARAMETER_VALUE',
        missingParameter('run_id'),
      );
    });
  });

  describe('POST runs/log-parameter', () => {
    it('logs a param that runs/get and /api/v1 show; the same value again is fine', async () => {
      const runId = await newRun();
      const response = await mlflow.post('runs/log-parameter', { run_id: runId, key: 'lr', value: '0.01' }).expect(200);
      expect(response.body).toEqual({});
      await mlflow.post('runs/log-parameter', { run_id: runId, run_uuid: runId, key: 'lr', value: '0.01' }).expect(200);
      expect((await mlflow.getRun(runId)).data.params).toEqual([{ key: 'lr', value: '0.01' }]);
      expect(await v1Params(runId)).toEqual([{ key: 'lr', value: '0.01' }]);
    });

    it("refuses a different value with 400 INVALID_PARAMETER_VALUE and MLflow's message, keeping the first", async () => {
      const runId = await newRun();
      await mlflow.post('runs/log-parameter', { run_id: runId, key: 'lr', value: '0.01' }).expect(200);
      expectMlflowError(
        await mlflow.post('runs/log-parameter', { run_id: runId, key: 'lr', value: '0.02' }),
        400,
        'INVALID_PARAMETER_VALUE',
        `Changing param values is not allowed. Param with key='lr' was already logged with value='0.01' for run ID='${runId}'. ` +
          "Attempted logging new value '0.02'.",
      );
      expect((await mlflow.getRun(runId)).data.params).toEqual([{ key: 'lr', value: '0.01' }]);
    });

    it('stores a number or boolean sent as JSON as its text, and an absent value as ""', async () => {
      const runId = await newRun();
      await mlflow.post('runs/log-parameter', { run_id: runId, key: 'layers', value: 12 }).expect(200);
      await mlflow.post('runs/log-parameter', { run_id: runId, key: 'shuffle', value: true }).expect(200);
      await mlflow.post('runs/log-parameter', { run_id: runId, key: 'note' }).expect(200);
      expect((await mlflow.getRun(runId)).data.params).toEqual([
        { key: 'layers', value: '12' },
        { key: 'note', value: '' },
        { key: 'shuffle', value: 'true' },
      ]);
    });

    it('accepts a value of 6000 characters', async () => {
      const runId = await newRun();
      await mlflow.post('runs/log-parameter', { run_id: runId, key: 'long', value: 'v'.repeat(6000) }).expect(200);
      expect((await mlflow.getRun(runId)).data.params).toEqual([{ key: 'long', value: 'v'.repeat(6000) }]);
    });

    it.each<[string, object, string | RegExp]>([
      ['no key', { value: 'x' }, missingParameter('key')],
      ['an invalid key', { key: 'a b/../c', value: 'x' }, /^Invalid parameter name: 'a b\/\.\.\/c'/],
      [
        'a value of 6001 characters',
        { key: 'long', value: 'v'.repeat(6001) },
        "Param 'long': value must be at most 6000 characters, got 6001",
      ],
      [
        'a value that is an object',
        { key: 'obj', value: { a: 1 } },
        /^Invalid value \{"a":1\} for parameter 'value' supplied: expected a string/,
      ],
    ])('answers 400 INVALID_PARAMETER_VALUE for %s, storing nothing', async (_what, body, message) => {
      const runId = await newRun();
      expectMlflowError(await mlflow.post('runs/log-parameter', { run_id: runId, ...body }), 400, 'INVALID_PARAMETER_VALUE', message);
      expect((await mlflow.getRun(runId)).data.params).toBeUndefined();
    });
  });

  describe('POST runs/log-batch', () => {
    it('stores metrics, params and tags of one request, answering {}', async () => {
      const runId = await newRun({ run_name: 'batch' });
      await mlflow.logBatch(runId, {
        metrics: [
          { key: 'loss', value: 1.5, timestamp: 10, step: 0 },
          { key: 'loss', value: 'NaN', timestamp: 11, step: 1 },
          { key: 'acc', value: '0.5', timestamp: '12', step: '1' },
        ],
        params: [
          { key: 'lr', value: '0.1' },
          { key: 'optimizer', value: 'adam' },
        ],
        tags: [
          { key: 'stage', value: 'a' },
          { key: 'stage', value: 'b' },
        ],
      });
      const run = await mlflow.getRun(runId);
      expect(run.data).toEqual({
        metrics: [
          { key: 'acc', value: 0.5, timestamp: 12, step: 1 },
          { key: 'loss', value: 'NaN', timestamp: 11, step: 1 },
        ],
        params: [
          { key: 'lr', value: '0.1' },
          { key: 'optimizer', value: 'adam' },
        ],
        // The last value of a repeated tag key wins.
        tags: [
          { key: 'mlflow.runName', value: 'batch' },
          { key: 'stage', value: 'b' },
        ],
      });
      expect(await mlflow.history(runId, 'loss')).toEqual([
        { key: 'loss', value: 1.5, timestamp: 10, step: 0 },
        { key: 'loss', value: 'NaN', timestamp: 11, step: 1 },
      ]);
      expect(await v1Params(runId)).toEqual([
        { key: 'lr', value: '0.1' },
        { key: 'optimizer', value: 'adam' },
      ]);
    });

    it('answers {} for an empty batch', async () => {
      const runId = await newRun();
      await mlflow.logBatch(runId, {});
      expect((await mlflow.getRun(runId)).data.metrics).toBeUndefined();
    });

    it('is idempotent: the same batch sent twice (a client retry) stores each point and param once', async () => {
      const runId = await newRun();
      const batch = { metrics: [{ key: 'loss', value: 0.5, timestamp: 5, step: 0 }], params: [{ key: 'lr', value: '0.1' }] };
      await mlflow.logBatch(runId, batch);
      await mlflow.logBatch(runId, batch);
      expect(await mlflow.history(runId, 'loss')).toEqual([{ key: 'loss', value: 0.5, timestamp: 5, step: 0 }]);
      expect((await mlflow.getRun(runId)).data.params).toEqual([{ key: 'lr', value: '0.1' }]);
    });

    it('renames the run when the batch sets mlflow.runName', async () => {
      const runId = await newRun({ run_name: 'old' });
      await mlflow.logBatch(runId, { tags: [{ key: 'mlflow.runName', value: 'new' }] });
      expect((await mlflow.getRun(runId)).info.run_name).toBe('new');
      expect((await v1Run(runId)).name).toBe('new');
    });

    it("accepts batches at MLflow's limits: 1000 metrics; 100 params, 100 tags and 800 metrics", async () => {
      const first = await newRun();
      const thousand = Array.from({ length: 1000 }, (_unused, step) => ({ key: 'm', value: step, timestamp: 1, step }));
      await mlflow.logBatch(first, { metrics: thousand });
      expect(await mlflow.history(first, 'm')).toHaveLength(1000);
      const second = await newRun();
      await mlflow.logBatch(second, {
        metrics: thousand.slice(0, 800),
        params: Array.from({ length: 100 }, (_unused, index) => ({ key: `p${index}`, value: String(index) })),
        tags: Array.from({ length: 100 }, (_unused, index) => ({ key: `t${index}`, value: String(index) })),
      });
      const run = await mlflow.getRun(second);
      expect(run.data.params).toHaveLength(100);
      expect(run.data.tags).toHaveLength(101);
      expect(await mlflow.history(second, 'm')).toHaveLength(800);
    });

    const metric = (step: number) => ({ key: 'm', value: step, timestamp: 1, step });
    const param = (index: number) => ({ key: `p${index}`, value: 'v' });
    const tag = (index: number) => ({ key: `t${index}`, value: 'v' });
    const many = <T>(count: number, of: (index: number) => T): T[] => Array.from({ length: count }, (_unused, index) => of(index));

    it.each<[string, object, RegExp]>([
      [
        '1001 metrics',
        { metrics: many(1001, metric) },
        /^A batch logging request can contain at most 1000 metrics, 100 params and 100 tags; got 1001 metrics/,
      ],
      ['101 params', { params: many(101, param) }, /got 0 metrics, 101 params and 0 tags$/],
      ['101 tags', { tags: many(101, tag) }, /got 0 metrics, 0 params and 101 tags$/],
      [
        '1000 metrics and 1 param (1001 items)',
        { metrics: many(1000, metric), params: many(1, param) },
        /^A batch logging request can contain at most 1000 metrics, params and tags in total$/,
      ],
    ])("answers 400 INVALID_PARAMETER_VALUE for %s (over MLflow's limits), storing nothing", async (_what, batch, message) => {
      const runId = await newRun();
      expectMlflowError(await mlflow.post('runs/log-batch', { run_id: runId, ...batch }), 400, 'INVALID_PARAMETER_VALUE', message);
      const run = await mlflow.getRun(runId);
      expect(run.data.metrics).toBeUndefined();
      expect(run.data.params).toBeUndefined();
      expect(run.data.tags).toEqual([{ key: 'mlflow.runName', value: run.info.run_name }]);
    });

    it('answers 400 for duplicate param keys in one batch, storing nothing', async () => {
      const runId = await newRun();
      const before = await snapshot(runId, ['loss']);
      const response = await mlflow.post('runs/log-batch', {
        run_id: runId,
        metrics: [{ key: 'loss', value: 1, timestamp: 1 }],
        params: [
          { key: 'lr', value: '0.1' },
          { key: 'lr', value: '0.1' },
        ],
        tags: [{ key: 'team', value: 'x' }],
      });
      expectMlflowError(response, 400, 'INVALID_PARAMETER_VALUE', "Duplicate parameter keys have been submitted: 'lr'");
      expect(await snapshot(runId, ['loss'])).toEqual(before);
    });

    describe('is atomic: a batch with one bad entry stores nothing at all', () => {
      const good = {
        metrics: [
          { key: 'loss', value: 0.9, timestamp: 100, step: 0 },
          { key: 'loss', value: 0.8, timestamp: 101, step: 1 },
          { key: 'fresh', value: 1, timestamp: 102, step: 0 },
        ],
        params: [
          { key: 'new_a', value: '1' },
          { key: 'new_b', value: '2' },
        ],
        tags: [
          { key: 'mlflow.runName', value: 'renamed-by-batch' },
          { key: 'added', value: 'yes' },
        ],
      };
      const cases: Array<[string, { metrics?: object[]; params?: object[]; tags?: object[] }, string | RegExp]> = [
        [
          'a metric value that is not a number (last)',
          { metrics: [...good.metrics, { key: 'loss', value: 'high', timestamp: 1 }] },
          /^Invalid value "high"/,
        ],
        ['a metric without a key', { metrics: [{ value: 1, timestamp: 1 }, ...good.metrics] }, missingParameter('key')],
        [
          'a param whose value changes an existing one (last)',
          { params: [...good.params, { key: 'existing', value: 'changed' }] },
          /^Changing param values is not allowed/,
        ],
        [
          'a param value of 6001 characters',
          { params: [...good.params, { key: 'huge', value: 'x'.repeat(6001) }] },
          /^Param 'huge': value must be at most 6000/,
        ],
        ['a tag with an invalid key (last)', { tags: [...good.tags, { key: 'bad//key', value: 'x' }] }, /^Invalid tag name: 'bad\/\/key'/],
        [
          'a tag value of 8001 characters',
          { tags: [...good.tags, { key: 'huge', value: 'x'.repeat(8001) }] },
          /^Tag 'huge': value must be at most 8000/,
        ],
      ];

      it.each(cases)('%s', async (_what, bad, message) => {
        const runId = await newRun({ run_name: 'atomic', tags: [{ key: 'existing-tag', value: 'kept' }] });
        await mlflow.logBatch(runId, {
          metrics: [{ key: 'loss', value: 1, timestamp: 50, step: 0 }],
          params: [{ key: 'existing', value: 'original' }],
        });
        const keys = ['loss', 'fresh'];
        const before = await snapshot(runId, keys);
        const response = await mlflow.post('runs/log-batch', { run_id: runId, ...good, ...bad });
        expectMlflowError(response, 400, 'INVALID_PARAMETER_VALUE', message);
        expect(await snapshot(runId, keys)).toEqual(before);
        expect((await v1Run(runId)).name).toBe('atomic');
        // The good part alone goes through afterwards: nothing was left half-written to collide with.
        await mlflow.logBatch(runId, good);
        const after = await mlflow.getRun(runId);
        expect(after.info.run_name).toBe('renamed-by-batch');
        expect(await mlflow.history(runId, 'loss')).toHaveLength(3);
      });
    });
  });

  describe('POST runs/set-tag and runs/delete-tag', () => {
    it('sets a tag, overwrites it and deletes it', async () => {
      const runId = await newRun({ run_name: 'tags' });
      const set = await mlflow.post('runs/set-tag', { run_id: runId, key: 'note', value: 'first' }).expect(200);
      expect(set.body).toEqual({});
      await mlflow.post('runs/set-tag', { run_uuid: runId, key: 'note', value: 'second' }).expect(200);
      await mlflow.post('runs/set-tag', { run_id: runId, key: 'blank' }).expect(200);
      expect((await mlflow.getRun(runId)).data.tags).toEqual([
        { key: 'blank', value: '' },
        { key: 'mlflow.runName', value: 'tags' },
        { key: 'note', value: 'second' },
      ]);
      const deleted = await mlflow.post('runs/delete-tag', { run_id: runId, key: 'note' }).expect(200);
      expect(deleted.body).toEqual({});
      expect((await mlflow.getRun(runId)).data.tags).toEqual([
        { key: 'blank', value: '' },
        { key: 'mlflow.runName', value: 'tags' },
      ]);
    });

    it('refuses an mlflow.runName tag longer than a run name may be, and keeps the name', async () => {
      const runId = await newRun({ run_name: 'short-name' });
      const response = await mlflow.post('runs/set-tag', { run_id: runId, key: 'mlflow.runName', value: 'n'.repeat(251) });
      expectMlflowError(response, 400, 'INVALID_PARAMETER_VALUE', /at most 250 characters/);
      expect((await mlflow.getRun(runId)).info.run_name).toBe('short-name');
    });

    it('renames the run, in MLflow and in /api/v1, when mlflow.runName is set', async () => {
      const runId = await newRun({ run_name: 'first-name' });
      await mlflow.post('runs/set-tag', { run_id: runId, key: 'mlflow.runName', value: 'second-name' }).expect(200);
      const run = await mlflow.getRun(runId);
      expect(run.info.run_name).toBe('second-name');
      expect(run.data.tags).toEqual([{ key: 'mlflow.runName', value: 'second-name' }]);
      expect((await v1Run(runId)).name).toBe('second-name');
    });

    it('accepts a tag value of 8000 characters', async () => {
      const runId = await newRun();
      await mlflow.post('runs/set-tag', { run_id: runId, key: 'long', value: 'v'.repeat(8000) }).expect(200);
      expect((await mlflow.getRun(runId)).data.tags).toContainEqual({ key: 'long', value: 'v'.repeat(8000) });
    });

    it.each<[string, object, string | RegExp]>([
      ['no key', { value: 'x' }, missingParameter('key')],
      ['an invalid key', { key: 'semi;colon', value: 'x' }, /^Invalid tag name: 'semi;colon'/],
      [
        'a value of 8001 characters',
        { key: 'long', value: 'v'.repeat(8001) },
        "Tag 'long': value must be at most 8000 characters, got 8001",
      ],
    ])('set-tag answers 400 INVALID_PARAMETER_VALUE for %s, setting nothing', async (_what, body, message) => {
      const runId = await newRun();
      const before = await mlflow.getRun(runId);
      expectMlflowError(await mlflow.post('runs/set-tag', { run_id: runId, ...body }), 400, 'INVALID_PARAMETER_VALUE', message);
      expect(await mlflow.getRun(runId)).toEqual(before);
    });

    it('delete-tag answers 404 RESOURCE_DOES_NOT_EXIST for a tag that is not there, and 400 without a key', async () => {
      const runId = await newRun();
      expectMlflowError(
        await mlflow.post('runs/delete-tag', { run_id: runId, key: 'missing' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
        `No tag with name: missing in run with id ${runId}`,
      );
      expectMlflowError(await mlflow.post('runs/delete-tag', { run_id: runId }), 400, 'INVALID_PARAMETER_VALUE', missingParameter('key'));
    });
  });

  describe('POST runs/log-inputs', () => {
    const dataset = { name: 'mnist', digest: 'd1', source_type: 'local', source: '/data/mnist' };

    it('records datasets that runs/get then lists in inputs.dataset_inputs, once each', async () => {
      const runId = await newRun();
      const body = {
        run_id: runId,
        datasets: [
          { tags: [{ key: 'mlflow.data.context', value: 'train' }], dataset },
          { dataset: { ...dataset, name: 'mnist-test', digest: 'd2', profile: '{"rows":10}' } },
        ],
      };
      const response = await mlflow.post('runs/log-inputs', body).expect(200);
      expect(response.body).toEqual({});
      await mlflow.post('runs/log-inputs', body).expect(200);
      expect((await mlflow.getRun(runId)).inputs).toEqual({
        dataset_inputs: [
          { tags: [{ key: 'mlflow.data.context', value: 'train' }], dataset },
          { dataset: { ...dataset, name: 'mnist-test', digest: 'd2', profile: '{"rows":10}' } },
        ],
      });
    });

    it("accepts values at MLflow's limits (digest 36, name 500, input tag 255/500 characters)", async () => {
      const runId = await newRun();
      const input = {
        tags: [{ key: 'k'.repeat(255), value: 'v'.repeat(500) }],
        dataset: { ...dataset, name: 'n'.repeat(500), digest: 'd'.repeat(36) },
      };
      await mlflow.post('runs/log-inputs', { run_id: runId, datasets: [input] }).expect(200);
      expect((await mlflow.getRun(runId)).inputs).toEqual({ dataset_inputs: [input] });
    });

    it('lets two runs of an experiment use the same dataset', async () => {
      const first = await newRun();
      const second = await newRun();
      for (const runId of [first, second]) {
        await mlflow.post('runs/log-inputs', { run_id: runId, datasets: [{ dataset }] }).expect(200);
        expect((await mlflow.getRun(runId)).inputs).toEqual({ dataset_inputs: [{ dataset }] });
      }
    });

    it.each<[string, object, string | RegExp]>([
      ['an input without a dataset', { datasets: [{ tags: [] }] }, "Missing value for required parameter 'datasets.dataset'"],
      ['a dataset without a digest', { datasets: [{ dataset: { name: 'n', source_type: 's', source: 'x' } }] }, missingParameter('digest')],
      ['datasets that are not a list', { datasets: 'mnist' }, /^Invalid value "mnist" for parameter 'datasets' supplied: expected a list/],
      [
        'a digest of 37 characters',
        { datasets: [{ dataset: { ...dataset, digest: 'd'.repeat(37) } }] },
        'Dataset digest: must be at most 36 characters, got 37',
      ],
      [
        'a dataset name of 501 characters',
        { datasets: [{ dataset: { ...dataset, name: 'n'.repeat(501) } }] },
        'Dataset name: must be at most 500 characters, got 501',
      ],
      [
        'an input tag value of 501 characters',
        { datasets: [{ dataset, tags: [{ key: 'mlflow.data.context', value: 'v'.repeat(501) }] }] },
        "Input tag 'mlflow.data.context' value: must be at most 500 characters, got 501",
      ],
      [
        'an input tag key of 256 characters',
        { datasets: [{ dataset, tags: [{ key: 'k'.repeat(256), value: 'v' }] }] },
        'Input tag key: must be at most 255 characters, got 256',
      ],
      [
        'one bad dataset after a good one',
        { datasets: [{ dataset }, { dataset: { ...dataset, name: 'other', digest: 'x'.repeat(37) } }] },
        'Dataset digest: must be at most 36 characters, got 37',
      ],
    ])('answers 400 INVALID_PARAMETER_VALUE for %s, recording nothing', async (_what, body, message) => {
      const runId = await newRun();
      expectMlflowError(await mlflow.post('runs/log-inputs', { run_id: runId, ...body }), 400, 'INVALID_PARAMETER_VALUE', message);
      expect((await mlflow.getRun(runId)).inputs).toEqual({});
    });
  });

  describe('GET metrics/get-history', () => {
    /** 23 points on steps 0..20, with two extra points on step 10 (different timestamp, different value). */
    async function runWithHistory(): Promise<{ runId: string; points: MlflowMetricBody[] }> {
      const runId = await newRun();
      const metrics = Array.from({ length: 21 }, (_unused, step) => ({ key: 'loss', value: 1 / (step + 1), timestamp: 1000 + step, step }));
      metrics.push({ key: 'loss', value: 0.5, timestamp: 1010, step: 10 }, { key: 'loss', value: 0.25, timestamp: 999, step: 10 });
      await mlflow.logBatch(runId, { metrics });
      const points = [...metrics].sort((a, b) => a.step - b.step || a.timestamp - b.timestamp || a.value - b.value);
      return { runId, points };
    }

    it('answers the whole history in step order when max_results is absent, without a next_page_token', async () => {
      const { runId, points } = await runWithHistory();
      const response = await mlflow.get('metrics/get-history', { run_id: runId, metric_key: 'loss' }).expect(200);
      expect(response.body).toEqual({ metrics: points });
    });

    it('pages through the history with max_results and page_token, with no gap and no duplicate', async () => {
      const { runId, points } = await runWithHistory();
      const pages: MlflowMetricBody[][] = [];
      let token: string | undefined;
      do {
        const fields: Record<string, string | number> = { run_id: runId, metric_key: 'loss', max_results: 5 };
        if (token !== undefined) {
          fields.page_token = token;
        }
        const response = await mlflow.get('metrics/get-history', fields).expect(200);
        pages.push(response.body.metrics as MlflowMetricBody[]);
        token = response.body.next_page_token as string | undefined;
        expect(pages.length).toBeLessThan(10);
      } while (token !== undefined);
      expect(pages.map((page) => page.length)).toEqual([5, 5, 5, 5, 3]);
      expect(pages.flat()).toEqual(points);
    });

    it('pages without a gap or a repeat through NaN, ±Infinity and negative values logged on one step', async () => {
      const runId = await newRun();
      const values = [0.5, 'NaN', -1, 'Infinity', 0.6, '-Infinity', 0];
      await mlflow.logBatch(runId, { metrics: values.map((value) => ({ key: 'odd', value, timestamp: 77, step: 1 })) });
      const whole = await mlflow.history(runId, 'odd');
      expect(whole).toHaveLength(values.length);
      for (const pageSize of [1, 2, 3]) {
        const seen: MlflowMetricBody[] = [];
        let token: string | undefined;
        do {
          const fields: Record<string, string | number> = { run_id: runId, metric_key: 'odd', max_results: pageSize };
          if (token !== undefined) {
            fields.page_token = token;
          }
          const response = await mlflow.get('metrics/get-history', fields).expect(200);
          seen.push(...((response.body.metrics ?? []) as MlflowMetricBody[]));
          token = response.body.next_page_token as string | undefined;
          expect(seen.length).toBeLessThanOrEqual(values.length + pageSize);
        } while (token !== undefined);
        expect([pageSize, seen]).toEqual([pageSize, whole]);
      }
      expect(whole.map((point) => point.value)).toEqual(expect.arrayContaining(values));
    });

    it('answers one page without a token when max_results covers the history (max_results as a string too)', async () => {
      const { runId, points } = await runWithHistory();
      const exact = await mlflow.get('metrics/get-history', { run_id: runId, metric_key: 'loss', max_results: '23' }).expect(200);
      expect(exact.body).toEqual({ metrics: points });
      const bigger = await mlflow.get('metrics/get-history', { run_id: runId, metric_key: 'loss', max_results: 25000 }).expect(200);
      expect(bigger.body).toEqual({ metrics: points });
    });

    it('gives back every value bit for bit, extremes included, under any valid key', async () => {
      const runId = await newRun();
      const key = 'eval/top-1 acc.v_2';
      const values = [1e-7, 5e-324, 1.7976931348623157e308, -2.5e-300, 0.1 + 0.2, 123456789.12345679, -1, 1e21];
      await mlflow.logBatch(runId, { metrics: values.map((value, step) => ({ key, value, timestamp: 5, step })) });
      const response = await mlflow.get('metrics/get-history', { run_id: runId, metric_key: key, max_results: 5 }).expect(200);
      expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(response.body.metrics).toEqual(values.slice(0, 5).map((value, step) => ({ key, value, timestamp: 5, step })));
      expect(await mlflow.history(runId, key)).toEqual(values.map((value, step) => ({ key, value, timestamp: 5, step })));
    });

    it('accepts run_uuid for run_id, and reads the history of a deleted run', async () => {
      const { runId, points } = await runWithHistory();
      await mlflow.post('runs/delete', { run_id: runId }).expect(200);
      const response = await mlflow.get('metrics/get-history', { run_uuid: runId, metric_key: 'loss' }).expect(200);
      expect(response.body).toEqual({ metrics: points });
    });

    it('answers {} for a key the run never logged', async () => {
      const runId = await newRun();
      const response = await mlflow.get('metrics/get-history', { run_id: runId, metric_key: 'never' }).expect(200);
      expect(response.body).toEqual({});
    });

    it('answers 404 for an unknown run and 400 for a missing key, max_results 0 or a bad page_token', async () => {
      const unknown = unknownId('run');
      expectMlflowError(
        await mlflow.get('metrics/get-history', { run_id: unknown, metric_key: 'loss' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
        `Run not found: ${unknown}`,
      );
      const runId = await newRun();
      expectMlflowError(
        await mlflow.get('metrics/get-history', { run_id: runId }),
        400,
        'INVALID_PARAMETER_VALUE',
        missingParameter('metric_key'),
      );
      expectMlflowError(
        await mlflow.get('metrics/get-history', { run_id: runId, metric_key: 'loss', max_results: 0 }),
        400,
        'INVALID_PARAMETER_VALUE',
        'max_results: must be a positive integer, got 0',
      );
      const badToken = await mlflow.get('metrics/get-history', { run_id: runId, metric_key: 'loss', page_token: 'not-a-token' });
      expectMlflowError(badToken, 400, 'INVALID_PARAMETER_VALUE', /page_token/);
    });
  });

  describe('GET metrics/get-history-bulk-interval', () => {
    async function runWithSteps(steps: readonly number[], key = 'loss'): Promise<string> {
      const runId = await newRun();
      await mlflow.logBatch(runId, { metrics: steps.map((step) => ({ key, value: step * 10, timestamp: 500 + step, step })) });
      return runId;
    }
    const range = (count: number): number[] => Array.from({ length: count }, (_unused, index) => index);

    it('answers the histories of several runs (run_ids repeated in the query), each point naming its run', async () => {
      const first = await runWithSteps([0, 1, 2]);
      const second = await runWithSteps([5, 6]);
      const response = await mlflow.get('metrics/get-history-bulk-interval', { run_ids: [first, second], metric_key: 'loss' }).expect(200);
      expect(response.body).toEqual({
        metrics: [
          { key: 'loss', value: 0, timestamp: 500, step: 0, run_id: first },
          { key: 'loss', value: 10, timestamp: 501, step: 1, run_id: first },
          { key: 'loss', value: 20, timestamp: 502, step: 2, run_id: first },
          { key: 'loss', value: 50, timestamp: 505, step: 5, run_id: second },
          { key: 'loss', value: 60, timestamp: 506, step: 6, run_id: second },
        ],
      });
    });

    it('keeps only the steps from start_step to end_step, both included', async () => {
      const runId = await runWithSteps(range(10));
      const response = await mlflow
        .get('metrics/get-history-bulk-interval', { run_ids: runId, metric_key: 'loss', start_step: 3, end_step: 5 })
        .expect(200);
      expect((response.body.metrics as MlflowMetricBody[]).map((point) => point.step)).toEqual([3, 4, 5]);
    });

    it('thins a long history to max_results points per run, keeping the first and the last', async () => {
      const first = await runWithSteps(range(101));
      const second = await runWithSteps(range(37));
      for (const maxResults of [2, 10, 36, 37]) {
        const response = await mlflow
          .get('metrics/get-history-bulk-interval', { run_ids: [first, second], metric_key: 'loss', max_results: maxResults })
          .expect(200);
        const points = response.body.metrics as MlflowMetricBody[];
        for (const [runId, last] of [
          [first, 100],
          [second, 36],
        ] as const) {
          const steps = points.filter((point) => point.run_id === runId).map((point) => point.step);
          expect([maxResults, steps.length]).toEqual([maxResults, Math.min(maxResults, last + 1)]);
          expect(steps[0]).toBe(0);
          expect(steps[steps.length - 1]).toBe(last);
          // In step order, without repeats.
          expect(steps).toEqual([...new Set(steps)].sort((a, b) => a - b));
        }
      }
    });

    it('spreads the kept points evenly over the history', async () => {
      const runId = await runWithSteps(range(101));
      const response = await mlflow
        .get('metrics/get-history-bulk-interval', { run_ids: runId, metric_key: 'loss', max_results: 11 })
        .expect(200);
      expect((response.body.metrics as MlflowMetricBody[]).map((point) => point.step)).toEqual([
        0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100,
      ]);
    });

    it('thins within the step range, counting every point of a step and showing NaN as "NaN"', async () => {
      const runId = await newRun();
      const metrics = range(101).map((step) => ({ key: 'loss', value: step === 40 ? 'NaN' : step, timestamp: 1000 + step, step }));
      // A second point on step 20: positions count points, not steps.
      metrics.push({ key: 'loss', value: 20.5, timestamp: 2000, step: 20 });
      await mlflow.logBatch(runId, { metrics });
      const response = await mlflow
        .get('metrics/get-history-bulk-interval', { run_ids: runId, metric_key: 'loss', start_step: 10, end_step: 60, max_results: 6 })
        .expect(200);
      // 52 points in range (steps 10..60, two on step 20): positions 0, 10, 20, 31, 41, 51.
      expect(response.body).toEqual({
        metrics: [
          { key: 'loss', value: 10, timestamp: 1010, step: 10, run_id: runId },
          { key: 'loss', value: 20, timestamp: 1020, step: 20, run_id: runId },
          { key: 'loss', value: 29, timestamp: 1029, step: 29, run_id: runId },
          { key: 'loss', value: 'NaN', timestamp: 1040, step: 40, run_id: runId },
          { key: 'loss', value: 50, timestamp: 1050, step: 50, run_id: runId },
          { key: 'loss', value: 60, timestamp: 1060, step: 60, run_id: runId },
        ],
      });
    });

    it('skips a run that never logged the key', async () => {
      const logged = await runWithSteps([1]);
      const silent = await newRun();
      const response = await mlflow.get('metrics/get-history-bulk-interval', { run_ids: [silent, logged], metric_key: 'loss' }).expect(200);
      expect(response.body).toEqual({ metrics: [{ key: 'loss', value: 10, timestamp: 501, step: 1, run_id: logged }] });
      const none = await mlflow.get('metrics/get-history-bulk-interval', { run_ids: silent, metric_key: 'loss' }).expect(200);
      expect(none.body).toEqual({});
    });

    it('takes up to 100 run_ids and answers 400 for 101', async () => {
      const runId = await runWithSteps([0]);
      const hundred = Array.from({ length: 100 }, () => runId);
      await mlflow.get('metrics/get-history-bulk-interval', { run_ids: hundred, metric_key: 'loss' }).expect(200);
      expectMlflowError(
        await mlflow.get('metrics/get-history-bulk-interval', { run_ids: [...hundred, runId], metric_key: 'loss' }),
        400,
        'INVALID_PARAMETER_VALUE',
        'run_ids: at most 100 runs, got 101',
      );
    });

    it('answers every run of 25 and of 100 distinct run_ids, with metric_key after them in the query', async () => {
      const runs: string[] = [];
      for (let index = 0; index < 100; index++) {
        const runId = await newRun();
        await mlflow.logBatch(runId, { metrics: [{ key: 'loss', value: index, timestamp: 700, step: 0 }] });
        runs.push(runId);
      }
      for (const count of [25, 100]) {
        const response = await mlflow
          .get('metrics/get-history-bulk-interval', { run_ids: runs.slice(0, count), metric_key: 'loss' })
          .expect(200);
        expect(response.body.metrics).toEqual(
          runs.slice(0, count).map((runId, index) => ({ key: 'loss', value: index, timestamp: 700, step: 0, run_id: runId })),
        );
      }
    });

    it('reads metric_key after 1000 run_ids and more (no query-key cap), refusing the run_ids by their count', async () => {
      // Short ids, so that 1100 of them fit in Node's 16 KiB request head; the server reads
      // the ids as given (none of these runs exists: the count is checked first).
      for (const count of [999, 1000, 1100]) {
        const runIds = Array.from({ length: count }, (_unused, index) => String(index));
        expectMlflowError(
          await mlflow.get('metrics/get-history-bulk-interval', { run_ids: runIds, metric_key: 'loss' }),
          400,
          'INVALID_PARAMETER_VALUE',
          `run_ids: at most 100 runs, got ${count}`,
        );
      }
    });

    it('takes max_results from 1 to 2500', async () => {
      const runId = await runWithSteps([0, 1, 2]);
      await mlflow.get('metrics/get-history-bulk-interval', { run_ids: runId, metric_key: 'loss', max_results: 2500 }).expect(200);
      // One point per run: the last, where the series ended.
      const one = await mlflow.get('metrics/get-history-bulk-interval', { run_ids: runId, metric_key: 'loss', max_results: 1 }).expect(200);
      expect(one.body).toEqual({ metrics: [{ key: 'loss', value: 20, timestamp: 502, step: 2, run_id: runId }] });
      for (const maxResults of [0, 2501]) {
        expectMlflowError(
          await mlflow.get('metrics/get-history-bulk-interval', { run_ids: runId, metric_key: 'loss', max_results: maxResults }),
          400,
          'INVALID_PARAMETER_VALUE',
          `max_results: must be between 1 and 2500, got ${maxResults}`,
        );
      }
    });

    it.each<[string, Record<string, string | number>, string]>([
      ['start_step without end_step', { start_step: 1 }, 'start_step and end_step must be given together'],
      ['end_step without start_step', { end_step: 1 }, 'start_step and end_step must be given together'],
      ['start_step after end_step', { start_step: 5, end_step: 4 }, 'start_step (5) must not be greater than end_step (4)'],
      ['no metric_key', { metric_key: '' }, missingParameter('metric_key')],
    ])('answers 400 INVALID_PARAMETER_VALUE for %s', async (_what, fields, message) => {
      const runId = await runWithSteps([0]);
      expectMlflowError(
        await mlflow.get('metrics/get-history-bulk-interval', { run_ids: runId, metric_key: 'loss', ...fields }),
        400,
        'INVALID_PARAMETER_VALUE',
        message,
      );
    });

    it('answers 400 without run_ids and 404 for an unknown run', async () => {
      expectMlflowError(
        await mlflow.get('metrics/get-history-bulk-interval', { metric_key: 'loss' }),
        400,
        'INVALID_PARAMETER_VALUE',
        "Missing value for required parameter 'run_ids'.",
      );
      const known = await runWithSteps([0]);
      const unknown = unknownId('run');
      expectMlflowError(
        await mlflow.get('metrics/get-history-bulk-interval', { run_ids: [known, unknown], metric_key: 'loss' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
        `Run not found: ${unknown}`,
      );
    });
  });

  describe("GET /ajax-api/2.0/mlflow/metrics/get-history-bulk (the UI's)", () => {
    const ajax = () => mlflowApi(server.http, { base: '/ajax-api/2.0/mlflow' });
    async function runWithPoints(points: readonly { value: number | string; step: number; timestamp: number }[]): Promise<string> {
      const runId = await newRun();
      await mlflow.logBatch(runId, { metrics: points.map((point) => ({ key: 'loss', ...point })) });
      return runId;
    }

    it("answers each run's history as get-history reads it, runs in id order, each point naming its run", async () => {
      const first = await runWithPoints([
        { value: 3, step: 2, timestamp: 10 },
        { value: 'NaN', step: 0, timestamp: 30 },
        { value: 1, step: 1, timestamp: 20 },
      ]);
      const second = await runWithPoints([{ value: 7, step: 5, timestamp: 1 }]);
      const silent = await newRun();
      const response = await ajax()
        .get('metrics/get-history-bulk', { run_id: [second, silent, first, second], metric_key: 'loss' })
        .expect(200);
      const expected: MlflowMetricBody[] = [];
      for (const runId of [first, second].sort()) {
        expected.push(...(await mlflow.history(runId, 'loss')).map((point) => ({ ...point, run_id: runId })));
      }
      expect(expected).toHaveLength(4);
      expect(response.body).toEqual({ metrics: expected });
    });

    it('answers {"metrics": []} when no run logged the key', async () => {
      const runId = await newRun();
      const response = await ajax().get('metrics/get-history-bulk', { run_id: runId, metric_key: 'loss' }).expect(200);
      expect(response.body).toEqual({ metrics: [] });
    });

    it('stops at max_results points in all, taking the runs in id order', async () => {
      const steps = new Map<string, number[]>();
      for (const count of [3, 2]) {
        const runSteps = Array.from({ length: count }, (_unused, step) => step);
        steps.set(await runWithPoints(runSteps.map((step) => ({ value: step, step, timestamp: 100 + step }))), runSteps);
      }
      const runs = [...steps.keys()].sort();
      const all = (await ajax().get('metrics/get-history-bulk', { run_id: runs, metric_key: 'loss' }).expect(200)).body
        .metrics as MlflowMetricBody[];
      expect(all.map((point) => [point.run_id, point.step])).toEqual(
        runs.flatMap((runId) => (steps.get(runId) as number[]).map((step) => [runId, step])),
      );
      for (const maxResults of [1, 3, 4, 5, 25_000, 30_000]) {
        const response = await ajax()
          .get('metrics/get-history-bulk', { run_id: runs, metric_key: 'loss', max_results: maxResults })
          .expect(200);
        expect([maxResults, response.body.metrics]).toEqual([maxResults, all.slice(0, maxResults)]);
      }
    });

    it("takes 100 run_ids and refuses 101, none, no metric_key and a max_results below 1, in MLflow's words", async () => {
      const runId = await runWithPoints([{ value: 1, step: 0, timestamp: 5 }]);
      const hundred = Array.from({ length: 100 }, () => runId);
      const ok = await ajax().get('metrics/get-history-bulk', { run_id: hundred, metric_key: 'loss' }).expect(200);
      expect(ok.body).toEqual({ metrics: [{ key: 'loss', value: 1, timestamp: 5, step: 0, run_id: runId }] });
      expectMlflowError(
        await ajax().get('metrics/get-history-bulk', { run_id: [...hundred, runId], metric_key: 'loss' }),
        400,
        'INVALID_PARAMETER_VALUE',
        'GetMetricHistoryBulk request cannot specify more than 100 run_ids. Received 101 run_ids.',
      );
      expectMlflowError(
        await ajax().get('metrics/get-history-bulk', { metric_key: 'loss' }),
        400,
        'INVALID_PARAMETER_VALUE',
        'GetMetricHistoryBulk request must specify at least one run_id.',
      );
      expectMlflowError(
        await ajax().get('metrics/get-history-bulk', { run_id: runId }),
        400,
        'INVALID_PARAMETER_VALUE',
        'GetMetricHistoryBulk request must specify a metric_key.',
      );
      expectMlflowError(
        await ajax().get('metrics/get-history-bulk', { run_id: runId, metric_key: 'loss', max_results: 0 }),
        400,
        'INVALID_PARAMETER_VALUE',
        'max_results: must be a positive integer, got 0',
      );
    });

    it('answers 404 for an unknown run, as get-history does', async () => {
      const unknown = unknownId('run');
      expectMlflowError(
        await ajax().get('metrics/get-history-bulk', { run_id: unknown, metric_key: 'loss' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
        `Run not found: ${unknown}`,
      );
    });
  });

  describe('runs/search (smoke test; the search suite covers the grammar)', () => {
    it('finds the runs of an experiment with POST, as MLflow clients send it', async () => {
      const experiment = await mlflow.createExperiment();
      const run = await mlflow.createRun(experiment, { run_name: 'findable' });
      const response = await mlflow
        .post('runs/search', { experiment_ids: [experiment], filter: "attributes.run_name = 'findable'" })
        .expect(200);
      expect(response.body).toEqual({ runs: [await mlflow.getRun(run.info.run_id)] });
    });
  });
});
