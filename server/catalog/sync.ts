// Several instances on one database (DESIGN.md §2): a lot written through one
// instance must reach every instance's catalog cache — the ingest stage checks
// events against it, searches scan it, sockets are told from it. Each local
// write is announced on a Redis channel; the others read that lot again from
// SQL (the source of truth) and apply the difference, which pushes it to
// their own sockets. After a lost connection an instance re-reads the whole
// catalog, so a missed announcement costs a moment, not a wrong map.
import { randomUUID } from 'node:crypto';
import type { Bus } from '../bus.ts';
import type { Logger } from '../log.ts';
import { connectRedis, FeedSubscriber, type RedisClient, type RedisTarget } from '../redis.ts';
import type { Catalog } from './catalog.ts';

interface Announcement {
  origin: string;
  id: string;
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

  constructor(private readonly options: CatalogSyncOptions) {
    this.channel = `${options.keyPrefix}catalog`;
  }

  async start(): Promise<void> {
    const { log, catalog } = this.options;
    this.publisher = connectRedis(this.options, { lazyConnect: true, retryStrategy: (attempt: number) => Math.min(100 * attempt, 2000), maxRetriesPerRequest: 3 });
    this.publisher.on('error', () => {});
    // After a lost connection, announcements were missed: the whole catalog is read again.
    const subscriber = new FeedSubscriber(this.options, {
      message: (_channel, message) => this.onAnnouncement(message),
      reconnect: () =>
        void catalog.resync().then(
          (n) => n > 0 && log.info({ changes: n }, 'catalog re-read after a lost connection to Redis'),
          (err: Error) => log.error({ err: err.message }, 'could not re-read the catalog'),
        ),
    });
    this.subscriber = subscriber;
    await this.publisher.connect();
    await subscriber.start([this.channel]);
    this.unsubscribe = this.options.bus.on('catalog.changed', (change, origin) => {
      if (origin === 'local') this.announce(change.lot.id);
    });
    // Lots written between loading the catalog and subscribing were announced to no one here.
    await catalog.resync();
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    await Promise.allSettled([this.subscriber?.stop(), this.publisher?.quit()]);
    this.publisher?.disconnect();
  }

  private announce(id: string): void {
    const message: Announcement = { origin: this.instanceId, id };
    this.publisher?.publish(this.channel, JSON.stringify(message)).catch((err: Error) =>
      this.options.log.error({ err: err.message, lot: id }, 'could not announce a catalog change to the other instances'),
    );
  }

  private onAnnouncement(message: string): void {
    let announcement: Announcement;
    try {
      announcement = JSON.parse(message) as Announcement;
    } catch {
      return;
    }
    if (announcement.origin === this.instanceId || typeof announcement.id !== 'string') return;
    const { id } = announcement;
    // One read at a time per lot, in the order announced: two reads racing
    // through the connection pool could otherwise land the older one last.
    const previous = this.syncing.get(id) ?? Promise.resolve();
    const next = previous
      .then(() => this.options.catalog.syncLot(id))
      .catch((err: Error) => this.options.log.error({ err: err.message, lot: id }, 'could not read a lot another instance changed'))
      .finally(() => {
        if (this.syncing.get(id) === next) this.syncing.delete(id);
      });
    this.syncing.set(id, next);
  }
}
