/** What changed about a run, as a `change` event names it. */
export type ChangeKind = 'metrics' | 'params' | 'tags' | 'status' | 'artifacts' | 'created' | 'deleted';
export const CHANGE_KINDS: readonly ChangeKind[] = ['metrics', 'params', 'tags', 'status', 'artifacts', 'created', 'deleted'];

/**
 * More metric keys than this in one change and the event leaves `metric_keys` out, meaning
 * "any key": a page reloads every chart then, and no event grows without bound.
 */
export const MAX_METRIC_KEYS_PER_CHANGE = 100;

/** The data of a `change` event: one run, what changed about it since the last event. */
export interface RunChange {
  run_id: string;
  experiment_id: string;
  kinds: ChangeKind[];
  /** Keys that got points, when known; absent means any key may have. */
  metric_keys?: string[];
}

/** Changes of one run waiting to be sent, merged. `metricKeys` null: some key is unknown (or too many). */
interface PendingChange {
  runId: string;
  experimentId: string;
  kinds: Set<ChangeKind>;
  metricKeys: Set<string> | null;
}

/**
 * Collects run changes and hands them on merged, one per run, at most once per `intervalMs`:
 * the first change after a quiet interval goes out at once (on the next tick), later ones wait
 * for the interval to pass. A training loop logging 1,000 points a second so yields at most
 * 1000 / intervalMs events a second per run, each no later than `intervalMs` after its change.
 */
export class ChangeCoalescer {
  private pending = new Map<string, PendingChange>();
  private timer?: NodeJS.Timeout;
  private lastFlushAt = -Infinity;
  private closed = false;

  constructor(
    private readonly intervalMs: number,
    private readonly deliver: (changes: RunChange[]) => void,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.pending.size;
  }

  add(change: RunChange): void {
    if (this.closed) {
      return;
    }
    let pending = this.pending.get(change.run_id);
    if (!pending) {
      pending = { runId: change.run_id, experimentId: change.experiment_id, kinds: new Set(), metricKeys: new Set() };
      this.pending.set(change.run_id, pending);
    }
    for (const kind of change.kinds) {
      pending.kinds.add(kind);
    }
    if (change.kinds.includes('metrics')) {
      if (change.metric_keys === undefined) {
        pending.metricKeys = null;
      } else if (pending.metricKeys) {
        for (const key of change.metric_keys) {
          pending.metricKeys.add(key);
        }
        if (pending.metricKeys.size > MAX_METRIC_KEYS_PER_CHANGE) {
          pending.metricKeys = null;
        }
      }
    }
    if (this.timer === undefined) {
      const wait = Math.max(0, this.lastFlushAt + this.intervalMs - this.now());
      this.timer = setTimeout(() => this.flush(), wait);
      this.timer.unref();
    }
  }

  /** Hands on everything pending now. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.size === 0) {
      return;
    }
    this.lastFlushAt = this.now();
    const changes = [...this.pending.values()].map(toRunChange);
    this.pending = new Map();
    this.deliver(changes);
  }

  /** Drops what is pending and takes nothing more. */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending.clear();
  }
}

function toRunChange(pending: PendingChange): RunChange {
  const kinds = CHANGE_KINDS.filter((kind) => pending.kinds.has(kind));
  const change: RunChange = { run_id: pending.runId, experiment_id: pending.experimentId, kinds };
  if (pending.kinds.has('metrics') && pending.metricKeys) {
    change.metric_keys = [...pending.metricKeys].sort();
  }
  return change;
}

/** What one process tells the others: who sent it (so it can skip its own), and the changes. */
export interface ChangeNotification {
  origin: string;
  changes: RunChange[];
}

/**
 * The changes of one flush as notification payloads, each at most `maxBytes` long (UTF-8): as
 * many changes per payload as fit. A change too long on its own (a great many long metric
 * keys) goes without its keys, which means "any key".
 */
export function encodeNotifications(origin: string, changes: readonly RunChange[], maxBytes: number): string[] {
  const payloads: string[] = [];
  const head = `{"origin":${JSON.stringify(origin)},"changes":[`;
  const tail = ']}';
  let parts: string[] = [];
  let size = Buffer.byteLength(head) + tail.length;
  const emptySize = size;
  for (const change of changes) {
    let text = JSON.stringify(change);
    if (emptySize + Buffer.byteLength(text) > maxBytes) {
      text = JSON.stringify({ ...change, metric_keys: undefined });
    }
    const length = Buffer.byteLength(text);
    if (parts.length > 0 && size + 1 + length > maxBytes) {
      payloads.push(head + parts.join(',') + tail);
      parts = [];
      size = emptySize;
    }
    size += (parts.length > 0 ? 1 : 0) + length;
    parts.push(text);
  }
  if (parts.length > 0) {
    payloads.push(head + parts.join(',') + tail);
  }
  return payloads;
}

function isRunChange(value: unknown): value is RunChange {
  const change = value as Partial<RunChange> | null;
  return (
    typeof change === 'object' &&
    change !== null &&
    typeof change.run_id === 'string' &&
    typeof change.experiment_id === 'string' &&
    Array.isArray(change.kinds) &&
    change.kinds.every((kind) => CHANGE_KINDS.includes(kind)) &&
    (change.metric_keys === undefined || (Array.isArray(change.metric_keys) && change.metric_keys.every((key) => typeof key === 'string')))
  );
}

/** A payload another process sent, or undefined if it is not one of ours. */
export function decodeNotification(payload: string): ChangeNotification | undefined {
  try {
    const parsed = JSON.parse(payload) as Partial<ChangeNotification> | null;
    if (parsed && typeof parsed.origin === 'string' && Array.isArray(parsed.changes) && parsed.changes.every(isRunChange)) {
      return { origin: parsed.origin, changes: parsed.changes };
    }
  } catch {
    // not ours
  }
  return undefined;
}
