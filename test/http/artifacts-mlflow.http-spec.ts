import { SqlClient } from '../../src/database/sql-client.js';
import {
  binaryPayload,
  bytesParser,
  expectMlflowError,
  filesUnder,
  hexOf,
  keyPath,
  rawRequest,
  sha256,
  storedHashes,
  tmpDir,
} from '../support/artifacts.js';
import { factories, RunBody, uploadArtifact } from '../support/factories.js';
import { startTestApp, TestApp } from '../support/test-app.js';

const PROXY = '/api/2.0/mlflow-artifacts/artifacts';

describe('MLflow artifact proxy and artifact routes, on the same store as /api/v1', () => {
  let server: TestApp;
  let make: ReturnType<typeof factories>;

  beforeAll(async () => {
    server = await startTestApp();
    make = factories(server.http);
  });
  afterAll(() => server.close());

  /** `<experiment_id>/<run_id>/artifacts[/<key>]`, as a run's artifact_uri `mlflow-artifacts:/…` resolves. */
  const proxyPath = (run: RunBody, key?: string) => `${run.experiment_id}/${run.id}/artifacts${key === undefined ? '' : `/${key}`}`;
  const proxyPut = (run: RunBody, key: string, bytes: Buffer, contentType = 'application/octet-stream', root = PROXY) =>
    rawRequest(server.url, {
      method: 'PUT',
      path: `${root}/${proxyPath(run, keyPath(key))}`,
      headers: { 'content-type': contentType, 'content-length': bytes.length },
      chunks: [bytes],
    });
  const proxyGet = (run: RunBody, key: string) =>
    rawRequest(server.url, { method: 'GET', path: `${PROXY}/${proxyPath(run, keyPath(key))}` });
  const proxyList = async (artifactPath: string, root = PROXY) => {
    const response = await server.http().get(root).query({ path: artifactPath }).expect(200);
    return response.body as { files?: Array<{ path: string; is_dir: boolean; file_size?: number }> };
  };
  const v1Keys = async (runId: string) =>
    ((await server.http().get(`/api/v1/runs/${runId}/artifacts`).expect(200)).body.artifacts as Array<{ key: string }>).map(
      (artifact) => artifact.key,
    );
  const v1Download = async (runId: string, key: string) =>
    (
      await server
        .http()
        .get(`/api/v1/runs/${runId}/artifacts/${keyPath(key)}`)
        .buffer(true)
        .parse(bytesParser)
        .expect(200)
    ).body as Buffer;

  describe('upload and download through the proxy', () => {
    it('stores a PUT body (answering {}) that the seed API then lists and downloads', async () => {
      const run = await make.run();
      const bytes = binaryPayload(120_000);
      const response = await proxyPut(run, 'model/model.pkl', bytes);
      expect(response.status).toBe(200);
      expect(JSON.parse(response.text)).toEqual({});
      expect(await v1Keys(run.id)).toEqual(['model/model.pkl']);
      expect((await v1Download(run.id, 'model/model.pkl')).equals(bytes)).toBe(true);
    });

    it('serves through the proxy a file uploaded through the seed API, with ETag and ranges', async () => {
      const run = await make.run();
      const bytes = binaryPayload(50_000);
      await uploadArtifact(server.http, run.id, bytes, { key: 'plots/loss.png', contentType: 'image/png' });
      const response = await proxyGet(run, 'plots/loss.png');
      expect(response.status).toBe(200);
      expect(response.body.equals(bytes)).toBe(true);
      expect(response.headers['content-type']).toBe('image/png');
      expect(response.headers['content-disposition']).toContain('attachment; filename="loss.png"');
      expect(response.headers.etag).toBe(`"sha256:${hexOf(bytes)}"`);
      const ranged = await rawRequest(server.url, {
        method: 'GET',
        path: `${PROXY}/${proxyPath(run, 'plots/loss.png')}`,
        headers: { range: 'bytes=100-199' },
      });
      expect(ranged.status).toBe(206);
      expect(ranged.body.equals(bytes.subarray(100, 200))).toBe(true);
    });

    it('answers a revalidation through the proxy (If-None-Match with Cache-Control: no-cache) with 304', async () => {
      const run = await make.run();
      const bytes = binaryPayload(5_000);
      await uploadArtifact(server.http, run.id, bytes, { key: 'ckpt.bin' });
      for (const root of [PROXY, '/ajax-api/2.0/mlflow-artifacts/artifacts']) {
        const path = `${root}/${proxyPath(run, 'ckpt.bin')}`;
        const fresh = await rawRequest(server.url, {
          method: 'GET',
          path,
          headers: { 'if-none-match': `"sha256:${hexOf(bytes)}"`, 'cache-control': 'no-cache', pragma: 'no-cache' },
        });
        expect(fresh.status).toBe(304);
        expect(fresh.body).toHaveLength(0);
        expect(fresh.headers.etag).toBe(`"sha256:${hexOf(bytes)}"`);
        const changed = await rawRequest(server.url, {
          method: 'GET',
          path,
          headers: { 'if-none-match': '"sha256:0000"', 'cache-control': 'no-cache' },
        });
        expect(changed.status).toBe(200);
        expect(changed.body.equals(bytes)).toBe(true);
      }
    });

    it('stores a JSON file byte for byte (the proxy PUT is never parsed as JSON)', async () => {
      const run = await make.run();
      const text = '{"flavors": {"python_function": {}},\n "not-quite-json": ';
      expect((await proxyPut(run, 'model/meta.json', Buffer.from(text), 'application/json')).status).toBe(200);
      expect((await v1Download(run.id, 'model/meta.json')).toString('utf8')).toBe(text);
    });

    it('replaces a file on a second PUT with other bytes, as MLflow does, and frees the old bytes', async () => {
      const run = await make.run();
      const first = binaryPayload(8000);
      const second = binaryPayload(9000);
      expect((await proxyPut(run, 'metrics.csv', first)).status).toBe(200);
      expect((await proxyPut(run, 'metrics.csv', second)).status).toBe(200);
      expect((await proxyGet(run, 'metrics.csv')).body.equals(second)).toBe(true);
      expect(await storedHashes(server)).not.toContain(hexOf(first));
    });

    it('works the same under /ajax-api/2.0/mlflow-artifacts', async () => {
      const run = await make.run();
      const bytes = Buffer.from('from the UI');
      expect((await proxyPut(run, 'ui.txt', bytes, 'text/plain', '/ajax-api/2.0/mlflow-artifacts/artifacts')).status).toBe(200);
      const back = await rawRequest(server.url, {
        method: 'GET',
        path: `/ajax-api/2.0/mlflow-artifacts/artifacts/${proxyPath(run, 'ui.txt')}`,
      });
      expect(back.body.equals(bytes)).toBe(true);
      expect(await proxyList(proxyPath(run), '/ajax-api/2.0/mlflow-artifacts/artifacts')).toEqual({
        files: [{ path: 'ui.txt', is_dir: false, file_size: bytes.length }],
      });
    });

    it('answers RESOURCE_DOES_NOT_EXIST for a missing file, an unknown run and a run under another experiment', async () => {
      const run = await make.run();
      const other = await make.run();
      await uploadArtifact(server.http, run.id, Buffer.from('x'), { key: 'x.txt' });
      expectMlflowError(await proxyGet(run, 'missing.txt'), 404, 'RESOURCE_DOES_NOT_EXIST');
      expectMlflowError(
        await rawRequest(server.url, { method: 'GET', path: `${PROXY}/${run.experiment_id}/run-nope/artifacts/x.txt` }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      );
      expectMlflowError(
        await rawRequest(server.url, { method: 'GET', path: `${PROXY}/${other.experiment_id}/${run.id}/artifacts/x.txt` }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      );
      expectMlflowError(
        await rawRequest(server.url, { method: 'GET', path: `${PROXY}/${run.experiment_id}/${run.id}/x.txt` }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      );
      const put = await proxyPut({ ...run, id: 'run-nope' }, 'x.txt', Buffer.from('x'));
      expectMlflowError(put, 404, 'RESOURCE_DOES_NOT_EXIST');
      expect(await filesUnder(tmpDir(server))).toEqual([]);
    });

    it('refuses a PUT to a deleted run with INVALID_PARAMETER_VALUE, storing nothing', async () => {
      const run = await make.run();
      await server.app.get(SqlClient).execute("UPDATE runs SET lifecycle_stage = 'deleted' WHERE public_id = ?", [run.id]);
      expectMlflowError(await proxyPut(run, 'late.txt', Buffer.from('late')), 400, 'INVALID_PARAMETER_VALUE');
      expect(await v1Keys(run.id)).toEqual([]);
    });
  });

  describe('listing through the proxy', () => {
    let run: RunBody;

    beforeAll(async () => {
      run = await make.run();
      for (const [key, size] of [
        ['model/MLmodel', 10],
        ['model/data/weights.bin', 300],
        ['a.txt', 5],
        ['model/conda.yaml', 20],
      ] as const) {
        await uploadArtifact(server.http, run.id, binaryPayload(size), { key });
      }
    });

    it("lists the run's root: base names, folders with is_dir and no size, files with their size", async () => {
      expect(await proxyList(proxyPath(run))).toEqual({
        files: [
          { path: 'a.txt', is_dir: false, file_size: 5 },
          { path: 'model', is_dir: true },
        ],
      });
    });

    it('lists a sub-folder by base name', async () => {
      expect(await proxyList(proxyPath(run, 'model'))).toEqual({
        files: [
          { path: 'MLmodel', is_dir: false, file_size: 10 },
          { path: 'conda.yaml', is_dir: false, file_size: 20 },
          { path: 'data', is_dir: true },
        ],
      });
    });

    it('answers {} for a file path, an empty folder, an unknown run and no path at all', async () => {
      expect(await proxyList(proxyPath(run, 'a.txt'))).toEqual({});
      expect(await proxyList(proxyPath(run, 'nothing-here'))).toEqual({});
      expect(await proxyList(`${run.experiment_id}/run-nope/artifacts`)).toEqual({});
      expect((await server.http().get(PROXY).expect(200)).body).toEqual({});
    });
  });

  describe('deletes through the proxy', () => {
    it('deletes a file, answering {}, and the seed API no longer has it', async () => {
      const run = await make.run();
      const bytes = binaryPayload(4000);
      await uploadArtifact(server.http, run.id, bytes, { key: 'gone.bin' });
      await uploadArtifact(server.http, run.id, Buffer.from('stay'), { key: 'stay.txt' });
      const response = await rawRequest(server.url, { method: 'DELETE', path: `${PROXY}/${proxyPath(run, 'gone.bin')}` });
      expect(response.status).toBe(200);
      expect(JSON.parse(response.text)).toEqual({});
      expect(await v1Keys(run.id)).toEqual(['stay.txt']);
      expect(await storedHashes(server)).not.toContain(hexOf(bytes));
    });

    it('deletes a folder with everything in it, and answers {} when nothing was there', async () => {
      const run = await make.run();
      for (const key of ['model/MLmodel', 'model/data/w.bin', 'model-card.md', 'other.txt']) {
        await uploadArtifact(server.http, run.id, Buffer.from(key), { key });
      }
      expect((await rawRequest(server.url, { method: 'DELETE', path: `${PROXY}/${proxyPath(run, 'model')}` })).status).toBe(200);
      expect(await v1Keys(run.id)).toEqual(['model-card.md', 'other.txt']);
      const again = await rawRequest(server.url, { method: 'DELETE', path: `${PROXY}/${proxyPath(run, 'model')}` });
      expect(again.status).toBe(200);
      expect(JSON.parse(again.text)).toEqual({});
    });

    it('answers RESOURCE_DOES_NOT_EXIST for a delete in an unknown run', async () => {
      const run = await make.run();
      expectMlflowError(
        await rawRequest(server.url, { method: 'DELETE', path: `${PROXY}/${run.experiment_id}/run-nope/artifacts/x` }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      );
    });
  });

  describe('the tracking API: artifacts/list and get-artifact', () => {
    let run: RunBody;
    const weights = binaryPayload(2048);

    beforeAll(async () => {
      run = await make.run();
      await uploadArtifact(server.http, run.id, Buffer.from('artifact_path: model\n'), { key: 'model/MLmodel' });
      await uploadArtifact(server.http, run.id, weights, { key: 'model/data/weights.bin' });
      await uploadArtifact(server.http, run.id, Buffer.from('{"a": 1}'), { key: 'config.json', contentType: 'application/json' });
    });

    const listRun = (query: Record<string, string>) => server.http().get('/api/2.0/mlflow/artifacts/list').query(query);

    it('lists the root with root_uri and run-relative paths', async () => {
      const response = await listRun({ run_id: run.id }).expect(200);
      expect(response.body).toEqual({
        root_uri: `mlflow-artifacts:/${run.experiment_id}/${run.id}/artifacts`,
        files: [
          { path: 'config.json', is_dir: false, file_size: 8 },
          { path: 'model', is_dir: true },
        ],
      });
    });

    it('lists a folder as <path>/<name>, accepting run_uuid and the ajax-api prefix', async () => {
      const response = await server
        .http()
        .get('/ajax-api/2.0/mlflow/artifacts/list')
        .query({ run_uuid: run.id, path: 'model' })
        .expect(200);
      expect(response.body.files).toEqual([
        { path: 'model/MLmodel', is_dir: false, file_size: 21 },
        { path: 'model/data', is_dir: true },
      ]);
    });

    it('leaves files out when there are none', async () => {
      const empty = await make.run();
      expect((await listRun({ run_id: empty.id }).expect(200)).body).toEqual({
        root_uri: `mlflow-artifacts:/${empty.experiment_id}/${empty.id}/artifacts`,
      });
    });

    it('answers INVALID_PARAMETER_VALUE without run_id and RESOURCE_DOES_NOT_EXIST for an unknown run', async () => {
      const missing = await listRun({});
      expectMlflowError(missing, 400, 'INVALID_PARAMETER_VALUE');
      expect(missing.body.message).toContain('run_id');
      expectMlflowError(await listRun({ run_id: 'run-nope' }), 404, 'RESOURCE_DOES_NOT_EXIST');
    });

    it('downloads through /get-artifact as an attachment, text files as text/plain', async () => {
      const text = await server.http().get('/get-artifact').query({ run_id: run.id, path: 'model/MLmodel' }).expect(200);
      expect(text.headers['content-type']).toMatch(/^text\/plain/);
      expect(text.headers['content-disposition']).toContain('attachment; filename="MLmodel"');
      expect(text.text).toBe('artifact_path: model\n');
      const json = await server.http().get('/get-artifact').query({ run_uuid: run.id, path: 'config.json' }).expect(200);
      expect(json.headers['content-type']).toMatch(/^text\/plain/);
      const binary = await server
        .http()
        .get('/get-artifact')
        .query({ run_id: run.id, path: 'model/data/weights.bin' })
        .buffer(true)
        .parse(bytesParser)
        .expect(200);
      expect((binary.body as Buffer).equals(weights)).toBe(true);
      expect(binary.headers['content-type']).toBe('application/octet-stream');
      expect(binary.headers.etag).toBe(`"${sha256(weights)}"`);
    });

    it('answers a revalidation of /get-artifact (If-None-Match with Cache-Control: no-cache) with 304', async () => {
      const path = `/get-artifact?run_id=${run.id}&path=model/data/weights.bin`;
      const etag = `"${sha256(weights)}"`;
      const fresh = await rawRequest(server.url, { method: 'GET', path, headers: { 'if-none-match': etag, 'cache-control': 'no-cache' } });
      expect(fresh.status).toBe(304);
      expect(fresh.body).toHaveLength(0);
      expect(fresh.headers.etag).toBe(etag);
      const changed = await rawRequest(server.url, {
        method: 'GET',
        path,
        headers: { 'if-none-match': '"sha256:0000"', pragma: 'no-cache' },
      });
      expect(changed.status).toBe(200);
      expect(changed.body.equals(weights)).toBe(true);
    });

    it('answers /get-artifact for a missing file or run in the MLflow envelope', async () => {
      expectMlflowError(
        await server.http().get('/get-artifact').query({ run_id: run.id, path: 'nope.txt' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      );
      expectMlflowError(
        await server.http().get('/get-artifact').query({ run_id: 'run-nope', path: 'a.txt' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      );
      expectMlflowError(await server.http().get('/get-artifact').query({ run_id: run.id }), 400, 'INVALID_PARAMETER_VALUE');
    });
  });

  describe('paths MLflow normalises: "." and empty segments', () => {
    it('lists the root for "." and "./", through the proxy and artifacts/list, as MLflow joins the names', async () => {
      const run = await make.run();
      await uploadArtifact(server.http, run.id, Buffer.from('top'), { key: 'top.txt' });
      await uploadArtifact(server.http, run.id, Buffer.from('deep'), { key: 'a/b.txt' });
      const root = [
        { path: 'a', is_dir: true },
        { path: 'top.txt', is_dir: false, file_size: 3 },
      ];
      for (const dot of ['.', './']) {
        expect((await proxyList(proxyPath(run, dot))).files).toEqual(root);
        const listed = await server.http().get('/api/2.0/mlflow/artifacts/list').query({ run_id: run.id, path: dot }).expect(200);
        expect(listed.body).toEqual({
          root_uri: `mlflow-artifacts:/${run.experiment_id}/${run.id}/artifacts`,
          files: [
            { path: './a', is_dir: true },
            { path: './top.txt', is_dir: false, file_size: 3 },
          ],
        });
      }
      for (const folder of ['./a', 'a/', 'a/.', 'a//']) {
        expect((await proxyList(proxyPath(run, folder))).files).toEqual([{ path: 'b.txt', is_dir: false, file_size: 4 }]);
        const listed = await server.http().get('/api/2.0/mlflow/artifacts/list').query({ run_id: run.id, path: folder }).expect(200);
        const joined = folder.endsWith('/') ? `${folder}b.txt` : `${folder}/b.txt`;
        expect(listed.body.files).toEqual([{ path: joined, is_dir: false, file_size: 4 }]);
      }
    });

    it('reads, writes and deletes a file named with "." or empty segments under its plain key', async () => {
      const run = await make.run();
      await uploadArtifact(server.http, run.id, Buffer.from('deep'), { key: 'a/b.txt' });
      const base = `${PROXY}/${proxyPath(run)}`;
      for (const tail of ['./a/b.txt', 'a/./b.txt', 'a//b.txt']) {
        const got = await rawRequest(server.url, { method: 'GET', path: `${base}/${tail}` });
        expect([tail, got.status, got.body.toString()]).toEqual([tail, 200, 'deep']);
      }
      const put = await rawRequest(server.url, {
        method: 'PUT',
        path: `${base}/c//./d.txt`,
        headers: { 'content-type': 'text/plain', 'content-length': 3 },
        chunks: [Buffer.from('new')],
      });
      expect(put.status).toBe(200);
      expect(await v1Keys(run.id)).toEqual(['a/b.txt', 'c/d.txt']);
      const got = await server.http().get('/get-artifact').query({ run_id: run.id, path: './c/d.txt' }).expect(200);
      expect(got.text).toBe('new');
      expect((await rawRequest(server.url, { method: 'DELETE', path: `${base}/./c/d.txt` })).status).toBe(200);
      expect(await v1Keys(run.id)).toEqual(['a/b.txt']);
    });

    it('refuses a PUT to a path that names a folder ("a/", "a/.", "."), storing nothing', async () => {
      const run = await make.run();
      for (const tail of ['a/', 'a/.', '.']) {
        const response = await rawRequest(server.url, {
          method: 'PUT',
          path: `${PROXY}/${proxyPath(run)}/${tail}`,
          headers: { 'content-type': 'text/plain', 'content-length': 1 },
          chunks: [Buffer.from('x')],
        });
        expectMlflowError(response, 400, 'INVALID_PARAMETER_VALUE');
        expect(JSON.parse(response.text).message).toBe('Invalid path');
      }
      expect(await v1Keys(run.id)).toEqual([]);
    });

    it('keeps "#" and "%" as characters of a name (they are never read as a URL again)', async () => {
      const run = await make.run();
      const base = `${PROXY}/${proxyPath(run)}`;
      for (const [tail, key] of [
        ['loss%20%233.png', 'loss #3.png'],
        ['p%252e%252e', 'p%2e%2e'],
      ]) {
        const put = await rawRequest(server.url, {
          method: 'PUT',
          path: `${base}/${tail}`,
          headers: { 'content-type': 'image/png', 'content-length': 1 },
          chunks: [Buffer.from('x')],
        });
        expect([tail, put.status]).toEqual([tail, 200]);
        expect(await v1Keys(run.id)).toContain(key);
      }
    });
  });

  describe('paths that escape the artifact folder', () => {
    // MLflow's wording ("Invalid path") for what escapes the folder; an encoded NUL is refused
    // earlier, by the check every request's URL goes through, with a message saying so.
    const escaping: Array<[string, string, RegExp]> = [
      ['a raw parent segment', '../x', /^Invalid path$/],
      ['a parent segment inside the key', 'a/../../x', /^Invalid path$/],
      ['an encoded parent segment', '%2e%2e/x', /^Invalid path$/],
      ['an upper-case encoded parent segment', '%2E%2E/%2E%2E/etc/passwd', /^Invalid path$/],
      ['an encoded slash traversal', 'a%2F..%2F..%2Fx', /^Invalid path$/],
      ['an encoded backslash', '..%5Cx', /^Invalid path$/],
      ['an encoded NUL byte', 'a%00b', /^the URL must not contain the NUL character \(%00\)$/],
      ['an encoded control character', 'a%01b', /^Invalid path$/],
      ['a drive prefix on the key', 'C:x', /^Invalid path$/],
    ];

    it.each(escaping)(
      'refuses a proxy PUT, GET and DELETE with %s: 400 INVALID_PARAMETER_VALUE, storing nothing',
      async (_what, tail, message) => {
        const run = await make.run();
        await uploadArtifact(server.http, run.id, Buffer.from('keep'), { key: 'x' });
        const body = Buffer.from('attack');
        const base = `${PROXY}/${run.experiment_id}/${run.id}/artifacts/${tail}`;
        for (const method of ['PUT', 'GET', 'DELETE']) {
          const response = await rawRequest(server.url, {
            method,
            path: base,
            headers: method === 'PUT' ? { 'content-length': body.length, 'content-type': 'application/octet-stream' } : {},
            chunks: method === 'PUT' ? [body] : [],
          });
          expectMlflowError(response, 400, 'INVALID_PARAMETER_VALUE');
          expect(JSON.parse(response.text).message).toMatch(message);
        }
        expect(await v1Keys(run.id)).toEqual(['x']);
        expect(await storedHashes(server)).not.toContain(hexOf(body));
        expect(await filesUnder(tmpDir(server))).toEqual([]);
      },
    );

    it.each([
      ['a parent segment', '../../etc', /^Invalid path$/],
      ['an absolute path', '/etc/passwd', /^Invalid path$/],
      ['a NUL byte', 'a\u0000b', /^the URL must not contain the NUL character \(%00\)$/],
      ['a backslash', 'a\\..\\b', /^Invalid path$/],
    ])('refuses a list path, an artifacts/list path and a get-artifact path with %s', async (_what, bad, message) => {
      const run = await make.run();
      // A proxy path is absolute when it starts with "/"; after the run's folder, "//etc" is an
      // empty segment inside it (MLflow reads it so too).
      const proxyListPath = bad.startsWith('/') ? `/${proxyPath(run)}` : `${proxyPath(run)}/${bad}`;
      const listed = await server.http().get(PROXY).query({ path: proxyListPath });
      expectMlflowError(listed, 400, 'INVALID_PARAMETER_VALUE');
      expect(listed.body.message).toMatch(message);
      expectMlflowError(
        await server.http().get('/api/2.0/mlflow/artifacts/list').query({ run_id: run.id, path: bad }),
        400,
        'INVALID_PARAMETER_VALUE',
      );
      expectMlflowError(await server.http().get('/get-artifact').query({ run_id: run.id, path: bad }), 400, 'INVALID_PARAMETER_VALUE');
    });
  });

  describe('size limit', () => {
    let small: TestApp;

    beforeAll(async () => {
      small = await startTestApp({ maxBodySize: 16 * 1024 });
    });
    afterAll(() => small.close());

    it('refuses a proxy PUT over --max-body-size in the MLflow envelope and stores nothing', async () => {
      const run = await factories(small.http).run();
      const bytes = binaryPayload(64 * 1024);
      for (const headers of [{ 'content-length': bytes.length }, { 'transfer-encoding': 'chunked' }]) {
        const response = await rawRequest(small.url, {
          method: 'PUT',
          path: `${PROXY}/${proxyPath(run, 'big.bin')}`,
          headers: { 'content-type': 'application/octet-stream', ...headers },
          chunks: [bytes.subarray(0, 32 * 1024), bytes.subarray(32 * 1024)],
        });
        expectMlflowError(response, 400, 'INVALID_PARAMETER_VALUE');
        expect(JSON.parse(response.text).message).toContain('16384');
      }
      expect(((await small.http().get(`/api/v1/runs/${run.id}/artifacts`).expect(200)).body.artifacts as unknown[]).length).toBe(0);
      expect(await filesUnder(tmpDir(small))).toEqual([]);
    });
  });
});
