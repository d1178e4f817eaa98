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
// A subscription with `fields: "live"` gets the live fields of a change
// (`lots:live`), one with `fields: "rows"` the same as rows of values
// (`lots:rows`, a third of the bytes: every socket parses every push).
//
// What a socket can make the service hold is bounded (DESIGN.md §4, "Limits"):
// sockets per address, the size of a message, one subscribe answered at a
// time, only lots that exist (unknown ids are dropped, so made-up ids cost
// nothing), an area of at most MAX_SNAPSHOT_LOTS lots, and a room name of
// fixed size whatever the subscription.
import { createHash } from 'node:crypto';
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import { Server, type Socket } from 'socket.io';
import type { Bus } from '../bus.ts';
import type { Catalog } from '../catalog/catalog.ts';
import type { CatalogChange } from '../domain/changes.ts';
import {
  liveFieldsOf, MAX_SNAPSHOT_LOTS, MAX_SOCKET_MESSAGE_BYTES, subscriptionSchema, type SubscribeAck,
  type ClientToServerEvents, type LiveRow, type LotLive, type ServerToClientEvents, type Subscription, type SubscriptionFields,
} from '../domain/contract.ts';
import { validationError } from '../domain/errors.ts';
import { inBBox } from '../domain/geo.ts';
import { rowsBase, toLiveRow } from '../domain/live-rows.ts';
import { emptyLiveState, type LiveChange } from '../domain/live.ts';
import type { LotMeta, LotView } from '../domain/lot.ts';
import type { LiveFeed } from '../live/feed.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import type { LotViews } from '../query/lot-views.ts';
import { Coalescer } from './coalescer.ts';

interface SocketData {
  room?: string;
  /** A subscribe is being answered; a newer one waits in `next` (only the newest). */
  subscribing?: boolean;
  next?: { raw: unknown; ack: (answer: SubscribeAck) => void };
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
  /** Socket.IO connections per client address (SOCKETS_PER_IP). */
  socketsPerIp: number;
  /** The client's address of a handshake (TRUST_PROXY applied); default: the TCP peer. */
  clientIp?: (req: IncomingMessage) => string;
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

/** A stable key per distinct subscription: sockets that share it share a room. Ids as given; see roomOf. */
export function subscriptionKey(subscription: Subscription): string {
  const where = 'bbox' in subscription ? `bbox:${subscription.bbox.join(',')}` : `ids:${[...new Set(subscription.ids)].sort().join(',')}`;
  return `${subscription.fields ?? 'all'}|${where}`;
}

/** A room's name: fixed-size, whatever the subscription (1,000 ids are 65 KB of key). */
export function roomOf(subscription: Subscription): string {
  return `sub:${createHash('sha256').update(subscriptionKey(subscription)).digest('base64url')}`;
}

/** Whether a sorted list holds `id` (binary search: the list costs a pointer per lot, not a Set entry). */
function sortedHas(sorted: readonly string[], id: string): boolean {
  let low = 0;
  let high = sorted.length - 1;
  while (low <= high) {
    const mid = (low + high) >>> 1;
    const at = sorted[mid]!;
    if (at === id) return true;
    if (at < id) low = mid + 1;
    else high = mid - 1;
  }
  return false;
}

function matcherOf(subscription: Subscription): (lot: LotMeta) => boolean {
  if ('bbox' in subscription) {
    const { bbox } = subscription;
    return (lot) => inBBox(lot, bbox);
  }
  const ids = subscription.ids;
  return (lot) => sortedHas(ids, lot.id);
}

const superseded: SubscribeAck = { error: { code: 'superseded', message: 'a newer subscribe from this socket replaced this one before it was answered' } };

export class SocketOutput {
  private io: KongweiServer | undefined;
  private readonly subscriptions = new Map<string, SubscriptionEntry>();
  /** Open Socket.IO connections per client address. */
  private readonly perIp = new Map<string, number>();
  private readonly pending: Coalescer<PendingLot>;
  private unsubscribe: (() => void)[] = [];

  constructor(private readonly options: SocketOutputOptions) {
    this.pending = new Coalescer<PendingLot>({ intervalMs: options.pushIntervalMs, flush: (batch) => this.flush(batch), merge: mergePending });
  }

