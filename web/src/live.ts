// A page's live feed (DESIGN.md §4) over Socket.IO: subscribes, takes the
// snapshot in the acknowledgement, then the coalesced `lots:rows`,
// `lots:update` and `lots:remove` pushes. After a reconnect it subscribes
// again for a fresh snapshot. It follows one of two targets:
// - the area around a map's view (the drivers' page), with `fields: "rows"`,
//   so a live change brings only the fields that move, as rows of values
//   (read back into lots' live fields here). It subscribes anew
//   only when the view leaves the area it holds (or shrinks well inside it),
//   so small pans cost nothing;
// - a list of lot ids (the operator page's own lots), with whole lots pushed;
//   the page calls resubscribe() when its list changes.
import type L from 'leaflet';
import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, LotLive, ServerToClientEvents, SubscribeAck, Subscription } from '../../server/domain/contract.ts';
import { bboxContains, snapToGrid, type BBox } from '../../server/domain/geo.ts';
import { fromLiveRows } from '../../server/domain/live-rows.ts';
import type { LotView } from '../../server/domain/lot.ts';
import { mergeEarly, type Push } from './live-order.ts';

export interface LiveHandlers {
  /** The lots of the (new) subscription. `fresh`: the first after a (re)connect, which replaces everything held. */
  snapshot(lots: LotView[], fresh: boolean): void;
  update(lots: LotView[]): void;
  /** Live fields of lots already held. */
  live(lots: LotLive[]): void;
  remove(ids: string[]): void;
  connection(connected: boolean): void;
}

/**
 * What the feed follows: the area around a map's view, or the lots whose ids
 * `ids()` gives (none: no subscription). An area is subscribed to in WGS-84:
 * `bbox` turns the map's bounds into it when the tiles are drawn in another
 * system (map-coords.ts).
 */
export type LiveTarget = { area: L.Map; bbox?: (bounds: L.LatLngBounds) => BBox } | { ids: () => Iterable<string> };

const RESUBSCRIBE_DELAY_MS = 250;
const RETRY_DELAY_MS = 2000;
/** How much larger than the view the subscribed area is, on each side. */
const PAD = 0.5;
/**
 * Subscribe anew when the view has shrunk (zoomed in) to this share of the
 * subscribed area's: after zooming in three levels, when the pushes for lots
 * far out of view start to outweigh a new snapshot.
 */
const SHRUNK_SHARE = 1 / 100;

function bboxOf(bounds: L.LatLngBounds): BBox {
  const clampLat = (v: number) => Math.max(-90, Math.min(90, v));
  const clampLon = (v: number) => Math.max(-180, Math.min(180, v));
  return [clampLon(bounds.getWest()), clampLat(bounds.getSouth()), clampLon(bounds.getEast()), clampLat(bounds.getNorth())];
}

export class LiveLots {
  private readonly socket: Socket<ServerToClientEvents, ClientToServerEvents>;
  /** The area subscribed to (an area target only). */
  private subscribed: BBox | undefined;
  /** Whether the next snapshot is the first since a (re)connect. */
  private fresh = true;
  /** Numbers each subscribe, so the answer to an older one is ignored. */
  private attempt = 0;
  private resubscribeTimer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  /**
   * Pushes received while a subscribe waits for its answer. The server joins
   * the socket to the subscription, then reads the snapshot: a push sent in
   * between may be older than the snapshot or newer, and arrives before it.
   * Held here, each is merged into the snapshot when newer (by `heardAt`) and
   * dropped when older, so a page neither loses a change nor goes back in time.
   */
  private early: Push[] | undefined;
  private readonly onMoveEnd = () => {
    clearTimeout(this.resubscribeTimer);
    this.resubscribeTimer = setTimeout(() => {
      if (this.needsResubscribe()) this.subscribe();
    }, RESUBSCRIBE_DELAY_MS);
  };

  constructor(
    private readonly target: LiveTarget,
    private readonly handlers: LiveHandlers,
  ) {
    this.socket = io({ transports: ['websocket', 'polling'] });
  }

