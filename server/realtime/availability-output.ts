// The retained `{base}/lots/{lot}/availability` output, for roadside signs
// and other MQTT consumers. The instance that changed a lot (applied an event
// or a status, claimed its stale transition, wrote it as an operator)
// publishes it, so with several instances each change is published once;
// coalesced per lot like the socket pushes, and skipped when the payload did
// not change. It is fed the state the store committed ('lot.applied'); for
// changes that bring no state (a stale claim, opening hours, a catalog edit)
// it takes the lot's state from the live mirror, never a read of its own. At
// start every lot is published once (retained, so this is idempotent), which
// also repairs anything a crash left unpublished.
import type { Bus } from '../bus.ts';
import type { Catalog } from '../catalog/catalog.ts';
import { availabilityTopic, toAvailabilityPayload } from '../domain/events.ts';
import type { LiveState } from '../domain/live.ts';
import type { LiveFeed } from '../live/feed.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import type { LotViews } from '../query/lot-views.ts';
import { Coalescer } from './coalescer.ts';

/** How an output publishes to the broker (the MQTT transport's publish). */
export type Publish = (topic: string, payload: string, options: { qos: 0 | 1; retain: boolean }) => Promise<void>;

export interface AvailabilityOutputOptions {
  baseTopic: string;
  catalog: Catalog;
  views: LotViews;
  feed: LiveFeed;
  bus: Bus;
  publish: Publish;
  intervalMs: number;
  log: Logger;
  metrics: Metrics;
}

/** A lot to publish: with the state committed here, or null to take the mirror's. */
type Pending = LiveState | null;

/**
 * The newer of the state committed here and the mirror's. The mirror may not
 * have this instance's commit yet (the feed is a moment behind), or may
 * already have a later commit by another instance (lots' messages are shared
 * among instances): the later event received, then the later sign of life, wins.
 */
function newer(given: LiveState | null, mirrored: LiveState | null): LiveState | null {
  if (!given || !mirrored) return given ?? mirrored;
  const key = (s: LiveState): [number, number] => [s.receivedAt ?? 0, s.aliveAt ?? s.ts ?? 0];
  const [g, m] = [key(given), key(mirrored)];
  return m[0] > g[0] || (m[0] === g[0] && m[1] > g[1]) ? mirrored : given;
}

export class AvailabilityOutput {
  private readonly coalescer: Coalescer<Pending>;
  /** The payload last published per lot, to skip publishing the same again. */
  private readonly published = new Map<string, string>();
  private unsubscribe: (() => void)[] = [];

  constructor(private readonly options: AvailabilityOutputOptions) {
    this.coalescer = new Coalescer<Pending>({
      intervalMs: options.intervalMs,
      flush: (batch) => this.publish(batch),
      merge: (pending, next) => next ?? pending,
    });
  }

  /** Publishes every lot once, then the lots that change. */
  start(): void {
    const { bus } = this.options;
    this.unsubscribe = [
      bus.on('lot.applied', (lots) => {
        for (const { id, state } of lots) this.coalescer.add(id, state);
      }),
      bus.on('stale.claimed', (ids) => this.schedule(ids)),
      bus.on('hours.flipped', (ids) => this.schedule(ids)),
      bus.on('catalog.changed', (change, origin) => {
        // Each instance's catalog hears of every write; the one that made it publishes.
        if (origin !== 'local') return;
        if (change.kind === 'removed') this.remove(change.lot.id);
        else this.schedule([change.lot.id]);
      }),
    ];
    this.schedule(this.options.catalog.ids());
  }

  /**
   * Stops publishing. A flush under way gets a moment to finish; while the
   * broker is away it would never (the publishes wait for a reconnection), and
   * what it held is published again at the next start anyway.
   */
  async stop(graceMs = 2000): Promise<void> {
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
    await this.coalescer.stop(graceMs);
  }

  /** Publishes these lots as the live mirror has them, with the next batch. */
  schedule(lotIds: Iterable<string>): void {
    for (const id of lotIds) this.coalescer.add(id, null);
  }

  /** Publishes what is scheduled now; resolves when the broker has it. */
  flush(): Promise<void> {
    return this.coalescer.flushNow();
  }

  /** A deleted lot: its retained message is cleared (an empty retained payload), so signs stop showing it. */
  private remove(lotId: string): void {
    this.coalescer.delete(lotId);
    this.published.delete(lotId);
    const { baseTopic, log } = this.options;
    this.options.publish(availabilityTopic(baseTopic, lotId), '', { qos: 1, retain: true }).catch((err: Error) =>
      log.warn({ err: err.message, lot: lotId }, 'could not clear the retained availability of a deleted lot'),
    );
  }

  private async publish(batch: Map<string, Pending>): Promise<void> {
    const { catalog, views, feed, baseTopic, log, metrics } = this.options;
    const failed: [string, Pending][] = [];
    await Promise.all(
      [...batch].map(async ([id, given]) => {
        const meta = catalog.get(id);
        if (!meta) return;
        const view = views.view(meta, newer(given, feed.get(id) ?? null));
        const payload = JSON.stringify(toAvailabilityPayload(view));
        if (this.published.get(id) === payload) return;
        try {
          await this.options.publish(availabilityTopic(baseTopic, id), payload, { qos: 1, retain: true });
          this.published.set(id, payload);
          metrics.availabilityPublished.inc();
        } catch {
          failed.push([id, given]);
        }
      }),
    );
    if (failed.length > 0) {
      // The broker is away: these lots go again with the next batch.
      for (const [id, given] of failed) if (this.coalescer.get(id) === undefined) this.coalescer.add(id, given);
      log.warn({ lots: failed.length }, 'could not publish lot availability; will retry');
    }
  }
}
