// `npm run bench:artifacts`: a 2 GiB file uploaded to a real `entrenar server` process (raw PUT,
// streamed from disk) and downloaded again (streamed to a file), against a plain copy of the same
// file on the same disk measured in the same run; plus the server's peak RSS growth meanwhile.
// Targets: upload and download at least half the copy rate, RSS growth under 64 MiB.
// Everything lives in one temporary folder (BENCH_DIR, default the OS temp dir) and is removed.
// The client is curl when it is installed (`curl -T` and `curl -o`, as users move checkpoints),
// else Node's http; BENCH_ARTIFACT_CLIENT=node|curl chooses. On a 2-core machine the client's
// own CPU competes with the server's, and curl needs less of it.
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { copyFile, open, stat } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fmt, postJson, startEntrenar } from './support.js';

const MIB = 1024 * 1024;
const SIZE_BYTES = Number(process.env.BENCH_ARTIFACT_MIB ?? 2048) * MIB;
const CHUNK_BYTES = 64 * MIB;
const TARGET_RATIO = 0.5;
const TARGET_RSS_GROWTH = 64 * MIB;

/** fsync: the copy counts once its bytes are on disk, as an upload does (the store fsyncs a new blob). */
async function syncFile(file: string): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes `size` random bytes to `file` and returns their SHA-256. */
async function writeRandomFile(file: string, size: number): Promise<string> {
  const hash = createHash('sha256');
  const handle = await open(file, 'w');
  const block = Buffer.alloc(CHUNK_BYTES);
  try {
    for (let written = 0; written < size; written += block.length) {
      const part = block.subarray(0, Math.min(block.length, size - written));
      randomFillSync(part);
      hash.update(part);
      await handle.write(part);
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}

async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file, { highWaterMark: 4 * MIB }), hash);
  return hash.digest('hex');
}

/** The process's resident set size now, from /proc. */
function currentRss(pid: number | undefined): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid ?? 0}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : 0;
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const start = process.hrtime.bigint();
  const value = await work();
  return { value, seconds: Number(process.hrtime.bigint() - start) / 1e9 };
}

/** PUT the file as the raw body, streamed from disk; resolves with the JSON answer. */
function upload(url: string, file: string, size: number): Promise<{ hash: string; size_bytes: number }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      { method: 'PUT', headers: { 'content-type': 'application/octet-stream', 'content-length': size }, agent: false },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (response.statusCode !== 201) {
            reject(new Error(`upload answered ${response.statusCode}: ${text.slice(0, 300)}`));
            return;
          }
          resolve(JSON.parse(text) as { hash: string; size_bytes: number });
        });
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    pipeline(createReadStream(file, { highWaterMark: MIB }), request).catch(reject);
  });
}

const CLIENT = process.env.BENCH_ARTIFACT_CLIENT ?? (spawnSync('curl', ['--version']).status === 0 ? 'curl' : 'node');

/** Runs curl with `args`; resolves with what it wrote to stdout (the response body, or -w output). */
function curl(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('curl', ['--silent', '--show-error', '--fail-with-body', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const text = Buffer.concat(out).toString('utf8');
      if (code === 0) {
        resolve(text);
      } else {
        reject(new Error(`curl ${args.join(' ')} exited ${code}: ${Buffer.concat(err).toString('utf8')} ${text.slice(0, 300)}`));
      }
    });
  });
}

async function uploadWithCurl(url: string, file: string): Promise<{ hash: string; size_bytes: number }> {
  return JSON.parse(await curl(['-T', file, '-H', 'content-type: application/octet-stream', url])) as { hash: string; size_bytes: number };
}

async function downloadWithCurl(url: string, file: string): Promise<number> {
  return Number(await curl(['-o', file, '-w', '%{size_download}', url]));
}

/** GET the artifact and count its bytes without keeping them (`curl -o /dev/null`): the server's streaming rate. */
function downloadDiscarding(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { agent: false }, (response) => {
      let received = 0;
      response.on('data', (chunk: Buffer) => (received += chunk.length));
      response.on('end', () => resolve(received));
      response.on('error', reject);
    });
    request.on('error', reject);
  });
}

/** GET the artifact into `file`, streamed, as `curl -o` does; resolves with the bytes received. */
function download(url: string, file: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { agent: false }, (response) => {
      if (response.statusCode !== 200) {
        reject(new Error(`download answered ${response.statusCode}`));
        response.resume();
        return;
      }
      pipeline(response, createWriteStream(file, { highWaterMark: MIB }))
        .then(() => stat(file))
        .then((info) => resolve(info.size), reject);
    });
    request.on('error', reject);
  });
}