  start(): void {
    const { socket, handlers } = this;
    const connected = () => {
      handlers.connection(true);
      this.fresh = true;
      this.subscribe();
    };
    socket.on('connect', connected);
    // The socket connects from the constructor on: it may be connected already.
    if (socket.connected) connected();
    socket.on('disconnect', (reason) => {
      handlers.connection(false);
      this.subscribed = undefined;
      this.early = undefined;
      // The server closed this socket on purpose (it is stopping): Socket.IO
      // does not reconnect by itself then, so try again after a pause.
      if (reason === 'io server disconnect') setTimeout(() => !this.stopped && socket.connect(), RETRY_DELAY_MS);
    });
    socket.on('connect_error', () => handlers.connection(false));
    // While a subscribe waits for its answer, pushes are held (see `early`).
    socket.on('lots:update', (lots) => (this.early ? this.early.push({ kind: 'update', lots }) : handlers.update(lots)));
    const live = (lots: LotLive[]) => (this.early ? this.early.push({ kind: 'live', lots }) : handlers.live(lots));
    socket.on('lots:live', live);
    socket.on('lots:rows', (push) => live(fromLiveRows(push)));
    socket.on('lots:remove', (ids) => (this.early ? this.early.push({ kind: 'remove', ids }) : handlers.remove(ids)));
    if ('area' in this.target) this.target.area.on('moveend', this.onMoveEnd);
  }

  /** Subscribes again now: the list of ids changed (an area follows the map by itself). */
  resubscribe(): void {
    this.subscribe();
  }

  /** Closes the feed for good (the operator signed out). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.resubscribeTimer);
    if ('area' in this.target) this.target.area.off('moveend', this.onMoveEnd);
    this.socket.disconnect();
  }

  private bboxOf(bounds: L.LatLngBounds): BBox {
    return 'area' in this.target && this.target.bbox ? this.target.bbox(bounds) : bboxOf(bounds);
  }

  private needsResubscribe(): boolean {
    if (!('area' in this.target)) return false;
    if (!this.subscribed) return true;
    const view = this.bboxOf(this.target.area.getBounds());
    if (!bboxContains(this.subscribed, view)) return true;
    const [w, s, e, n] = this.subscribed;
    return (view[2] - view[0]) * (view[3] - view[1]) < SHRUNK_SHARE * (e - w) * (n - s);
  }

  /** What to subscribe to now; undefined when there is nothing to follow (no ids). */
  private subscription(): { subscription: Subscription; bbox?: BBox } | undefined {
    if ('ids' in this.target) {
      const ids = [...this.target.ids()];
      return ids.length ? { subscription: { ids } } : undefined;
    }
    const bbox = snapToGrid(this.bboxOf(this.target.area.getBounds().pad(PAD)));
    return { subscription: { bbox: [...bbox] as [number, number, number, number], fields: 'rows' }, bbox };
  }

  private subscribe(): void {
    if (!this.socket.connected) return;
    const next = this.subscription();
    if (!next) return;
    const attempt = ++this.attempt;
    this.early ??= [];
    this.socket.emit('subscribe', next.subscription, (answer: SubscribeAck) => {
      if (attempt !== this.attempt) return;
      const early = this.early ?? [];
      this.early = undefined;
      if ('error' in answer) {
        this.replay(early);
        console.warn('subscribe failed:', answer.error.message);
        // A list of ids the server refuses (more than it takes) would be refused
        // again; an area is taken anew from the map, and "unavailable" passes.
        const retry = 'area' in this.target || answer.error.code !== 'validation_failed';
        if (retry) setTimeout(() => attempt === this.attempt && this.subscribe(), RETRY_DELAY_MS);
        return;
      }
      this.subscribed = next.bbox;
      const fresh = this.fresh;
      this.fresh = false;
      const { snapshot, rest } = mergeEarly(answer.lots, early);
      this.handlers.snapshot(snapshot, fresh);
      this.replay(rest);
    });
  }

  private replay(pushes: Push[]): void {
    for (const push of pushes) {
      if (push.kind === 'update') this.handlers.update(push.lots);
      else if (push.kind === 'live') this.handlers.live(push.lots);
      else this.handlers.remove(push.ids);
    }
  }
}
