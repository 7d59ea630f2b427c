// `node dist/bench/hot-writes.js`: the throughput of chatty single-point metric writes (the
// requests the hot write lane serves) against a real `entrenar server` process on SQLite, with
// 32 concurrent keep-alive clients: v1 points, MLflow log-metric, and v1 points carrying an
// Idempotency-Key as the TypeScript client sends them; then the same with the lane off.
// BENCH_SECONDS (default 10) sets each phase's length. Compare figures from one run only.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { fmt, postJson, startEntrenar } from './support.js';

const CLIENTS = 32;
const DURATION_MS = Number(process.env.BENCH_SECONDS ?? 10) * 1000;

interface Phase {
  name: string;
  path: (runId: string) => string;
  body: (runId: string, step: number) => string;
  idempotent?: boolean;
}

const PHASES: Phase[] = [
  {
    name: 'v1 POST /runs/:id/metrics',
    path: (runId) => `/api/v1/runs/${runId}/metrics`,
    body: (_runId, step) => `{"key":"loss","step":${step},"value":${Math.random()}}`,
  },
  {
    name: 'MLflow runs/log-metric',
    path: () => '/api/2.0/mlflow/runs/log-metric',
    body: (runId, step) => `{"run_id":"${runId}","key":"loss","value":${Math.random()},"timestamp":${Date.now()},"step":${step}}`,
  },
  {
    name: 'v1 POST /runs/:id/metrics + Idempotency-Key',
    path: (runId) => `/api/v1/runs/${runId}/metrics`,
    body: (_runId, step) => `{"key":"loss","step":${step},"value":${Math.random()}}`,
    idempotent: true,
  },
];

function post(agent: http.Agent, url: URL, body: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers } },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

/**
 * CPU seconds the server process has used (user + system, from /proc): per request, this is
 * steadier than throughput on a machine shared with other work.
 */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  // utime and stime are fields 14 and 15 of stat(5), in clock ticks (100 per second on Linux).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function runPhase(baseUrl: string, runId: string, phase: Phase): Promise<{ perSecond: number; requests: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
  const url = new URL(phase.path(runId), baseUrl);
  let step = 0;
  let done = 0;
  let keys = 0;
  const deadline = performance.now() + DURATION_MS;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (performance.now() < deadline) {
        const headers: Record<string, string> = phase.idempotent ? { 'idempotency-key': `bench-${process.pid}-${++keys}` } : {};
        const status = await post(agent, url, phase.body(runId, step++), headers);
        if (status >= 300) {
          throw new Error(`${phase.name}: HTTP ${status}`);
        }
        done++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return { perSecond: done / seconds, requests: done };
}

async function measure(label: string, extraArgs: string[]): Promise<void> {
  const server = await startEntrenar(extraArgs);
  try {
    const experiment = (await postJson(`${server.url}/api/v1/experiments`, { name: `hot-writes-${Date.now()}` })) as { id: string };
    for (const phase of PHASES) {
      const run = (await postJson(`${server.url}/api/v1/runs`, { experiment_id: experiment.id })) as { id: string };
      await postJson(`${server.url}/api/v1/runs/${run.id}/start`, {});
      const pid = server.child.pid ?? 0;
      const cpuBefore = cpuSeconds(pid);
      const { perSecond, requests } = await runPhase(server.url, run.id, phase);
      const cpuMicros = ((cpuSeconds(pid) - cpuBefore) / requests) * 1e6;
      console.log(
        `${label.padEnd(10)} ${phase.name.padEnd(46)} ${fmt(perSecond).padStart(7)} req/s ${fmt(cpuMicros).padStart(5)} µs server CPU/request`,
      );
    }
  } finally {
    await server.stop();
  }
}

await measure('lane on', []);
if (process.env.BENCH_LANE_OFF !== '0') {
  await measure('lane off', ['--disable-hot-write-lane']);
}
