// Every lot's live state, mirrored in this instance's memory from the live
// store's change feed, for the reads that touch many lots at once (searches,
// socket snapshots): they cost no round trip to Redis. The feed carries every
// applied change in commit order, so a snapshot from the mirror followed by
// the pushes of later changes is consistent. Single-lot reads and anything an
// answer or a retained message depends on read the store itself.
//
// When the feed may have missed changes (it reconnected), and every minute as
// a safety net, the mirror is read afresh from the store.
import type { Catalog, CatalogChange } from '../catalog/catalog.ts';
import type { LiveChange, LiveState } from '../domain/live.ts';
import type { LiveStore } from '../live/store.ts';
import type { Logger } from '../log.ts';

export interface LiveReader {
  getMany(ids: readonly string[]): Promise<Map<string, LiveState>>;
}

export interface LiveMirrorOptions {
  store: LiveStore;
  catalog: Catalog;
  log: Logger;
  reconcileEveryMs?: number;
}

export class LiveMirror implements LiveReader {
  private states = new Map<string, LiveState>();
  /** Lots changed on the feed while a reload was reading the store. */
  private changedDuringReload: Set<string> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly onChange = (changes: LiveChange[]) => {
    for (const { id, ...state } of changes) {
      this.states.set(id, state);
      this.changedDuringReload?.add(id);
    }
  };
  private readonly onResync = () => void this.reload();
  private readonly onCatalog = (change: CatalogChange) => {
    if (change.kind === 'removed') this.states.delete(change.lot.id);
  };

  constructor(private readonly options: LiveMirrorOptions) {}

  async start(): Promise<void> {
    const { store, catalog } = this.options;
    store.on('change', this.onChange);
    store.on('resync', this.onResync);
    catalog.on('change', this.onCatalog);
    await this.reload();
    this.timer = setInterval(() => void this.reload(), this.options.reconcileEveryMs ?? 60_000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.options.store.off('change', this.onChange);
    this.options.store.off('resync', this.onResync);
    this.options.catalog.off('change', this.onCatalog);
  }

  async getMany(ids: readonly string[]): Promise<Map<string, LiveState>> {
    const found = new Map<string, LiveState>();
    for (const id of ids) {
      const state = this.states.get(id);
      if (state) found.set(id, state);
    }
    return found;
  }

  /**
   * Reads every lot from the store. For a lot the feed changed meanwhile, the
   * feed's state stands: the read may predate that change, and should it be
   * the other way round, the feed's next message (in flight) corrects it.
   */
  async reload(): Promise<void> {
    if (this.changedDuringReload) return;
    this.changedDuringReload = new Set();
    try {
      const ids = [...this.options.catalog.all()].map((lot) => lot.id);
      const read = await this.options.store.getMany(ids);
      for (const id of this.changedDuringReload) {
        const fromFeed = this.states.get(id);
        if (fromFeed) read.set(id, fromFeed);
      }
      this.states = read;
    } catch (err) {
      this.options.log.warn({ err: (err as Error).message }, 'could not read the live state for the mirror; it follows the feed meanwhile');
    } finally {
      this.changedDuringReload = undefined;
    }
  }
}