async function main(): Promise<void> {
  const workDir = mkdtempSync(path.join(process.env.BENCH_DIR ?? os.tmpdir(), 'entrenar-bench-artifacts-'));
  const source = path.join(workDir, 'source.bin');
  const copied = path.join(workDir, 'copy.bin');
  const downloaded = path.join(workDir, 'download.bin');
  let server: Awaited<ReturnType<typeof startEntrenar>> | undefined;
  try {
    console.log(`writing ${fmt(SIZE_BYTES / MIB)} MiB of random bytes to ${workDir} …`);
    const sourceHash = await writeRandomFile(source, SIZE_BYTES);

    // For reference only: the same copy left in the page cache (not what a durable store can match).
    const cachedCopy = await timed(() => copyFile(source, copied));
    rmSync(copied, { force: true });
    const durableCopy = async () => {
      const result = await timed(async () => {
        await copyFile(source, copied);
        await syncFile(copied);
      });
      rmSync(copied, { force: true });
      return result.seconds;
    };
    // The disk's speed drifts on shared machines: the baseline is the mean of a copy just before
    // the upload and one just after the download.
    const copyBefore = await durableCopy();

    server = await startEntrenar(['--max-body-size', String(SIZE_BYTES + MIB), '--request-timeout-secs', '3600']);
    const experiment = (await postJson(`${server.url}/api/v1/experiments`, { name: `bench-artifacts-${Date.now()}` })) as { id: string };
    const run = (await postJson(`${server.url}/api/v1/runs`, { experiment_id: experiment.id })) as { id: string };
    const artifactUrl = `${server.url}/api/v1/runs/${run.id}/artifacts/checkpoints/model.bin`;
    // Let start-up allocation settle, then take the baseline the growth is measured from.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const baselineRss = currentRss(server.child.pid);

    console.log(`client: ${CLIENT === 'curl' ? 'curl -T / curl -o' : "Node's http"}`);
    const up = await timed(() => (CLIENT === 'curl' ? uploadWithCurl(artifactUrl, source) : upload(artifactUrl, source, SIZE_BYTES)));
    if (up.value.hash !== `sha256:${sourceHash}` || up.value.size_bytes !== SIZE_BYTES) {
      throw new Error(`upload stored ${up.value.hash} (${up.value.size_bytes} bytes), expected sha256:${sourceHash} (${SIZE_BYTES})`);
    }
    const down = await timed(() => (CLIENT === 'curl' ? downloadWithCurl(artifactUrl, downloaded) : download(artifactUrl, downloaded)));
    const streamed = await timed(() => (CLIENT === 'curl' ? downloadWithCurl(artifactUrl, '/dev/null') : downloadDiscarding(artifactUrl)));
    const peakRss = server.peakRssBytes();
    if (down.value !== SIZE_BYTES || streamed.value !== SIZE_BYTES || (await sha256OfFile(downloaded)) !== sourceHash) {
      throw new Error('the downloaded file differs from the uploaded one');
    }
    // Gone before the second copy, so its unwritten pages do not slow that copy down.
    rmSync(downloaded, { force: true });
    const copyAfter = await durableCopy();
    const copy = { seconds: (copyBefore + copyAfter) / 2 };

    const rate = (seconds: number) => SIZE_BYTES / MIB / seconds;
    const copyRate = rate(copy.seconds);
    const rows: Array<[string, number, number | undefined, boolean | undefined]> = [
      ['plain copy (copyFile + fsync), mean', copy.seconds, undefined, undefined],
      ['  before the upload', copyBefore, rate(copyBefore) / copyRate, undefined],
      ['  after the download', copyAfter, rate(copyAfter) / copyRate, undefined],
      ['(copy left in page cache, no fsync)', cachedCopy.seconds, rate(cachedCopy.seconds) / copyRate, undefined],
      ['upload (raw PUT, hashed, fsynced)', up.seconds, rate(up.seconds) / copyRate, rate(up.seconds) / copyRate >= TARGET_RATIO],
      [
        'download (GET to a file, like curl -o)',
        down.seconds,
        rate(down.seconds) / copyRate,
        rate(down.seconds) / copyRate >= TARGET_RATIO,
      ],
      ['(download, bytes discarded)', streamed.seconds, rate(streamed.seconds) / copyRate, undefined],
    ];
    const growth = Math.max(0, peakRss - baselineRss);
    console.log(`\n${fmt(SIZE_BYTES / MIB)} MiB, one run on ${os.cpus().length} cores; compare the ratios, not the absolutes\n`);
    console.log(
      `${'transfer'.padEnd(40)}  ${'seconds'.padStart(8)}  ${'MiB/s'.padStart(8)}  ${'of copy'.padStart(8)}  target ≥ ${TARGET_RATIO * 100}%`,
    );
    for (const [name, seconds, ratio, ok] of rows) {
      const shown = ratio === undefined ? '' : `${fmt(ratio * 100)}%`;
      const verdict = ok === undefined ? '' : ok ? 'met' : 'MISSED';
      console.log(
        `${name.padEnd(40)}  ${fmt(seconds, 2).padStart(8)}  ${fmt(rate(seconds)).padStart(8)}  ${shown.padStart(8)}  ${verdict}`,
      );
    }
    const rssOk = growth < TARGET_RSS_GROWTH;
    console.log(
      `\nserver RSS: ${fmt(baselineRss / MIB, 1)} MiB before, peak ${fmt(peakRss / MIB, 1)} MiB, growth ${fmt(growth / MIB, 1)} MiB ` +
        `(target < ${TARGET_RSS_GROWTH / MIB} MiB: ${rssOk ? 'met' : 'MISSED'})`,
    );
    if (!rssOk || rows.some(([, , , ok]) => ok === false)) {
      process.exitCode = 1;
    }
  } finally {
    await server?.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

await main();
