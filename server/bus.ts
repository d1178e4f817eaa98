// The service's internal event bus (after Zigbee2MQTT's eventBus): producers
// emit what happened, consumers subscribe themselves in their start(). The
// event map is typed, so a renamed event or a changed payload fails to
// compile at every producer and consumer. Each listener is isolated: one that
// throws (or rejects) is logged and the others still run.
import type { AppliedLot, CatalogChange, ChangeOrigin, RejectedMessage } from './domain/changes.ts';
import type { LiveChange } from './domain/live.ts';
import type { Logger } from './log.ts';

export interface BusEvents {
  /** Live changes from the store's feed, applied by this or any other instance (live/feed.ts, the one follower). */
  'live.changed': [changes: readonly LiveChange[]];
  /** The feed may have missed changes and the follower has read every lot afresh: readers should refresh. */
  'live.resync': [];
  /** A lot's metadata, once committed: here ('local') or on another instance ('peer'). */
  'catalog.changed': [change: CatalogChange, origin: ChangeOrigin];
  /** Lots whose live state this instance changed, with the state committed (ingest, operators' capacity edits). */
  'lot.applied': [lots: readonly AppliedLot[]];
  /** Stale transitions this instance claimed (of several instances, one claims each). */
  'stale.claimed': [lotIds: readonly string[]];
  /** Lots that opened or closed by their opening hours. */
  'hours.flipped': [lotIds: readonly string[]];
  /** Gateway credentials or their lots changed (created, assigned, revoked, an operator disabled): here (no origin, or 'local') or on another instance ('peer', via catalog/sync.ts). */
  'gateways.changed': [origin?: ChangeOrigin];
  /** A gateway's status was applied here (every instance applies every status, in the order they arrive). */
  'gateway.status': [status: { gatewayId: string; online: boolean }];
  /** A webhook was created or changed (its events, target, on or off): the alerts part catches it up. */
  'webhooks.changed': [webhookId: string];
  /** A delivery was queued or queued again outside the alerts part (a ping, a redelivery): the dispatcher looks now. */
  'webhooks.queued': [];
  /** An ingested message was refused. */
  'message.rejected': [rejected: RejectedMessage, payload: Uint8Array, publisher: string | undefined];
}

export type BusEvent = keyof BusEvents;
type Listener<E extends BusEvent> = (...args: BusEvents[E]) => unknown;

export class Bus {
  private readonly listeners = new Map<BusEvent, Set<Listener<never>>>();

  constructor(private readonly log?: Logger) {}

  /** Subscribes; returns the call that unsubscribes (for the subscriber's stop()). */
  on<E extends BusEvent>(event: E, listener: Listener<E>): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as Listener<never>);
    return () => set.delete(listener as Listener<never>);
  }

  emit<E extends BusEvent>(event: E, ...args: BusEvents[E]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const listener of set) {
      try {
        const result = (listener as Listener<E>)(...args);
        if (result instanceof Promise) result.catch((err: unknown) => this.failed(event, err));
      } catch (err) {
        this.failed(event, err);
      }
    }
  }

  /**
   * Emits, and resolves once every listener's work is done (failures logged,
   * as with emit). For a change that must have taken effect before the caller
   * answers: a disabled operator's gateways refused by the time the DELETE says 204.
   */
  async emitAndWait<E extends BusEvent>(event: E, ...args: BusEvents[E]): Promise<void> {
    const set = this.listeners.get(event);
    if (!set) return;
    const pending: Promise<unknown>[] = [];
    for (const listener of set) {
      try {
        const result = (listener as Listener<E>)(...args);
        if (result instanceof Promise) pending.push(result.catch((err: unknown) => this.failed(event, err)));
      } catch (err) {
        this.failed(event, err);
      }
    }
    await Promise.all(pending);
  }

  listenerCount(event: BusEvent): number {
    return this.listeners.get(event)?.size ?? 0;
  }

  private failed(event: BusEvent, err: unknown): void {
    this.log?.error({ event, err: err instanceof Error ? err.message : String(err) }, 'a bus listener failed; the others ran');
  }
}
