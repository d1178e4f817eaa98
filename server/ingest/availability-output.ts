// The retained `{base}/lots/{lot}/availability` output, for roadside signs
// and other MQTT consumers. The instance that changed a lot (applied an event,
// or claimed its stale transition) publishes it, so with several instances
// each change is published once; coalesced per lot like the socket pushes,
// and skipped when the payload did not change. At start every lot is
// published once (retained, so this is idempotent), which also repairs
// anything a crash left unpublished.
import type { Catalog } from '../catalog/catalog.ts';
import { availabilityTopic, toAvailabilityPayload } from '../domain/events.ts';
import type { LotMeta } from '../domain/lot.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import type { LotViews } from '../query/lot-views.ts';
import type { PublishOptions } from './transport.ts';

export interface AvailabilityOutputOptions {
  baseTopic: string;
  catalog: Catalog;
  views: LotViews;
  publish: (topic: string, payload: string, options: PublishOptions) => Promise<void>;
  intervalMs: number;
  log: Logger;
  metrics: Metrics;
}

export class AvailabilityOutput {
  private pending = new Set<string>();
  /** The payload last published per lot, to skip publishing the same again. */
  private readonly published = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;

  constructor(private readonly options: AvailabilityOutputOptions) {}

  /** Publishes every lot once, then the lots scheduled, every `intervalMs`. */
  start(): void {
    this.schedule([...this.options.catalog.all()].map((lot) => lot.id));
    this.timer = setInterval(() => void this.flush(), this.options.intervalMs);
    this.timer.unref();
  }

  /**
   * Stops publishing. A flush under way gets a moment to finish; while the
   * broker is away it would never (the publishes wait for a reconnection), and
   * what it held is published again at the next start anyway.
   */
  async stop(graceMs = 2000): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (!this.flushing) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.flushing, new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
  }

  schedule(lotIds: Iterable<string>): void {
    for (const id of lotIds) this.pending.add(id);
  }

  /** A deleted lot: its retained message is cleared (an empty retained payload), so signs stop showing it. */
  remove(lotId: string): void {
    this.pending.delete(lotId);
    this.published.delete(lotId);
    const { baseTopic, log } = this.options;
    this.options.publish(availabilityTopic(baseTopic, lotId), '', { qos: 1, retain: true }).catch((err: Error) =>
      log.warn({ err: err.message, lot: lotId }, 'could not clear the retained availability of a deleted lot'),
    );
  }

  /** Publishes the scheduled lots' availability; resolves when the broker has them. */
  flush(): Promise<void> {
    if (this.flushing || this.pending.size === 0) return this.flushing ?? Promise.resolve();
    const ids = this.pending;
    this.pending = new Set();
    this.flushing = this.publish(ids).finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private async publish(ids: Set<string>): Promise<void> {
    const { catalog, views, baseTopic, log, metrics } = this.options;
    const metas = [...ids].flatMap((id) => catalog.get(id) ?? []) as LotMeta[];
    try {
      const lots = await views.viewsOf(metas);
      await Promise.all(
        lots.map(async (view) => {
          const payload = JSON.stringify(toAvailabilityPayload(view));
          if (this.published.get(view.id) === payload) return;
          await this.options.publish(availabilityTopic(baseTopic, view.id), payload, { qos: 1, retain: true });
          this.published.set(view.id, payload);
          metrics.availabilityPublished.inc();
        }),
      );
    } catch (err) {
      // The live store or the broker is away: try these lots again on the next tick.
      this.schedule(ids);
      log.warn({ err: (err as Error).message, lots: ids.size }, 'could not publish lot availability; will retry');
    }
  }
}
