import { DomainError } from '../../src/common/errors.js';
import { SqlClient } from '../../src/database/sql-client.js';
import { ExperimentsService } from '../../src/modules/experiments/experiments.service.js';
import type { ExperimentSearchRequest } from '../../src/modules/experiments/search/experiment-search.js';
import { startTestApp, TestApp } from '../support/test-app.js';

/**
 * ExperimentsService.searchExperiments (MLflow's SearchExperiments) against the real database
 * under test, experiments created through the service; tags, times and deletion set with SQL.
 */

interface SeedExperiment {
  name: string;
  createdAt: number;
  updatedAt: number;
  tags?: Record<string, string>;
  deleted?: boolean;
}

/** Names start with a random prefix so the default experiment "0" never matches `name LIKE '<prefix>%'`. */
const PREFIX = `xs${Math.random().toString(36).slice(2, 8)}`;

const SEEDS: Record<string, SeedExperiment> = {
  e1: { name: `${PREFIX}-bert`, createdAt: 1000, updatedAt: 9000, tags: { team: 'nlp', 'extra-key': 'value' } },
  e2: { name: `${PREFIX}-Bert-large`, createdAt: 2000, updatedAt: 2500, tags: { team: 'NLP' } },
  e3: { name: `${PREFIX}-resnet`, createdAt: 3000, updatedAt: 3000 },
  e4: { name: `${PREFIX}-vit`, createdAt: 3000, updatedAt: 7000, tags: { team: 'vision' } },
  e5: { name: `${PREFIX}-old`, createdAt: 500, updatedAt: 600, tags: { team: 'nlp' }, deleted: true },
};

