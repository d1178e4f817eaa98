// Live counts over Socket.IO (DESIGN.md §4). A client subscribes to a bbox or
// a list of ids and gets a snapshot in the acknowledgement; after that,
// changes from the live store's feed are coalesced and pushed at most every
// PUSH_INTERVAL_MS, to that subscription only. The first change after a quiet
// spell goes out at once; changes that follow within the interval wait for
// the next push — low latency when quiet, bounded work when busy.
//
// Sockets with the same subscription share a room, so each flush filters and
// encodes the changed lots once per distinct subscription, not once per socket.
import type { Server as HttpServer } from 'node:http';
import { Server, type Socket } from 'socket.io';
import type { Catalog, CatalogChange } from '../catalog/catalog.ts';
import {
  liveFieldsOf, subscriptionSchema,
  type ClientToServerEvents, type LotLive, type ServerToClientEvents, type Subscription, type SubscriptionFields,
} from '../domain/contract.ts';
import { inBBox } from '../domain/geo.ts';
import { emptyLiveState, type LiveChange } from '../domain/live.ts';
import type { LotMeta, LotView } from '../domain/lot.ts';
import type { LiveStore } from '../live/store.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import type { LotViews } from '../query/lot-views.ts';

interface SocketData {
  room?: string;
}

type KongweiServer = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
type KongweiSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

interface SubscriptionEntry {
  room: string;
  matches: (lot: LotMeta) => boolean;
  fields: SubscriptionFields;
}

export interface RealtimeOptions {
  httpServer: HttpServer;
  catalog: Catalog;
  store: LiveStore;
  views: LotViews;
  pushIntervalMs: number;
  log: Logger;
  metrics: Metrics;
}

/** A stable key per distinct subscription: sockets that share it share a room. */
export function subscriptionKey(subscription: Subscription): string {
  const where = 'bbox' in subscription ? `bbox:${subscription.bbox.join(',')}` : `ids:${[...new Set(subscription.ids)].sort().join(',')}`;
  return `${subscription.fields ?? 'all'}|${where}`;
}

function matcherOf(subscription: Subscription): (lot: LotMeta) => boolean {
  if ('bbox' in subscription) {
    const { bbox } = subscription;
    return (lot) => inBBox(lot, bbox);
  }
  const ids = new Set(subscription.ids);
  return (lot) => ids.has(lot.id);
}

export class Realtime {
  private io: KongweiServer | undefined;
  private readonly subscriptions = new Map<string, SubscriptionEntry>();
  /** Changes since the last flush, newest per lot. */
  private pending = new Map<string, LiveChange>();
  /** Pending lots whose metadata changed (or that are new): whole lots for every subscription. */
  private pendingWhole = new Set<string>();
  private flushTimer: NodeJS.Timeout | undefined;
  private lastFlushAt = 0;
  private stopped = false;
  private readonly onChange = (changes: LiveChange[]) => {
    for (const change of changes) this.pending.set(change.id, change);
    this.scheduleFlush();
  };
  private readonly onResync = () => void this.pushEverything();
  /** Lots deleted since the last flush, with their last metadata (to know whose subscription they left). */
  private removed = new Map<string, LotMeta>();
  private readonly onCatalogChange = (change: CatalogChange) => void this.onCatalog(change);

  constructor(private readonly options: RealtimeOptions) {}

  start(): void {
    const io: KongweiServer = new Server(this.options.httpServer, { serveClient: false });
    this.io = io;
    io.of('/').adapter.on('delete-room', (room: string) => this.subscriptions.delete(room));
    io.on('connection', (socket) => this.onConnection(socket));
    this.options.store.on('change', this.onChange);
    this.options.store.on('resync', this.onResync);
    this.options.catalog.on('change', this.onCatalogChange);
  }

