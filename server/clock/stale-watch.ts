// Notices lots going stale as time passes, not only when someone reads them
// (DESIGN.md §3): on a timer it looks through the live mirror (live/feed.ts)
// for lots heard from longer ago than their threshold, and claims each
// transition in the store. The claim is atomic and succeeds once per sign of
// life, so with several instances one of them announces it: the store's feed
// carries it to every instance's sockets, and the bus's 'stale.claimed' tells
// this instance's outputs (the retained availability).
import type { Bus } from '../bus.ts';
import type { Catalog } from '../catalog/catalog.ts';
import { lastHeardAt } from '../domain/live.ts';
import { staleAfterMsFor } from '../domain/lot.ts';
import type { LiveFeed } from '../live/feed.ts';
import type { LiveStore } from '../live/store.ts';
import type { Metrics } from '../metrics.ts';

export interface StaleWatchOptions {
  catalog: Catalog;
  store: LiveStore;
  feed: LiveFeed;
  bus: Bus;
  /** STALE_AFTER_S, for lots without their own threshold. */
  staleAfterS: number;
  metrics: Metrics;
  clock?: () => number;
  /** How often due transitions are looked for. */
  intervalMs?: number;
}

export class StaleWatch {
  private readonly clock: () => number;
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  /** The sign of life each lot's transition was last claimed for (here or elsewhere) until the feed brings the mark. */
  private readonly claimedFor = new Map<string, number>();

  constructor(private readonly options: StaleWatchOptions) {
    this.clock = options.clock ?? Date.now;
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.options.intervalMs ?? 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Claims every transition that is due. */
  async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      const now = this.clock();
      const due: [string, number][] = [];
      for (const [id, state] of this.options.feed.entries()) {
        const at = lastHeardAt(state);
        if (state.staleMarked || at === null) {
          this.claimedFor.delete(id);
          continue;
        }
        if (this.claimedFor.get(id) === at) continue;
        const lot = this.options.catalog.get(id);
        if (lot && now - at > staleAfterMsFor(lot, this.options.staleAfterS)) due.push([id, at]);
      }
      const claimed = await Promise.all(due.map(([id, at]) => this.claim(id, at)));
      const ids = due.filter((_, i) => claimed[i]).map(([id]) => id);
      if (ids.length > 0) this.options.bus.emit('stale.claimed', ids);
    } finally {
      this.ticking = false;
    }
  }

  private async claim(id: string, at: number): Promise<boolean> {
    let claimed: boolean;
    try {
      claimed = await this.options.store.markStale(id, at);
    } catch {
      return false; // the store is away: the next tick tries again
    }
    // Claimed here or elsewhere, or the lot was heard from meanwhile (the feed brings that).
    this.claimedFor.set(id, at);
    if (claimed) this.options.metrics.staleTransitions.inc();
    return claimed;
  }
}
