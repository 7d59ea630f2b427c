import { DomainError, InvalidRequestError } from '../../src/common/errors.js';
import { SqlClient } from '../../src/database/sql-client.js';
import { ExperimentsService } from '../../src/modules/experiments/experiments.service.js';
import { MetricStore } from '../../src/modules/metrics/metric.store.js';
import { ParamsService } from '../../src/modules/params/params.service.js';
import { RunsService } from '../../src/modules/runs/runs.service.js';
import type { RunSearchRequest } from '../../src/modules/runs/search/run-search.js';
import { uniqueName } from '../support/factories.js';
import { startTestApp, TestApp } from '../support/test-app.js';

/**
 * RunsService.searchRuns (MLflow's SearchRuns) against the real database under test (SQLite or
 * PostgreSQL per ENTRENAR_TEST_DB), with data seeded through the app's own services; what no
 * service writes yet (tags, user, start times, deletion) is set with plain SQL.
 */

type Status = 'pending' | 'running' | 'success' | 'failed' | 'cancelled';

interface SeedRun {
  name: string;
  status: Status;
  startedAt: number | null;
  user?: string;
  params?: Record<string, string>;
  /** null = NaN. */
  metrics?: Record<string, number | null>;
  tags?: Record<string, string>;
  deleted?: boolean;
}

/** Experiment A's runs, by label; started_at sets the default order (start_time DESC, missing last). */
const RUNS_A: Record<string, SeedRun> = {
  r1: {
    name: 'bert-base',
    status: 'success',
    startedAt: 1000,
    user: 'alice',
    params: { lr: '0.01', optimizer: 'Adam' },
    metrics: { acc: 0.9, loss: 0.1 },
    tags: { team: 'NLP', 'mlflow.user': 'alice' },
  },
  r2: {
    name: 'bert-large',
    status: 'failed',
    startedAt: 2000,
    user: 'bob',
    params: { lr: '0.001', optimizer: 'adam' },
    metrics: { acc: 0.7, loss: null },
    tags: { team: 'nlp' },
  },
  r3: { name: 'resnet', status: 'running', startedAt: 3000, params: { lr: '0.01' }, metrics: { acc: null }, tags: { team: 'vision' } },
  r4: { name: 'vit_100%', status: 'pending', startedAt: null },
  r5: {
    name: 'Bert-tiny',
    status: 'cancelled',
    startedAt: 4000,
    params: { lr: '0.1', optimizer: "a' OR 1=1 --" },
    metrics: { acc: 0.5 },
  },
  r6: { name: 'deleted-bert', status: 'success', startedAt: 5000, params: { lr: '0.01' }, metrics: { acc: 0.99 }, deleted: true },
};