  start(): void {
    const { bus } = this.options;
    const clientIp = this.options.clientIp ?? ((req: IncomingMessage) => req.socket.remoteAddress ?? 'unknown');
    const io: KongweiServer = new Server(this.options.httpServer, {
      serveClient: false,
      // A subscription of 1,000 ids fits; nothing a client sends needs more.
      maxHttpBufferSize: MAX_SOCKET_MESSAGE_BYTES,
      // Refused at the handshake, before a socket exists (counted again at the connection: handshakes overlap).
      allowRequest: (req, callback) => {
        const full = (this.perIp.get(clientIp(req)) ?? 0) >= this.options.socketsPerIp;
        callback(full ? 'too many connections from this address (SOCKETS_PER_IP)' : null, !full);
      },
    });
    this.io = io;
    io.engine.on('connection', (raw: { request: IncomingMessage; close(): void; once(event: 'close', listener: () => void): void }) => {
      const ip = clientIp(raw.request);
      const open = (this.perIp.get(ip) ?? 0) + 1;
      this.perIp.set(ip, open);
      raw.once('close', () => {
        const left = (this.perIp.get(ip) ?? 1) - 1;
        if (left <= 0) this.perIp.delete(ip);
        else this.perIp.set(ip, left);
      });
      if (open > this.options.socketsPerIp) raw.close();
    });
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
    const { metrics } = this.options;
    metrics.socketClients.inc();
    socket.on('disconnect', () => {
      metrics.socketClients.dec();
      socket.data.next = undefined;
    });
    socket.on('subscribe', (raw, ack) => {
      if (typeof ack !== 'function') return;
      this.onSubscribe(socket, raw, ack);
    });
  }

  /** One subscribe answered at a time per socket; of those waiting, only the newest (the others are superseded). */
  private onSubscribe(socket: KongweiSocket, raw: unknown, ack: (answer: SubscribeAck) => void): void {
    if (socket.data.subscribing) {
      socket.data.next?.ack(superseded);
      socket.data.next = { raw, ack };
      return;
    }
    socket.data.subscribing = true;
    void this.subscribeNow(socket, raw, ack).finally(() => {
      socket.data.subscribing = false;
      const next = socket.data.next;
      socket.data.next = undefined;
      if (next && socket.connected) this.onSubscribe(socket, next.raw, next.ack);
    });
  }

  private async subscribeNow(socket: KongweiSocket, raw: unknown, ack: (answer: SubscribeAck) => void): Promise<void> {
    const parsed = subscriptionSchema.safeParse(raw);
    if (!parsed.success) return ack({ error: { code: 'validation_failed', message: validationError('subscription', parsed.error).message } });
    const { catalog, views, log } = this.options;
    let subscription = parsed.data as Subscription;
    let lots: LotMeta[];
    if ('ids' in subscription) {
      // Only lots that exist: made-up ids are dropped here and cost nothing. The
      // list keeps the catalog's own strings, sorted, once each.
      lots = [...new Set(subscription.ids)].flatMap((id) => catalog.get(id) ?? []).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      subscription = { ids: lots.map((lot) => lot.id), fields: subscription.fields ?? 'all' };
    } else {
      const { bbox } = subscription;
      lots = [...catalog.all()].filter((lot) => inBBox(lot, bbox));
      if (lots.length > MAX_SNAPSHOT_LOTS) {
        const problem = `the area holds ${lots.length} lots, more than ${MAX_SNAPSHOT_LOTS}; subscribe to a smaller one`;
        return ack({ error: { code: 'validation_failed', message: validationError('subscription', { bbox: [problem] }).message } });
      }
    }
    try {
      if ('ids' in subscription && subscription.ids.length === 0) this.leave(socket);
      else this.join(socket, subscription);
      ack({ lots: await views.snapshot(lots) });
    } catch (err) {
      log.error({ err }, 'subscribe failed');
      ack({ error: { code: 'unavailable', message: 'live data is unavailable, try again' } });
    }
  }

  private leave(socket: KongweiSocket): void {
    if (socket.data.room) void socket.leave(socket.data.room);
    socket.data.room = undefined;
  }

  private join(socket: KongweiSocket, subscription: Subscription): string {
    const room = roomOf(subscription);
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
    const changed: { meta: LotMeta; view: LotView; whole: boolean; live?: LotLive; row?: LiveRow }[] = [];
    for (const [id, { change, whole }] of batch) {
      const meta = change && this.options.catalog.get(id);
      if (meta) changed.push({ meta, view: this.options.views.view(meta, change), whole: whole ?? false });
    }
    if (changed.length === 0) return;
    // Socket.IO encodes a room's message once for all its sockets (and frames it once for the
    // WebSocket ones); each list is built once per room, each lot's live fields and row once per flush.
    let at: number | undefined;
    for (const { room, matches, fields } of this.subscriptions.values()) {
      const matched = changed.filter(({ meta }) => matches(meta));
      if (matched.length === 0) continue;
      if (fields === 'all') {
        io.local.to(room).emit('lots:update', matched.map(({ view }) => view));
        continue;
      }
      const wholeLots = matched.filter((entry) => entry.whole).map(({ view }) => view);
      const liveOnly = matched.filter((entry) => !entry.whole);
      if (wholeLots.length > 0) io.local.to(room).emit('lots:update', wholeLots);
      if (liveOnly.length === 0) continue;
      const liveOf = (entry: (typeof changed)[number]) => (entry.live ??= liveFieldsOf(entry.view));
      if (fields === 'live') {
        io.local.to(room).emit('lots:live', liveOnly.map(liveOf));
        continue;
      }
      const base = (at ??= rowsBase(changed.map(({ view }) => view)));
      io.local.to(room).emit('lots:rows', { at: base, rows: liveOnly.map((entry) => (entry.row ??= toLiveRow(liveOf(entry), base))) });
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
