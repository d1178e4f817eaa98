// Live counts over Socket.IO (DESIGN.md §4). A client subscribes to a bbox or
// a list of ids and gets a snapshot in the acknowledgement; after that,
// changes are coalesced (realtime/coalescer.ts) and pushed at most every
// PUSH_INTERVAL_MS, to that subscription only. Live changes come from the
// bus's 'live.changed' (the one follower of the store's feed, live/feed.ts),
// whose mirror also gives the snapshots; catalog edits and lots opening or
// closing by their hours come from the bus too.
//
// Sockets with the same subscription share a room, so each flush filters and
// encodes the changed lots once per distinct subscription, not once per socket.
import type { Server as HttpServer } from 'node:http';
import { Server, type Socket } from 'socket.io';
import type { Bus } from '../bus.ts';
import type { Catalog } from '../catalog/catalog.ts';
import type { CatalogChange } from '../domain/changes.ts';
import {
  liveFieldsOf, subscriptionSchema,
  type ClientToServerEvents, type LotLive, type ServerToClientEvents, type Subscription, type SubscriptionFields,
} from '../domain/contract.ts';
import { validationError } from '../domain/errors.ts';
import { inBBox } from '../domain/geo.ts';
import { emptyLiveState, type LiveChange } from '../domain/live.ts';
import type { LotMeta, LotView } from '../domain/lot.ts';
import type { LiveFeed } from '../live/feed.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import type { LotViews } from '../query/lot-views.ts';
import { Coalescer } from './coalescer.ts';

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

export interface SocketOutputOptions {
  httpServer: HttpServer;
  catalog: Catalog;
  feed: LiveFeed;
  bus: Bus;
  views: LotViews;
  pushIntervalMs: number;
  log: Logger;
  metrics: Metrics;
}

/**
 * A lot waiting for the next push: its newest live change; `whole` when its
 * metadata changed (or it is new), so every subscription gets it whole;
 * `removed` (its last metadata) when it was deleted.
 */
interface PendingLot {
  change?: LiveChange;
  whole?: boolean;
  removed?: LotMeta;
}

function mergePending(pending: PendingLot, next: PendingLot): PendingLot {
  if (next.removed) return { removed: next.removed };
  // Deleted, then created again within one interval: both go out, the removal first.
  if (pending.removed) return { ...next, removed: pending.removed };
  return { change: next.change ?? pending.change, whole: (pending.whole ?? false) || (next.whole ?? false) };
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

export class SocketOutput {
  private io: KongweiServer | undefined;
  private readonly subscriptions = new Map<string, SubscriptionEntry>();
  private readonly pending: Coalescer<PendingLot>;
  private unsubscribe: (() => void)[] = [];

  constructor(private readonly options: SocketOutputOptions) {
    this.pending = new Coalescer<PendingLot>({ intervalMs: options.pushIntervalMs, flush: (batch) => this.flush(batch), merge: mergePending });
  }

  start(): void {
    const { bus } = this.options;
    const io: KongweiServer = new Server(this.options.httpServer, { serveClient: false });
    this.io = io;
    io.of('/').adapter.on('delete-room', (room: string) => this.subscriptions.delete(room));
    io.on('connection', (socket) => this.onConnection(socket));
    this.unsubscribe = [
      bus.on('live.changed', (changes) => {
        for (const change of changes) this.pending.add(change.id, { change });
      }),
      bus.on('live.resync', () => this.pushEverything()),
      bus.on('catalog.changed', (change) => this.onCatalog(change)),
      bus.on('hours.flipped', (ids) => this.refresh(ids)),
    ];
  }

  /** Disconnects every socket. Leaves the HTTP server to its owner. */
  async stop(): Promise<void> {
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
    await this.pending.stop(0);
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
      if (!parsed.success) return ack({ error: { code: 'validation_failed', message: validationError('subscription', parsed.error).message } });
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
  private onCatalog(change: CatalogChange): void {
    if (change.kind === 'removed') {
      this.pending.add(change.lot.id, { removed: change.lot });
      return;
    }
    if (change.kind === 'changed') {
      const io = this.io;
      for (const { room, matches } of this.subscriptions.values()) {
        if (matches(change.previous) && !matches(change.lot)) io?.local.to(room).emit('lots:remove', [change.lot.id]);
      }
    }
    this.refresh([change.lot.id]);
  }

  /**
   * Queues these lots, whole, for the next push with their live state from
   * the mirror: changes that do not come through the feed (catalog edits,
   * opening hours that opened or closed a lot). A live change already queued
   * is as new as the mirror, or newer.
   */
  private refresh(ids: readonly string[]): void {
    for (const id of ids) {
      const meta = this.options.catalog.get(id);
      if (!meta) continue;
      const queued = this.pending.get(id)?.change;
      this.pending.add(id, { whole: true, change: queued ?? { id, ...(this.options.feed.get(id) ?? emptyLiveState(meta.capacity)) } });
    }
  }

  /** Pushes the coalesced changes: once per distinct subscription that has a changed lot. */
  private flush(batch: Map<string, PendingLot>): void {
    const io = this.io;
    if (!io) return;
    const removed = [...batch.values()].flatMap((p) => p.removed ?? []);
    if (removed.length > 0) {
      for (const { room, matches } of this.subscriptions.values()) {
        const ids = removed.filter(matches).map((lot) => lot.id);
        if (ids.length > 0) io.local.to(room).emit('lots:remove', ids);
      }
    }
    const changed: { meta: LotMeta; view: LotView; whole: boolean; live?: LotLive }[] = [];
    for (const [id, { change, whole }] of batch) {
      const meta = change && this.options.catalog.get(id);
      if (meta) changed.push({ meta, view: this.options.views.view(meta, change), whole: whole ?? false });
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
      const wholeLots = matched.filter((entry) => entry.whole).map(({ view }) => view);
      const liveOnly = matched.filter((entry) => !entry.whole).map((entry) => (entry.live ??= liveFieldsOf(entry.view)));
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
      const views = await this.options.views.snapshot(metas);
      for (const { room, matches } of this.subscriptions.values()) {
        const lots = views.filter((_, i) => matches(metas[i]!));
        if (lots.length > 0) io.local.to(room).emit('lots:update', lots);
      }
    } catch (err) {
      this.options.log.warn({ err: (err as Error).message }, 'could not push a fresh state after the feed reconnected');
    }
  }
}
