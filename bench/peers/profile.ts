// Reading a V8 CPU profile (`node --cpu-prof`) of the entrenar server: self time per function
// and per module inside the time windows of the workloads. Profile timestamps and
// process.hrtime() both read CLOCK_MONOTONIC, so the harness's phase times select the samples.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
}

interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileWindow {
  name: string;
  startMicros: number;
  endMicros: number;
}

export interface SelfTime {
  name: string;
  selfMs: number;
  percent: number;
}

export interface WindowProfile {
  window: string;
  sampledMs: number;
  /** Share of the window the server's main thread was idle (waiting for I/O or requests). */
  idlePercent: number;
  topFunctions: SelfTime[];
  topModules: SelfTime[];
}

export function nowMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** Where a frame's code lives: a package name, a file of ours, or a V8 pseudo-frame. */
function moduleOf(url: string, functionName: string): string {
  if (url === '') {
    return functionName.startsWith('(') ? functionName : '(native)';
  }
  const nodeModules = url.lastIndexOf('node_modules/');
  if (nodeModules !== -1) {
    const rest = url.slice(nodeModules + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith('node:')) {
    return url;
  }
  const dist = url.indexOf('/dist/');
  return dist === -1 ? path.basename(url) : url.slice(dist + '/dist/'.length);
}

function frameName(frame: CpuProfileNode['callFrame']): string {
  const name = frame.functionName || '(anonymous)';
  if (frame.url === '') {
    return name;
  }
  return `${name} ${moduleOf(frame.url, name)}:${frame.lineNumber + 1}`;
}

function top(totals: Map<string, number>, allMicros: number, count: number): SelfTime[] {
  return [...totals.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, micros]) => ({ name, selfMs: micros / 1000, percent: (100 * micros) / allMicros }));
}

/** Self time by function and by module within each window, from the newest profile in `dir`. */
export function analyseProfile(dir: string, windows: ProfileWindow[], count = 15): { file: string; windows: WindowProfile[] } {
  const files = readdirSync(dir)
    .filter((name) => name.endsWith('.cpuprofile'))
    .sort();
  if (files.length === 0) {
    throw new Error(`no .cpuprofile written in ${dir}`);
  }
  const file = path.join(dir, files[files.length - 1]);
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  // Each sample stands for the time until the next one.
  const times: number[] = [];
  let at = profile.startTime;
  for (const delta of profile.timeDeltas) {
    at += delta;
    times.push(at);
  }
  const results: WindowProfile[] = [];
  for (const window of windows) {
    const byFunction = new Map<string, number>();
    const byModule = new Map<string, number>();
    let all = 0;
    let idle = 0;
    for (let index = 0; index < profile.samples.length; index++) {
      const time = times[index];
      if (time < window.startMicros || time > window.endMicros) {
        continue;
      }
      const duration = (index + 1 < times.length ? times[index + 1] : profile.endTime) - time;
      const frame = nodes.get(profile.samples[index])?.callFrame;
      if (!frame) {
        continue;
      }
      all += duration;
      if (frame.functionName === '(idle)') {
        idle += duration;
        continue;
      }
      const name = frameName(frame);
      byFunction.set(name, (byFunction.get(name) ?? 0) + duration);
      const module = moduleOf(frame.url, frame.functionName);
      byModule.set(module, (byModule.get(module) ?? 0) + duration);
    }
    if (all === 0) {
      results.push({ window: window.name, sampledMs: 0, idlePercent: 0, topFunctions: [], topModules: [] });
      continue;
    }
    results.push({
      window: window.name,
      sampledMs: all / 1000,
      idlePercent: (100 * idle) / all,
      topFunctions: top(byFunction, all, count),
      topModules: top(byModule, all, 10),
    });
  }
  return { file, windows: results };
}
