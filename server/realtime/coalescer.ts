// One coalescer for every output (socket pushes, the retained availability):
// changes are gathered per key and handed over in one batch at most every
// `intervalMs`. The first change after a quiet spell goes out at once;
// changes that follow within the interval wait for the next batch — low
// latency when quiet, bounded work when busy. A batch being handed over
// (an async flush: publishing to a broker) is never overlapped by the next.
import { performance } from 'node:perf_hooks';

export interface CoalescerOptions<V> {
  intervalMs: number;
  /** Receives each batch; the next waits for it to settle. It should not throw: errors are only counted. */
  flush: (batch: Map<string, V>) => void | Promise<void>;
  /** How a new value joins one already pending for its key (default: the new one replaces it). */
  merge?: (pending: V, next: V) => V;
}

export class Coalescer<V> {
  private pending = new Map<string, V>();
  private timer: NodeJS.Timeout | undefined;
  private lastFlushAt = Number.NEGATIVE_INFINITY;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: CoalescerOptions<V>) {}

  add(key: string, value: V): void {
    const { merge } = this.options;
    const before = this.pending.get(key);
    this.pending.set(key, merge && before !== undefined ? merge(before, value) : value);
    this.schedule();
  }

  get(key: string): V | undefined {
    return this.pending.get(key);
  }

  delete(key: string): void {
    this.pending.delete(key);
  }

  get size(): number {
    return this.pending.size;
  }

  /** Hands the pending batch over now (and waits for a batch under way first). */
  async flushNow(): Promise<void> {
    if (this.running) await this.running;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.run();
  }

  /** No more batches; a batch under way gets `graceMs` to finish. */
  async stop(graceMs = 2000): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.running) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.running, new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
  }

  private schedule(): void {
    if (this.timer || this.running || this.stopped || this.pending.size === 0) return;
    const wait = Math.max(0, this.lastFlushAt + this.options.intervalMs - performance.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.run();
    }, wait);
  }

  private run(): Promise<void> {
    if (this.pending.size === 0) return Promise.resolve();
    const batch = this.pending;
    this.pending = new Map();
    this.lastFlushAt = performance.now();
    const running = (async () => {
      try {
        await this.options.flush(batch);
      } catch {
        // the owner's flush handles its own failures (retries what it could not send)
      }
    })();
    this.running = running;
    return running.finally(() => {
      this.running = undefined;
      this.schedule();
    });
  }
}