  private scheduleFlush(): void {
    if (this.flushTimer || this.stopped) return;
    const wait = Math.max(0, this.lastFlushAt + this.options.pushIntervalMs - Date.now());
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      this.lastFlushAt = Date.now();
      this.flush();
    }, wait);
  }

  /** Disconnects every socket. Leaves the HTTP server to its owner. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.options.store.off('change', this.onChange);
    this.options.store.off('resync', this.onResync);
    this.options.catalog.off('change', this.onCatalogChange);
    const io = this.io;
    if (!io) return;
    io.disconnectSockets(true);
    // Not io.close(): that would also close the HTTP server, which the composition root owns.
    io.engine.close();
  }

  private onConnection(socket: KongweiSocket): void {
    const { metrics, log } = this.options;
    metrics.socketClients.inc();
    socket.on('disconnect', () => metrics.socketClients.dec());
    socket.on('subscribe', async (raw, ack) => {
      if (typeof ack !== 'function') return;
      const parsed = subscriptionSchema.safeParse(raw);
      if (!parsed.success) {
        const message = parsed.error.issues.map((i) => `${i.path.join('.') || 'subscription'}: ${i.message}`).join('; ');
        return ack({ error: { code: 'validation_failed', message: `invalid subscription: ${message}` } });
      }
      const subscription = parsed.data as Subscription;
      try {
        const room = this.join(socket, subscription);
        const lots = [...this.options.catalog.all()].filter(this.subscriptions.get(room)!.matches);
        ack({ lots: await this.options.views.snapshot(lots) });
      } catch (err) {
        log.error({ err }, 'subscribe failed');
        ack({ error: { code: 'unavailable', message: 'live data is unavailable, try again' } });
      }
    });
  }

  private join(socket: KongweiSocket, subscription: Subscription): string {
    const room = `sub:${subscriptionKey(subscription)}`;
    if (!this.subscriptions.has(room)) this.subscriptions.set(room, { room, matches: matcherOf(subscription), fields: subscription.fields ?? 'all' });
    if (socket.data.room && socket.data.room !== room) void socket.leave(socket.data.room);
    socket.data.room = room;
    void socket.join(room);
    return room;
  }

  /**
   * A lot added, changed or deleted in the catalog (DESIGN.md §4): a new or
   * changed lot goes to every subscription it matches as `lots:update`; a
   * deleted one, or one that moved out of a subscription's area, as `lots:remove`.
   */
  private async onCatalog(change: CatalogChange): Promise<void> {
    if (change.kind === 'removed') {
      this.pending.delete(change.lot.id);
      this.pendingWhole.delete(change.lot.id);
      this.removed.set(change.lot.id, change.lot);
      this.scheduleFlush();
      return;
    }
    if (change.kind === 'changed') {
      const io = this.io;
      for (const { room, matches } of this.subscriptions.values()) {
        if (matches(change.previous) && !matches(change.lot)) io?.local.to(room).emit('lots:remove', [change.lot.id]);
      }
    }
    await this.refresh([change.lot.id]);
  }

  /**
   * Queues these lots for the next push with their current live state, for
   * changes that do not come through the live store's feed (catalog edits,
   * opening hours that opened or closed a lot).
   */
  async refresh(ids: readonly string[]): Promise<void> {
    try {
      const live = await this.options.store.getMany(ids);
      for (const id of ids) {
        const meta = this.options.catalog.get(id);
        // A change from the feed already queued is as new as this read, or newer.
        if (!meta) continue;
        this.pendingWhole.add(id);
        if (this.pending.has(id)) continue;
        this.pending.set(id, { id, ...(live.get(id) ?? emptyLiveState(meta.capacity)) });
      }
      this.scheduleFlush();
    } catch (err) {
      this.options.log.warn({ err: (err as Error).message, ids: ids.slice(0, 10) }, 'could not read live state to push changed lots');
    }
  }

  /** Pushes the coalesced changes: once per distinct subscription that has a changed lot. */
  private flush(): void {
    const io = this.io;
    if (!io) return;
    if (this.removed.size > 0) {
      const removed = [...this.removed.values()];
      this.removed = new Map();
      for (const { room, matches } of this.subscriptions.values()) {
        const ids = removed.filter(matches).map((lot) => lot.id);
        if (ids.length > 0) io.local.to(room).emit('lots:remove', ids);
      }
    }
    if (this.pending.size === 0) return;
    const changes = this.pending;
    const whole = this.pendingWhole;
    this.pending = new Map();
    this.pendingWhole = new Set();
    const changed: { meta: LotMeta; view: LotView; live?: LotLive }[] = [];
    for (const change of changes.values()) {
      const meta = this.options.catalog.get(change.id);
      if (meta) changed.push({ meta, view: this.options.views.view(meta, change) });
    }
    if (changed.length === 0) return;
    // Socket.IO encodes a room's message once for all its sockets; each list is built once per room.
    for (const { room, matches, fields } of this.subscriptions.values()) {
      const matched = changed.filter(({ meta }) => matches(meta));
      if (matched.length === 0) continue;
      if (fields === 'all') {
        io.local.to(room).emit('lots:update', matched.map(({ view }) => view));
        continue;
      }
      const wholeLots = matched.filter(({ meta }) => whole.has(meta.id)).map(({ view }) => view);
      const liveOnly = matched.filter(({ meta }) => !whole.has(meta.id)).map((entry) => (entry.live ??= liveFieldsOf(entry.view)));
      if (wholeLots.length > 0) io.local.to(room).emit('lots:update', wholeLots);
      if (liveOnly.length > 0) io.local.to(room).emit('lots:live', liveOnly);
    }
  }

  /** After the feed may have missed changes: send every subscription its lots afresh. */
  private async pushEverything(): Promise<void> {
    const io = this.io;
    if (!io) return;
    try {
      // One list of lots for the read and the rooms: a lot added meanwhile comes with its own push.
      const metas = [...this.options.catalog.all()];
      const views = await this.options.views.viewsOf(metas);
      for (const { room, matches } of this.subscriptions.values()) {
        const lots = views.filter((_, i) => matches(metas[i]!));
        if (lots.length > 0) io.local.to(room).emit('lots:update', lots);
      }
    } catch (err) {
      this.options.log.warn({ err: (err as Error).message }, 'could not push a fresh state after the feed reconnected');
    }
  }
}
