// The one follower of the live store's change feed. Every lot's live state is
// mirrored here, in this instance's memory, from the feed; the parts that
// react to live changes (sockets, the stale watch) subscribe to the bus's
// 'live.changed', which this emits after updating the mirror, and read many
// lots at once from it (searches, socket snapshots, the stale watch's tick)
// at no round trip to Redis. The feed carries every applied change in commit
// order, so a snapshot from the mirror followed by the pushes of later
// changes is consistent. Single-lot answers read the store itself.
//
// When the feed may have missed changes (it reconnected), and every minute as
// a safety net, the mirror is read afresh from the store; then the bus says
// 'live.resync'.
import type { Bus } from '../bus.ts';
import type { LiveChange, LiveState } from '../domain/live.ts';
import type { Logger } from '../log.ts';
import type { LiveStore } from './store.ts';

export interface LiveReader {
  getMany(ids: readonly string[]): Promise<Map<string, LiveState>>;
}

export interface LiveFeedOptions {
  store: LiveStore;
  bus: Bus;
  /** The lots to read when the mirror is (re)loaded: the catalog's. */
  lotIds: () => readonly string[];
  log: Logger;
  reconcileEveryMs?: number;
}

export class LiveFeed implements LiveReader {
  private states = new Map<string, LiveState>();
  /** Lots changed on the feed while a reload was reading the store. */
  private changedDuringReload: Set<string> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly onChange = (changes: LiveChange[]) => {
    for (const { id, ...state } of changes) {
      this.states.set(id, state);
      this.changedDuringReload?.add(id);
    }
    this.options.bus.emit('live.changed', changes);
  };
  private readonly onResync = () => void this.reload().then((ok) => ok && this.options.bus.emit('live.resync'));

  constructor(private readonly options: LiveFeedOptions) {}

  async start(): Promise<void> {
    const { store, bus } = this.options;
    store.on('change', this.onChange);
    store.on('resync', this.onResync);
    this.unsubscribe = bus.on('catalog.changed', (change) => {
      if (change.kind === 'removed') this.states.delete(change.lot.id);
    });
    await this.reload();
    this.timer = setInterval(() => void this.reload(), this.options.reconcileEveryMs ?? 60_000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.options.store.off('change', this.onChange);
    this.options.store.off('resync', this.onResync);
    this.unsubscribe?.();
  }

  get(id: string): LiveState | undefined {
    return this.states.get(id);
  }

  async getMany(ids: readonly string[]): Promise<Map<string, LiveState>> {
    const found = new Map<string, LiveState>();
    for (const id of ids) {
      const state = this.states.get(id);
      if (state) found.set(id, state);
    }
    return found;
  }

  /** Every lot with a live state, as the mirror holds it. */
  entries(): IterableIterator<[string, LiveState]> {
    return this.states.entries();
  }

  /**
   * Reads every lot from the store; false when the store could not be read.
   * For a lot the feed changed meanwhile, the feed's state stands: the read
   * may predate that change, and should it be the other way round, the
   * feed's next message (in flight) corrects it.
   */
  async reload(): Promise<boolean> {
    if (this.changedDuringReload) return false;
    this.changedDuringReload = new Set();
    try {
      const read = await this.options.store.getMany(this.options.lotIds());
      for (const id of this.changedDuringReload) {
        const fromFeed = this.states.get(id);
        if (fromFeed) read.set(id, fromFeed);
      }
      this.states = read;
      return true;
    } catch (err) {
      this.options.log.warn({ err: (err as Error).message }, 'could not read the live state for the mirror; it follows the feed meanwhile');
      return false;
    } finally {
      this.changedDuringReload = undefined;
    }
  }
}
