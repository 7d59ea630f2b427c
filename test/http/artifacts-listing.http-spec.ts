import { bytesParser, expectError, keyPath, sha256 } from '../support/artifacts.js';
import { factories, uploadArtifact } from '../support/factories.js';
import { startTestApp, TestApp } from '../support/test-app.js';

interface ListBody {
  artifacts: Array<{ key: string; hash: string; size_bytes: number }>;
  folders: string[];
  next_page_token?: string;
}

describe('artifact listing by prefix and folder, and deletes', () => {
  let server: TestApp;
  let make: ReturnType<typeof factories>;
  let runId: string;
  const KEYS = [
    'a.txt',
    'ckpt/e1/model.bin',
    'ckpt/e1/opt.bin',
    'ckpt/e2/model.bin',
    'ckpt/readme.md',
    'ckpt2.txt',
    'logs/train.log',
    'logs/deep/er/x.log',
    'z é.txt',
  ];

  beforeAll(async () => {
    server = await startTestApp();
    make = factories(server.http);
    runId = (await make.run()).id;
    for (const key of KEYS) {
      await uploadArtifact(server.http, runId, Buffer.from(`content of ${key}`), { key });
    }
  });
  afterAll(() => server.close());

  const artifactsOf = (id: string) => `/api/v1/runs/${id}/artifacts`;
  const list = async (query: Record<string, string | number>, id = runId): Promise<ListBody> =>
    (await server.http().get(artifactsOf(id)).query(query).expect(200)).body as ListBody;
  const text = async (url: string) =>
    ((await server.http().get(url).buffer(true).parse(bytesParser).expect(200)).body as Buffer).toString('utf8');
  const keysOf = (body: ListBody) => body.artifacts.map((artifact) => artifact.key);

  /** Every entry (files as keys, folders as `name/`) across all pages, with the page sizes seen. */
  async function allPages(query: Record<string, string | number>): Promise<{ entries: string[]; pages: number[] }> {
    const entries: string[] = [];
    const pages: number[] = [];
    let token: string | undefined;
    do {
      const body = await list({ ...query, ...(token ? { page_token: token } : {}) });
      const page = [...keysOf(body), ...body.folders].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
      entries.push(...page);
      pages.push(page.length);
      token = body.next_page_token;
    } while (token && pages.length < 50);
    return { entries, pages };
  }

  describe('listing', () => {
    it('lists every artifact, recursively, without prefix or delimiter; folders stay empty', async () => {
      const body = await list({});
      expect(keysOf(body)).toEqual([...KEYS].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
      expect(body.folders).toEqual([]);
      expect(body.next_page_token).toBeUndefined();
    });

    it('narrows to keys under a folder prefix, recursively', async () => {
      const body = await list({ prefix: 'ckpt/' });
      expect(keysOf(body)).toEqual(['ckpt/e1/model.bin', 'ckpt/e1/opt.bin', 'ckpt/e2/model.bin', 'ckpt/readme.md']);
      expect(body.folders).toEqual([]);
    });

    it('lists one folder level with delimiter=/: files directly in it, and its sub-folders', async () => {
      const body = await list({ prefix: 'ckpt/', delimiter: '/' });
      expect(keysOf(body)).toEqual(['ckpt/readme.md']);
      expect(body.folders).toEqual(['ckpt/e1/', 'ckpt/e2/']);
      expect(body.artifacts[0]).toEqual(expect.objectContaining({ hash: sha256(Buffer.from('content of ckpt/readme.md')) }));
    });

    it('lists the top level with delimiter=/ and no prefix', async () => {
      const body = await list({ delimiter: '/' });
      expect(keysOf(body)).toEqual(['a.txt', 'ckpt2.txt', 'z é.txt']);
      expect(body.folders).toEqual(['ckpt/', 'logs/']);
    });

    it('matches a prefix byte for byte, not by folder: "ckpt" finds the folder ckpt/ and the file ckpt2.txt', async () => {
      const body = await list({ prefix: 'ckpt', delimiter: '/' });
      expect(keysOf(body)).toEqual(['ckpt2.txt']);
      expect(body.folders).toEqual(['ckpt/']);
    });

    it('opens a folder by passing it back as prefix, down to the deepest level', async () => {
      expect((await list({ prefix: 'logs/', delimiter: '/' })).folders).toEqual(['logs/deep/']);
      const deepest = await list({ prefix: 'logs/deep/er/', delimiter: '/' });
      expect(keysOf(deepest)).toEqual(['logs/deep/er/x.log']);
      expect(deepest.folders).toEqual([]);
    });

    it('answers empty lists for a prefix nothing starts with', async () => {
      expect(await list({ prefix: 'nothing/', delimiter: '/' })).toEqual({ artifacts: [], folders: [] });
      expect(await list({ prefix: 'zzz' })).toEqual({ artifacts: [], folders: [] });
    });

    it('pages through one level, each entry once, a folder counting as one entry however large', async () => {
      const run = await make.run();
      const keys = ['a.bin', 'big/late.bin', 'c.bin'];
      for (let index = 0; index < 25; index++) {
        keys.push(`big/${String(index).padStart(2, '0')}.bin`);
      }
      for (const key of keys) {
        await server
          .http()
          .put(`${artifactsOf(run.id)}/${keyPath(key)}`)
          .send(Buffer.from(key))
          .expect(201);
      }
      const entries: string[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const body = await list({ delimiter: '/', max_results: 1, ...(token ? { page_token: token } : {}) }, run.id);
        entries.push(...keysOf(body), ...body.folders);
        expect(keysOf(body).length + body.folders.length).toBe(1);
        token = body.next_page_token;
        pages++;
      } while (token && pages < 20);
      expect(entries).toEqual(['a.bin', 'big/', 'c.bin']);
      expect(pages).toBe(3);
    });

    it('pages through a recursive listing with a prefix, visiting every key once', async () => {
      const { entries, pages } = await allPages({ prefix: 'ckpt', max_results: 2 });
      expect(entries).toEqual(['ckpt/e1/model.bin', 'ckpt/e1/opt.bin', 'ckpt/e2/model.bin', 'ckpt/readme.md', 'ckpt2.txt']);
      expect(pages).toEqual([2, 2, 1]);
    });

    it('pages through the top level with max_results 2', async () => {
      const { entries, pages } = await allPages({ delimiter: '/', max_results: 2 });
      expect(entries).toEqual(['a.txt', 'ckpt/', 'ckpt2.txt', 'logs/', 'z é.txt']);
      expect(pages).toEqual([2, 2, 1]);
    });

    it.each([
      ['a delimiter other than /', { delimiter: '-' }],
      ['an empty delimiter', { delimiter: '' }],
      ['a prefix with a NUL byte', { prefix: 'a\u0000b' }],
      ['a prefix with a control character', { prefix: 'a\nb' }],
      ['a prefix longer than a key can be', { prefix: 'x'.repeat(1025) }],
      ['an unknown parameter', { recursive: 'false' }],
    ])('answers 400 INVALID_REQUEST for %s', async (_what, query) => {
      const response = await server.http().get(artifactsOf(runId)).query(query);
      expectError(response, 400, 'INVALID_REQUEST');
    });
  });

  describe('deletes', () => {
    it('deletes one artifact with 204: it no longer downloads or lists, and the others stay', async () => {
      const run = await make.run();
      await uploadArtifact(server.http, run.id, Buffer.from('one'), { key: 'dir/one.txt' });
      await uploadArtifact(server.http, run.id, Buffer.from('two'), { key: 'dir/two.txt' });
      const response = await server
        .http()
        .delete(`${artifactsOf(run.id)}/dir/one.txt`)
        .expect(204);
      expect(response.text).toBe('');
      expectError(await server.http().get(`${artifactsOf(run.id)}/dir/one.txt`), 404, 'NOT_FOUND');
      expect(keysOf(await list({}, run.id))).toEqual(['dir/two.txt']);
      expect(await text(`${artifactsOf(run.id)}/dir/two.txt`)).toBe('two');
    });

    it('answers 404 for a key that is not there (or no longer), a folder, and an unknown run', async () => {
      const run = await make.run();
      await uploadArtifact(server.http, run.id, Buffer.from('x'), { key: 'f/x.txt' });
      expectError(await server.http().delete(`${artifactsOf(run.id)}/missing.txt`), 404, 'NOT_FOUND');
      expectError(await server.http().delete(`${artifactsOf(run.id)}/f`), 404, 'NOT_FOUND');
      await server
        .http()
        .delete(`${artifactsOf(run.id)}/f/x.txt`)
        .expect(204);
      expectError(await server.http().delete(`${artifactsOf(run.id)}/f/x.txt`), 404, 'NOT_FOUND');
      expectError(await server.http().delete(`${artifactsOf('run-doesnotexist')}/x.txt`), 404, 'NOT_FOUND');
    });

    it('lets a key be used again after its delete, with other bytes and no overwrite flag', async () => {
      const run = await make.run();
      await uploadArtifact(server.http, run.id, Buffer.from('before'), { key: 'reused.txt' });
      await server
        .http()
        .delete(`${artifactsOf(run.id)}/reused.txt`)
        .expect(204);
      await uploadArtifact(server.http, run.id, Buffer.from('after'), { key: 'reused.txt' });
      expect(await text(`${artifactsOf(run.id)}/reused.txt`)).toBe('after');
    });

    it('points at the listing when a download names a folder', async () => {
      const response = await server.http().get(`${artifactsOf(runId)}/ckpt/e1`);
      expectError(response, 404, 'NOT_FOUND');
      expect(response.body.error.message).toContain('prefix=ckpt/e1/');
    });
  });
});
