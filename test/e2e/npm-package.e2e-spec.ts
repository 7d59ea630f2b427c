import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createTestStorage, TestStorage } from '../support/database.js';
import { EntrenarProcess, REPO_ROOT, startEntrenar, storageArgs } from './support/entrenar-process.js';

const run = promisify(execFile);

/**
 * The npm package is what `npm install` users get: it must carry the built server and the built
 * dashboard (dist/ is git-ignored, so without a `files` list npm would leave both out) and serve
 * the dashboard from wherever it is unpacked. The test suite has built dist/ already, so the pack
 * skips `prepack`'s rebuild.
 */
describe('the npm package', () => {
  let workDir: string;
  let packageDir: string;
  let files: string[];
  let storage: TestStorage;
  let server: EntrenarProcess | undefined;

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(tmpdir(), 'entrenar-pack-'));
    const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', workDir], { cwd: REPO_ROOT });
    const [packed] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
    files = packed.files.map((file) => file.path);
    await run('tar', ['-xzf', path.join(workDir, packed.filename), '-C', workDir]);
    packageDir = path.join(workDir, 'package');
    // The dependencies `npm install` would bring: this checkout's, to keep the test offline.
    await symlink(path.join(REPO_ROOT, 'node_modules'), path.join(packageDir, 'node_modules'), 'dir');
    storage = await createTestStorage();
  });
  afterAll(async () => {
    await server?.stop();
    await storage?.dispose();
    await rm(workDir, { recursive: true, force: true });
  });

  it('holds the CLI, the compiled server and the built dashboard, and neither sources nor tests', () => {
    expect(files).toEqual(expect.arrayContaining(['bin/entrenar.js', 'dist/src/main.js', 'dist/web/index.html', 'package.json']));
    expect(files.filter((file) => /^dist\/web\/assets\/index-[\w-]+\.js\.(gz|br)$/.test(file))).toHaveLength(2);
    expect(files.filter((file) => file.startsWith('src/') || file.startsWith('test/') || file.startsWith('web/'))).toEqual([]);
    expect(files.filter((file) => file.endsWith('.spec.js'))).toEqual([]);
  });

  it('serves the dashboard and the API from the unpacked package', async () => {
    server = await startEntrenar({ bin: path.join(packageDir, 'bin', 'entrenar.js'), args: storageArgs(storage) });
    const page = await fetch(`${server.url}/`);
    expect(page.status).toBe(200);
    const html = await page.text();
    const script = /src="(\/assets\/index-[\w-]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    expect((await readdir(path.join(packageDir, 'dist', 'web', 'assets'))).map((name) => `/assets/${name}`)).toContain(script);
    const asset = await fetch(`${server.url}${script}`, { headers: { 'Accept-Encoding': 'br' } });
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-encoding')).toBe('br');
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect((await fetch(`${server.url}/api/v1/experiments`)).status).toBe(200);
  });
});
