/**
 * Collects the ids of changed runs and hands them over in batches, at most one batch per `intervalMs`
 * and never while the previous one is still being fetched: a burst of live events becomes one request.
 */
export class ChangeBatcher {
  private readonly pending = new Set<string>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private inFlight = false;
  private lastFlush = -Infinity;
  private disposed = false;

  constructor(
    private readonly flush: (ids: string[]) => Promise<void>,
    private readonly intervalMs: number,
    private readonly now: () => number = () => Date.now(),
  ) {}

  add(ids: Iterable<string>): void {
    for (const id of ids) {
      this.pending.add(id);
    }
    this.schedule();
  }

  dispose(): void {
    this.disposed = true;
    this.pending.clear();
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }

  private schedule(): void {
    if (this.disposed || this.timer !== null || this.inFlight || this.pending.size === 0) {
      return;
    }
    const wait = Math.max(0, this.lastFlush + this.intervalMs - this.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.run();
    }, wait);
  }

  private async run(): Promise<void> {
    if (this.disposed || this.pending.size === 0) {
      return;
    }
    const ids = [...this.pending];
    this.pending.clear();
    this.inFlight = true;
    this.lastFlush = this.now();
    try {
      await this.flush(ids);
    } catch {
      // A failed refresh is retried with the next change; the rows keep their last known values.
    } finally {
      this.inFlight = false;
      this.schedule();
    }
  }
}
