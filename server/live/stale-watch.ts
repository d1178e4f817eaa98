// Notices lots going stale as time passes, not only when someone reads them
// (DESIGN.md §3): each instance keeps, from the live store's feed, when each
// lot was last heard from, and on a timer claims the stale transitions that
// are due. The claim is atomic in the store and succeeds once per sign of
// life, so with several instances one of them announces each transition: the
// store's feed carries it to every instance's sockets, and the claiming
// instance publishes the lot's availability.
import type { Catalog } from '../catalog/catalog.ts';
import { lastHeardAt, type LiveChange, type LiveState } from '../domain/live.ts';
import { staleAfterMsFor } from '../domain/lot.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import type { LiveStore } from './store.ts';

export interface StaleWatchOptions {
  catalog: Catalog;
  store: LiveStore;
  /** STALE_AFTER_S, for lots without their own threshold. */
  staleAfterS: number;
  log: Logger;
  metrics: Metrics;
  clock?: () => number;
  /** How often due transitions are looked for. */
  intervalMs?: number;
  /** Told of each transition this instance claimed. */
  onStale?: (lotId: string) => void;
}

interface Heard {
  at: number | null;
  marked: boolean;
}

export class StaleWatch {
  private readonly heard = new Map<string, Heard>();
  private readonly clock: () => number;
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  private readonly onChange = (changes: LiveChange[]) => {
    for (const change of changes) this.note(change.id, change);
  };
  private readonly onResync = () => void this.reload();

  constructor(private readonly options: StaleWatchOptions) {
    this.clock = options.clock ?? Date.now;
  }

  async start(): Promise<void> {
    this.options.store.on('change', this.onChange);
    this.options.store.on('resync', this.onResync);
    await this.reload();
    this.timer = setInterval(() => void this.tick(), this.options.intervalMs ?? 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.options.store.off('change', this.onChange);
    this.options.store.off('resync', this.onResync);
  }

  /** A lot deleted from the catalog. */
  forget(id: string): void {
    this.heard.delete(id);
  }

  private note(id: string, state: LiveState): void {
    this.heard.set(id, { at: lastHeardAt(state), marked: state.staleMarked ?? false });
  }

  private async reload(): Promise<void> {
    try {
      const states = await this.options.store.getMany([...this.options.catalog.all()].map((lot) => lot.id));
      for (const [id, state] of states) this.note(id, state);
    } catch (err) {
      this.options.log.warn({ err: (err as Error).message }, 'stale watch could not load the live state; it will follow the feed');
    }
  }

  /** Claims every transition that is due. */
  async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      const now = this.clock();
      const due: [string, number][] = [];
      for (const [id, { at, marked }] of this.heard) {
        if (marked || at === null) continue;
        const lot = this.options.catalog.get(id);
        if (lot && now - at > staleAfterMsFor(lot, this.options.staleAfterS)) due.push([id, at]);
      }
      await Promise.all(due.map(([id, at]) => this.claim(id, at)));
    } finally {
      this.ticking = false;
    }
  }

  private async claim(id: string, at: number): Promise<void> {
    let claimed: boolean;
    try {
      claimed = await this.options.store.markStale(id, at);
    } catch {
      return; // the store is away: the next tick tries again
    }
    // Claimed here or elsewhere, or the lot was heard from meanwhile (the feed brings that).
    const heard = this.heard.get(id);
    if (heard && heard.at === at) heard.marked = true;
    if (claimed) {
      this.options.metrics.staleTransitions.inc();
      this.options.onStale?.(id);
    }
  }
}
