// Process trees from /proc: a peer server is often several processes (MLflow runs uvicorn
// workers and job consumers), so its memory is the sum over the tree, and stopping it means
// stopping every process of the tree, not just the one we spawned.
import { readdirSync, readFileSync } from 'node:fs';

const PAGE_SIZE = 4096;

interface ProcStat {
  pid: number;
  state: string;
  ppid: number;
  session: number;
}

function readStat(pid: number): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: parse after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { pid, state: fields[0], ppid: Number(fields[1]), session: Number(fields[3]) };
  } catch {
    return undefined;
  }
}

function allPids(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
}

/** Resident set size of one process in bytes (0 once it is gone). */
export function rssBytes(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ');
    return Number(fields[1]) * PAGE_SIZE;
  } catch {
    return 0;
  }
}

/** True while the process exists and is not a zombie waiting to be reaped. */
/** Proportional set size in bytes: shared pages split among the processes sharing them. */
export function pssBytes(pid: number): number {
  try {
    const match = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

export function isAlive(pid: number): boolean {
  const stat = readStat(pid);
  return stat !== undefined && stat.state !== 'Z';
}

/**
 * Watches the process tree under the root pid: its descendants, plus any process left in the
 * root's session after its parent died (the root is spawned detached, so it leads a session;
 * MLflow's multiprocessing resource tracker, for one, is re-parented to init). Membership is
 * refreshed from a full /proc scan every second; the RSS of the known members is summed every
 * 100 ms, and the peak of that sum is kept. Several roots (replicas of one server) make one
 * tree: the peak of their summed RSS, not the sum of peaks reached at different times.
 */
export class ProcessTree {
  private readonly members = new Set<number>();
  private peak = 0;
  private peakPss = 0;
  private readonly scanTimer: NodeJS.Timeout;
  private readonly sampleTimer: NodeJS.Timeout;
  private readonly rootPids: readonly number[];

  constructor(roots: number | readonly number[]) {
    this.rootPids = typeof roots === 'number' ? [roots] : roots;
    for (const pid of this.rootPids) {
      this.members.add(pid);
    }
    this.scan();
    this.scanTimer = setInterval(() => this.scan(), 1000);
    this.sampleTimer = setInterval(() => this.sample(), 100);
    this.scanTimer.unref();
    this.sampleTimer.unref();
  }

  /** Peak of the summed RSS since the watch started, in bytes. */
  peakRssBytes(): number {
    this.sample();
    return this.peak;
  }

  /**
   * Peak of the summed PSS (sampled each second): for a tree of forked workers the RSS sum
   * counts their shared pages once per process, PSS splits them.
   */
  peakPssBytes(): number {
    return this.peakPss;
  }

  /** The members seen so far that still exist. */
  livePids(): number[] {
    return [...this.members].filter((pid) => isAlive(pid));
  }

  processCount(): number {
    return this.livePids().length;
  }

  scan(): void {
    const stats = allPids()
      .map((pid) => readStat(pid))
      .filter((stat): stat is ProcStat => stat !== undefined);
    // Sessions led by a root (a detached spawn): their processes are members even once re-parented.
    const rootSessions = new Set(stats.filter((stat) => this.rootPids.includes(stat.pid) && stat.session === stat.pid).map((s) => s.pid));
    const children = new Map<number, number[]>();
    for (const stat of stats) {
      children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), stat.pid]);
      if (rootSessions.has(stat.session)) {
        this.members.add(stat.pid);
      }
    }
    const queue = [...this.members];
    while (queue.length > 0) {
      const pid = queue.pop() ?? 0;
      for (const child of children.get(pid) ?? []) {
        if (!this.members.has(child)) {
          this.members.add(child);
          queue.push(child);
        }
      }
    }
    let pss = 0;
    for (const pid of this.members) {
      pss += pssBytes(pid);
    }
    this.peakPss = Math.max(this.peakPss, pss);
  }

  private sample(): void {
    let total = 0;
    for (const pid of this.members) {
      total += rssBytes(pid);
    }
    this.peak = Math.max(this.peak, total);
  }

  /**
   * SIGTERM to every member, then up to `graceMs` for all of them to exit, then SIGKILL to
   * whatever is left. Only processes of this tree are signalled.
   */
  async stop(graceMs = 15_000): Promise<void> {
    this.scan();
    clearInterval(this.scanTimer);
    clearInterval(this.sampleTimer);
    const signal = (pids: number[], name: NodeJS.Signals) => {
      for (const pid of pids) {
        try {
          process.kill(pid, name);
        } catch {
          // already gone
        }
      }
    };
    signal(this.livePids(), 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline && this.livePids().length > 0) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      // Children started during shutdown are members too.
      this.scan();
    }
    const left = this.livePids();
    if (left.length > 0) {
      signal(left, 'SIGKILL');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