describe('experiment search (MLflow SearchExperiments) on the database under test', () => {
  let server: TestApp;
  let experiments: ExperimentsService;
  const labelOf = new Map<string, string>();
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    server = await startTestApp();
    experiments = server.app.get(ExperimentsService);
    const sql = server.app.get(SqlClient);
    for (const [label, seed] of Object.entries(SEEDS)) {
      const created = await experiments.create({ name: seed.name });
      const entity = await experiments.require(created.id);
      for (const [key, value] of Object.entries(seed.tags ?? {})) {
        await sql.execute('INSERT INTO experiment_tags (experiment_id, key, value) VALUES (?, ?, ?)', [entity.id, key, value]);
      }
      await sql.execute('UPDATE experiments SET created_at = ?, updated_at = ?, lifecycle_stage = ? WHERE id = ?', [
        seed.createdAt,
        seed.updatedAt,
        seed.deleted ? 'deleted' : 'active',
        entity.id,
      ]);
      ids[label] = created.id;
      labelOf.set(created.id, label);
    }
  });
  afterAll(() => server.close());

  /** Labels of one page of the search, restricted to this test's experiments. */
  async function search(filter: string, request: Partial<ExperimentSearchRequest> = {}): Promise<string[]> {
    const page = await experiments.searchExperiments({
      viewType: 'ACTIVE_ONLY',
      ...request,
      filter: [`name LIKE '${PREFIX}-%'`, filter].filter(Boolean).join(' AND '),
    });
    expect(page.nextPageToken).toBeUndefined();
    return page.experiments.map((experiment) => labelOf.get(experiment.public_id) ?? experiment.public_id);
  }

  /**
   * e3 and e4 share a creation time, so experiment_id (random) decides their order: in expected
   * lists, 'e3+e4' stands for the two by experiment_id ascending, 'e4+e3' descending.
   */
  function expand(labels: readonly string[]): string[] {
    const ascending = ids.e3 < ids.e4 ? ['e3', 'e4'] : ['e4', 'e3'];
    return labels.flatMap((label) => (label === 'e3+e4' ? ascending : label === 'e4+e3' ? [...ascending].reverse() : [label]));
  }

  it('returns whole experiment rows, newest first (creation_time DESC, experiment_id ASC)', async () => {
    expect(await search('')).toEqual(expand(['e3+e4', 'e2', 'e1']));
    const page = await experiments.searchExperiments({ viewType: 'ACTIVE_ONLY', filter: `name = '${PREFIX}-bert'` });
    expect(page.experiments).toEqual([
      expect.objectContaining({ public_id: ids.e1, name: `${PREFIX}-bert`, lifecycle_stage: 'active', created_at: 1000, updated_at: 9000 }),
    ]);
  });

  it('includes the default experiment "0" when nothing narrows the search', async () => {
    const page = await experiments.searchExperiments({ viewType: 'ACTIVE_ONLY', filter: "name = 'Default'" });
    expect(page.experiments.map((experiment) => experiment.public_id)).toEqual(['0']);
  });

  it.each([
    ['ACTIVE_ONLY', ['e1', 'e2', 'e3', 'e4']],
    ['DELETED_ONLY', ['e5']],
    ['ALL', ['e1', 'e2', 'e3', 'e4', 'e5']],
  ] as const)('view type %s', async (viewType, expected) => {
    expect((await search('', { viewType })).sort()).toEqual(expected);
  });

  it.each([
    [`name = '${PREFIX}-bert'`, ['e1']],
    [`name != '${PREFIX}-bert'`, ['e3+e4', 'e2']],
    [`name LIKE '%-bert%'`, ['e1']],
    [`name ILIKE '%-bert%'`, ['e2', 'e1']],
    [`attribute.name LIKE '%e_t'`, ['e1']],
    ['creation_time > 1000', ['e3+e4', 'e2']],
    ['creation_time = 3000', ['e3+e4']],
    ['last_update_time >= 7000', ['e4', 'e1']],
    ['attributes.last_update_time < 3000', ['e2']],
    ["tags.team = 'nlp'", ['e1']],
    ["tags.team ILIKE 'nlp'", ['e2', 'e1']],
    ["tags.team LIKE 'N%'", ['e2']],
    ["tags.team != 'nlp'", ['e4', 'e2']],
    ['tags.team IS NULL', ['e3']],
    ['tags.team IS NOT NULL', ['e4', 'e2', 'e1']],
    ['tags."extra-key" = \'value\'', ['e1']],
    ["tags.team = 'nlp'' OR ''1''=''1'", []],
  ])('%s', async (filter, expected) => {
    expect(await search(filter)).toEqual(expand(expected));
  });

  it.each([
    [['name'], ['e2', 'e1', 'e3', 'e4']],
    [['name DESC'], ['e4', 'e3', 'e1', 'e2']],
    [['last_update_time DESC'], ['e1', 'e4', 'e3', 'e2']],
    [
      ['creation_time', 'experiment_id DESC'],
      ['e1', 'e2', 'e4+e3'],
    ],
  ])('orders by %j', async (orderBy, expected) => {
    expect(await search('', { orderBy })).toEqual(expand(expected));
  });

  it("breaks ties with MLflow's experiment_id DESC when experiment_id is not ordered", async () => {
    expect(await search('creation_time = 3000', { orderBy: ['creation_time'] })).toEqual(expand(['e4+e3']));
  });

  it.each([[['name']], [['creation_time DESC']], [['last_update_time', 'name DESC']], [[]]])(
    'pages %j one at a time exactly as one page',
    async (orderBy) => {
      const whole = await search('', { orderBy, viewType: 'ALL' });
      const paged: string[] = [];
      let pageToken: string | undefined;
      do {
        const page = await experiments.searchExperiments({
          viewType: 'ALL',
          orderBy,
          filter: `name LIKE '${PREFIX}-%'`,
          maxResults: 1,
          pageToken,
        });
        paged.push(...page.experiments.map((experiment) => labelOf.get(experiment.public_id) ?? experiment.public_id));
        pageToken = page.nextPageToken;
        expect(paged.length).toBeLessThanOrEqual(whole.length);
      } while (pageToken !== undefined);
      expect(paged).toEqual(whole);
    },
  );

  it.each([
    [{ filter: "name > 'a'" }, "filter: > is not allowed on 'name' at position 5; use =, !=, LIKE or ILIKE on name"],
    [{ filter: 'metrics.acc > 1' }, "filter: unknown entity 'metrics' at position 0; experiments are searched by attributes and tags."],
    [
      { orderBy: ['tags.team'] },
      "order_by[0]: cannot order by 'tags.team' at position 0; experiments are ordered by name, experiment_id, creation_time or last_update_time",
    ],
    [{ pageToken: 'bogus' }, 'page_token: not a page token this server issued for this search order'],
    [{ maxResults: 0 }, 'max_results: must be an integer from 1 to 50000, got 0'],
  ])('refuses %j with INVALID_PARAMETER_VALUE', async (request, message) => {
    const error = await experiments.searchExperiments({ viewType: 'ACTIVE_ONLY', ...request }).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).mlflowCode).toBe('INVALID_PARAMETER_VALUE');
    expect((error as DomainError).message).toBe(message);
  });
});
