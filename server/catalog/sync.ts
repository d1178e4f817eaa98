// Several instances on one database (DESIGN.md §2): a lot written through one
// instance must reach every instance's catalog cache — the ingest stage checks
// events against it, searches scan it, sockets are told from it. Each local
// write is announced on a Redis channel; the others read that lot again from
// SQL (the source of truth) and apply the difference, which pushes it to
// their own sockets. After a lost connection an instance re-reads the whole
// catalog, so a missed announcement costs a moment, not a wrong map. A read
// that fails (SQL unreachable) is tried again until it succeeds: the cache
// keeps serving meanwhile, and catches up by itself when SQL is back.
import { randomUUID } from 'node:crypto';
import type { Bus } from '../bus.ts';
import type { Logger } from '../log.ts';
import { connectRedis, FeedSubscriber, type RedisClient, type RedisTarget } from '../redis.ts';
import type { Catalog } from './catalog.ts';

/** The wait before the n-th retry of a failed read: 0.25 s, 0.5 s, … at most 5 s. */
const retryDelayMs = (attempt: number) => Math.min(250 * attempt, 5000);

/** A lot changed (`id`), or the gateways' credentials did (`gateways`: the others reload them at once). */
interface Announcement {
  origin: string;
  id?: string;
  gateways?: true;
}

export interface CatalogSyncOptions extends RedisTarget {
  keyPrefix: string;
  catalog: Catalog;
  bus: Bus;
  log: Logger;
}

export class CatalogSync {
  readonly instanceId = randomUUID();
  private publisher: RedisClient | undefined;
  private subscriber: FeedSubscriber | undefined;
  private readonly channel: string;
  private readonly syncing = new Map<string, Promise<void>>();
  private unsubscribe: (() => void) | undefined;
  private stopped = false;
  /** Retries waiting for their turn; stop() ends each wait at once. */
  private readonly waits = new Set<() => void>();

  constructor(private readonly options: CatalogSyncOptions) {
    this.channel = `${options.keyPrefix}catalog`;
  }

  async start(): Promise<void> {
    this.stopped = false;
    const { log, catalog } = this.options;
    this.publisher = connectRedis(this.options, { lazyConnect: true, retryStrategy: (attempt: number) => Math.min(100 * attempt, 2000), maxRetriesPerRequest: 3 });
    this.publisher.on('error', () => {});
    // After a lost connection, announcements were missed: the whole catalog is read again (retried until SQL answers).
    const subscriber = new FeedSubscriber(this.options, {
      message: (_channel, message) => this.onAnnouncement(message),
      reconnect: () =>
        void this.untilDone('re-read the catalog after a lost connection to Redis', () => catalog.resync()).then(
          (n) => n !== undefined && n > 0 && log.info({ changes: n }, 'catalog re-read after a lost connection to Redis'),
        ),
    });
    this.subscriber = subscriber;
    await this.publisher.connect();
    await subscriber.start([this.channel]);
    const offs = [
      this.options.bus.on('catalog.changed', (change, origin) => {
        if (origin === 'local') this.announce({ id: change.lot.id });
      }),
      // A disabled operator's or a revoked gateway's credentials stop working on every instance at once, not at its next periodic reload.
      this.options.bus.on('gateways.changed', (origin) => {
        if (origin !== 'peer') this.announce({ gateways: true });
      }),
    ];
    this.unsubscribe = () => offs.forEach((off) => off());
    // Lots written between loading the catalog and subscribing were announced to no one here.
    await catalog.resync();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const endWait of [...this.waits]) endWait();
    this.unsubscribe?.();
    await Promise.allSettled([this.subscriber?.stop(), this.publisher?.quit()]);
    this.publisher?.disconnect();
  }

  private announce(what: { id: string } | { gateways: true }): void {
    const message: Announcement = { origin: this.instanceId, ...what };
    this.publisher?.publish(this.channel, JSON.stringify(message)).catch((err: Error) =>
      this.options.log.error({ err: err.message, ...what }, 'could not announce a catalog change to the other instances'),
    );
  }

  private onAnnouncement(message: string): void {
    let announcement: Announcement;
    try {
      announcement = JSON.parse(message) as Announcement;
    } catch {
      return;
    }
    if (announcement.origin === this.instanceId) return;
    if (announcement.gateways === true) return void this.options.bus.emit('gateways.changed', 'peer');
    if (typeof announcement.id !== 'string') return;
    const { id } = announcement;
    // One read at a time per lot, in the order announced: two reads racing
    // through the connection pool could otherwise land the older one last.
    const previous = this.syncing.get(id) ?? Promise.resolve();
    const next = previous
      .then(() => this.untilDone(`read lot "${id}", which another instance changed`, () => this.options.catalog.syncLot(id)))
      .then(() => {})
      .finally(() => {
        if (this.syncing.get(id) === next) this.syncing.delete(id);
      });
    this.syncing.set(id, next);
  }

  /**
   * Runs a read until it succeeds, waiting longer after each failure (SQL
   * down, restarting); undefined if the sync stopped first.
   */
  private async untilDone<T>(what: string, read: () => Promise<T>): Promise<T | undefined> {
    for (let attempt = 1; !this.stopped; attempt++) {
      try {
        return await read();
      } catch (err) {
        if (this.stopped) break;
        if (attempt === 1 || attempt % 10 === 0) {
          this.options.log.error({ err: (err as Error).message, attempt }, `could not ${what}; trying again`);
        }
        await new Promise<void>((resolve) => {
          const endWait = () => {
            clearTimeout(timer);
            this.waits.delete(endWait);
            resolve();
          };
          const timer = setTimeout(endWait, retryDelayMs(attempt));
          this.waits.add(endWait);
        });
      }
    }
    return undefined;
  }
}