describe('run search (MLflow SearchRuns) on the database under test', () => {
  let server: TestApp;
  let runs: RunsService;
  let sql: SqlClient;
  let experimentA: string;
  let experimentB: string;
  /** label → public run id */
  const ids: Record<string, string> = {};
  const labelOf = new Map<string, string>();

  async function seedRun(experimentId: string, label: string, seed: SeedRun): Promise<void> {
    const created = await runs.create({ experiment_id: experimentId, name: seed.name });
    if (seed.status !== 'pending') {
      if (seed.status !== 'cancelled') {
        await runs.start(created.id);
      }
      if (seed.status !== 'running') {
        await runs.complete(created.id, { status: seed.status });
      }
    }
    const target = await runs.requireReadable(created.id);
    for (const [key, value] of Object.entries(seed.params ?? {})) {
      await server.app.get(ParamsService).logParam(created.id, { key, value });
    }
    const points = Object.entries(seed.metrics ?? {}).map(([key, value]) => ({
      key,
      step: 0,
      timestamp: 1,
      value: value ?? 0,
      isNan: value === null,
    }));
    await server.app.get(MetricStore).appendPoints(target.id, points);
    for (const [key, value] of Object.entries(seed.tags ?? {})) {
      await sql.execute('INSERT INTO run_tags (run_id, key, value) VALUES (?, ?, ?)', [target.id, key, value]);
    }
    await sql.execute('UPDATE runs SET started_at = ?, ended_at = ?, user_id = ?, lifecycle_stage = ? WHERE id = ?', [
      seed.startedAt,
      seed.startedAt === null ? null : seed.startedAt + 500,
      seed.user ?? null,
      seed.deleted ? 'deleted' : 'active',
      target.id,
    ]);
    ids[label] = created.id;
    labelOf.set(created.id, label);
  }

  beforeAll(async () => {
    server = await startTestApp();
    runs = server.app.get(RunsService);
    sql = server.app.get(SqlClient);
    const experiments = server.app.get(ExperimentsService);
    experimentA = (await experiments.create({ name: uniqueName('search-a') })).id;
    experimentB = (await experiments.create({ name: uniqueName('search-b') })).id;
    for (const [label, seed] of Object.entries(RUNS_A)) {
      await seedRun(experimentA, label, seed);
    }
    await seedRun(experimentB, 'rb', {
      name: 'bert-other',
      status: 'success',
      startedAt: 6000,
      params: { lr: '0.01' },
      metrics: { acc: 0.95 },
    });
  });
  afterAll(() => server.close());

  /** The labels of one page of a search in experiment A (active runs unless asked otherwise). */
  async function search(request: Partial<RunSearchRequest> = {}): Promise<string[]> {
    const page = await runs.searchRuns({ experimentIds: [experimentA], viewType: 'ACTIVE_ONLY', ...request });
    expect(page.nextPageToken).toBeUndefined();
    return page.runs.map((run) => labelOf.get(run.public_id) ?? run.public_id);
  }

  async function filtered(filter: string, orderBy?: string[]): Promise<string[]> {
    return search({ filter, orderBy });
  }

  async function searchError(request: Partial<RunSearchRequest>): Promise<DomainError> {
    const error = await runs.searchRuns({ experimentIds: [experimentA], viewType: 'ACTIVE_ONLY', ...request }).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(DomainError);
    return error as DomainError;
  }

  describe('scope', () => {
    it('returns whole run rows, newest start first, runs never started last', async () => {
      const page = await runs.searchRuns({ experimentIds: [experimentA], viewType: 'ACTIVE_ONLY' });
      expect(page.runs.map((run) => labelOf.get(run.public_id))).toEqual(['r5', 'r3', 'r2', 'r1', 'r4']);
      expect(page.runs[3]).toMatchObject({
        public_id: ids.r1,
        name: 'bert-base',
        status: 'success',
        lifecycle_stage: 'active',
        user_id: 'alice',
        started_at: 1000,
        ended_at: 1500,
      });
      expect(typeof page.runs[3].id).toBe('number');
    });

    it('searches several experiments at once; unknown experiment ids match nothing', async () => {
      expect(await search({ experimentIds: [experimentA, experimentB] })).toEqual(['rb', 'r5', 'r3', 'r2', 'r1', 'r4']);
      expect(await search({ experimentIds: ['exp-0000000000000000000000000000dead'] })).toEqual([]);
      expect(await search({ experimentIds: [] })).toEqual([]);
      expect(await search({ experimentIds: [experimentB, 'nope'] })).toEqual(['rb']);
    });

    it.each([
      ['ACTIVE_ONLY', ['r5', 'r3', 'r2', 'r1', 'r4']],
      ['DELETED_ONLY', ['r6']],
      ['ALL', ['r6', 'r5', 'r3', 'r2', 'r1', 'r4']],
    ] as const)('view type %s', async (viewType, expected) => {
      expect(await search({ viewType })).toEqual(expected);
    });
  });

  describe('metrics (latest values)', () => {
    it.each([
      ['metrics.acc > 0.6', ['r2', 'r1']],
      ['metrics.acc >= 0.7', ['r2', 'r1']],
      ['metrics.acc < 0.7', ['r5']],
      ['metrics.acc <= 0.7', ['r5', 'r2']],
      ['metrics.acc = 0.9', ['r1']],
      ['metric.acc = 0.5', ['r5']],
    ])('%s (NaN never compares true, runs without the metric never match)', async (filter, expected) => {
      expect(await filtered(filter)).toEqual(expected);
    });

    it('!= matches NaN (it equals nothing) but not a run without the metric', async () => {
      expect(await filtered('metrics.acc != 0.9')).toEqual(['r5', 'r3', 'r2']);
    });

    it("does not copy MLflow's quirk of NaN matching = 0", async () => {
      expect(await filtered('metrics.acc = 0')).toEqual([]);
      expect(await filtered('metrics.loss < 1')).toEqual(['r1']);
    });

    it('sorts real values, then NaN, then runs without the metric, in both directions', async () => {
      expect(await filtered('', ['metrics.acc DESC'])).toEqual(['r1', 'r2', 'r5', 'r3', 'r4']);
      expect(await filtered('', ['metrics.acc ASC'])).toEqual(['r5', 'r2', 'r1', 'r3', 'r4']);
      expect(await filtered('', ['metrics.loss'])).toEqual(['r1', 'r2', 'r5', 'r3', 'r4']);
    });

    it('filters and sorts on the same metric', async () => {
      expect(await filtered("metrics.acc > 0.4 and params.lr != '0.001'", ['metrics.acc DESC'])).toEqual(['r1', 'r5']);
    });
  });

  describe('params and tags', () => {
    it.each([
      ["params.lr = '0.01'", ['r3', 'r1']],
      ["params.lr != '0.01'", ['r5', 'r2']],
      ['params.optimizer IS NULL', ['r3', 'r4']],
      ['params.optimizer IS NOT NULL', ['r5', 'r2', 'r1']],
      ["tags.team = 'nlp'", ['r2']],
      ["tags.team != 'nlp'", ['r3', 'r1']],
      ['tags.team IS NULL', ['r5', 'r4']],
      ["tags.`mlflow.user` = 'alice'", ['r1']],
      ["tags.mlflow.user = 'alice'", ['r1']],
      ["params.lr = '0.01' AND tags.team = 'vision'", ['r3']],
      ['params.lr = "0.01" AND params.lr LIKE \'0.0%\'', ['r3', 'r1']],
    ])('%s', async (filter, expected) => {
      expect(await filtered(filter)).toEqual(expected);
    });

    it('LIKE is case-sensitive and ILIKE is not, on params, tags and names', async () => {
      expect(await filtered("params.optimizer LIKE 'adam%'")).toEqual(['r2']);
      expect(await filtered("params.optimizer ILIKE 'adam%'")).toEqual(['r2', 'r1']);
      expect(await filtered("tags.team LIKE 'NLP'")).toEqual(['r1']);
      expect(await filtered("tags.team ILIKE 'nlp'")).toEqual(['r2', 'r1']);
      expect(await filtered("attributes.run_name LIKE 'bert%'")).toEqual(['r2', 'r1']);
      expect(await filtered("attributes.run_name ILIKE 'BERT%'")).toEqual(['r5', 'r2', 'r1']);
    });

    it('LIKE wildcards: _ is one character, % any run, a backslash makes them literal', async () => {
      expect(await filtered("run_name LIKE 'ber_-base'")).toEqual(['r1']);
      expect(await filtered("run_name LIKE 'vit\\_100\\%'")).toEqual(['r4']);
      expect(await filtered("run_name LIKE 'vit\\_1'")).toEqual([]);
      expect(await filtered("run_name LIKE '%-%'")).toEqual(['r5', 'r2', 'r1']);
    });

    it('sorts params and tags as text, bytewise, runs without them last', async () => {
      expect(await filtered('', ['params.lr'])).toEqual(['r2', 'r3', 'r1', 'r5', 'r4']);
      expect(await filtered('', ['params.lr DESC'])).toEqual(['r5', 'r3', 'r1', 'r2', 'r4']);
      expect(await filtered('', ['tags.team ASC'])).toEqual(['r1', 'r2', 'r3', 'r5', 'r4']);
    });
  });

  describe('attributes', () => {
    it('status uses MLflow names for our statuses', async () => {
      expect(await filtered("attributes.status = 'FINISHED'")).toEqual(['r1']);
      expect(await filtered("status = 'FAILED'")).toEqual(['r2']);
      expect(await filtered("status = 'RUNNING'")).toEqual(['r3']);
      expect(await filtered("status = 'SCHEDULED'")).toEqual(['r4']);
      expect(await filtered("status = 'KILLED'")).toEqual(['r5']);
      expect(await filtered("status = 'success'")).toEqual([]);
      expect(await filtered("status != 'RUNNING'")).toEqual(['r5', 'r2', 'r1', 'r4']);
      expect(await filtered("status LIKE 'F%'")).toEqual(['r2', 'r1']);
      expect(await filtered('', ['attributes.status'])).toEqual(['r2', 'r1', 'r5', 'r3', 'r4']);
    });

    it('run_id =, IN and NOT IN', async () => {
      expect(await filtered(`run_id = '${ids.r2}'`)).toEqual(['r2']);
      expect(await filtered(`attributes.run_id IN ('${ids.r1}', '${ids.r3}', 'run-nope')`)).toEqual(['r3', 'r1']);
      expect(await filtered(`run_id NOT IN ('${ids.r1}', '${ids.r5}')`)).toEqual(['r3', 'r2', 'r4']);
      expect(await filtered(`run_id IN ('${ids.rb}')`)).toEqual([]);
    });

    it('start_time and end_time compare as milliseconds; created is start_time', async () => {
      expect(await filtered('start_time > 1500 AND start_time <= 3000')).toEqual(['r3', 'r2']);
      expect(await filtered('created >= 4000')).toEqual(['r5']);
      expect(await filtered('end_time < 2000.5')).toEqual(['r1']);
      expect(await filtered('attributes.end_time != 1500')).toEqual(['r5', 'r3', 'r2']);
      expect(await filtered('', ['start_time ASC'])).toEqual(['r1', 'r2', 'r3', 'r5', 'r4']);
    });

    it('run_name, user_id and artifact_uri', async () => {
      expect(await filtered("run_name = 'resnet'")).toEqual(['r3']);
      expect(await filtered('"Run Name" = \'resnet\'')).toEqual(['r3']);
      expect(await filtered("user_id = 'alice'")).toEqual(['r1']);
      expect(await filtered("user_id != 'alice'")).toEqual(['r2']);
      expect(await filtered(`artifact_uri = 'mlflow-artifacts:/${experimentA}/${ids.r1}/artifacts'`)).toEqual(['r1']);
      expect(await filtered("artifact_uri LIKE 'mlflow-artifacts:/%/artifacts'")).toEqual(['r5', 'r3', 'r2', 'r1', 'r4']);
      expect(await filtered('', ['attributes.run_name'])).toEqual(['r5', 'r1', 'r2', 'r3', 'r4']);
      expect(await filtered('', ['user_id DESC'])).toEqual(['r2', 'r1', 'r5', 'r3', 'r4']);
    });
  });

  describe('hostile input is data', () => {
    it("matches a param whose value is literally a' OR 1=1 --, and nothing else", async () => {
      expect(await filtered("params.optimizer = 'a'' OR 1=1 --'")).toEqual(['r5']);
      expect(await filtered("params.lr = '0.01'' OR ''1''=''1'")).toEqual([]);
      expect(await filtered('params."lr\' OR 1=1 --" IS NOT NULL')).toEqual([]);
      expect(await filtered("tags.team LIKE '%'') OR 1=1 --'")).toEqual([]);
    });

    it('leaves the stored runs as they were after a failed search', async () => {
      const before = await search({ viewType: 'ALL' });
      const error = await searchError({ filter: "params.lr = '0.01'; DELETE FROM runs" });
      expect(error.message).toBe("filter: unexpected character ';' at position 18; a filter is one expression; join clauses with AND");
      expect(await search({ viewType: 'ALL' })).toEqual(before);
    });
  });

  describe('paging', () => {
    async function allPages(request: Partial<RunSearchRequest>, maxResults: number): Promise<string[][]> {
      const pages: string[][] = [];
      let pageToken: string | undefined;
      do {
        const page = await runs.searchRuns({ experimentIds: [experimentA], viewType: 'ACTIVE_ONLY', ...request, maxResults, pageToken });
        expect(page.runs.length).toBeLessThanOrEqual(maxResults);
        pages.push(page.runs.map((run) => labelOf.get(run.public_id) ?? run.public_id));
        pageToken = page.nextPageToken;
        expect(pages.length).toBeLessThan(10);
      } while (pageToken !== undefined);
      return pages;
    }

    it.each([
      ['default order', {}],
      ['metrics.acc DESC (across the NaN and missing buckets)', { orderBy: ['metrics.acc DESC'] }],
      ['params.lr (ties broken by start_time, then run_id)', { orderBy: ['params.lr'] }],
      ['tags.team DESC with a filter', { filter: "status != 'FAILED'", orderBy: ['tags.team DESC'] }],
      ['user_id, then run_name DESC', { orderBy: ['user_id', 'run_name DESC'] }],
      ['every deleted and active run by end_time', { viewType: 'ALL' as const, orderBy: ['end_time'] }],
    ])('pages %s one and two runs at a time, exactly as the single page', async (_what, request) => {
      const whole = await search(request);
      expect(whole.length).toBeGreaterThan(2);
      const byOne = await allPages(request, 1);
      expect(byOne.flat()).toEqual(whole);
      expect(byOne).toHaveLength(whole.length);
      const byTwo = await allPages(request, 2);
      expect(byTwo.flat()).toEqual(whole);
      expect(byTwo.map((page) => page.length)).toEqual([
        ...Array<number>(Math.floor(whole.length / 2)).fill(2),
        ...(whole.length % 2 ? [1] : []),
      ]);
    });

    it('gives no token when the last page is exactly full', async () => {
      const page = await runs.searchRuns({ experimentIds: [experimentA], viewType: 'ACTIVE_ONLY', maxResults: 5 });
      expect(page.runs).toHaveLength(5);
      expect(page.nextPageToken).toBeUndefined();
    });

    it('refuses a made-up token, and a token of a different order', async () => {
      const error = await searchError({ pageToken: 'not-a-token' });
      expect(error).toBeInstanceOf(InvalidRequestError);
      expect(error.mlflowCode).toBe('INVALID_PARAMETER_VALUE');
      expect(error.message).toBe('page_token: not a page token this server issued for this search order');
      const first = await runs.searchRuns({
        experimentIds: [experimentA],
        viewType: 'ACTIVE_ONLY',
        maxResults: 1,
        orderBy: ['metrics.acc'],
      });
      expect(first.nextPageToken).toEqual(expect.any(String));
      const other = await searchError({ pageToken: first.nextPageToken, orderBy: ['metrics.loss'] });
      expect(other.message).toBe('page_token: not a page token this server issued for this search order');
    });

    it.each([0, -1, 50_001, 1.5])('refuses max_results %s', async (maxResults) => {
      const error = await searchError({ maxResults });
      expect(error.mlflowCode).toBe('INVALID_PARAMETER_VALUE');
      expect(error.message).toBe(`max_results: must be an integer from 1 to 50000, got ${maxResults}`);
    });

    it('accepts 50,000 and defaults to 1,000', async () => {
      expect(await search({ maxResults: 50_000 })).toHaveLength(5);
      expect(await search({ maxResults: undefined })).toHaveLength(5);
    });
  });

  describe('bad filters and orders', () => {
    it.each([
      ["metrics.acc > 0.5 OR params.lr = '0.01'", "filter: unexpected 'OR' at position 18; OR is not supported; only AND can join clauses"],
      ['params.lr = 0.01', "filter: 'params.lr' needs a quoted string, got 0.01 at position 12; quote it: params.lr = '0.01'"],
      ["metrics.acc = 'high'", "filter: 'metrics.acc' needs a number, got 'high' at position 14; numbers are written without quotes"],
    ])('%s', async (filter, message) => {
      const error = await searchError({ filter });
      expect(error).toBeInstanceOf(InvalidRequestError);
      expect(error.mlflowCode).toBe('INVALID_PARAMETER_VALUE');
      expect(error.message).toBe(message);
    });

    it('refuses a field ordered twice', async () => {
      const error = await searchError({ orderBy: ['metrics.acc', 'metrics.acc DESC'] });
      expect(error.message).toBe("order_by[1]: 'metrics.acc' is ordered twice at position 0; order_by[0] already orders by metrics.acc");
    });
  });
});
