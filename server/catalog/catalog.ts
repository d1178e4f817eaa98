// The catalog: lot metadata from SQL, held in memory for the hot paths
// (ingest checks every event's lot; searches scan every lot). SQL stays the
// source of truth; the cache is loaded at start and then changed only through
// apply(), which also tells the rest of the service (realtime, gateway auth).
import { EventEmitter } from 'node:events';
import { isDeepStrictEqual } from 'node:util';
import type { Knex } from 'knex';
import type { LotMeta } from '../domain/lot.ts';
import { LotRepository } from './repository.ts';

/** A change to the catalog, once it is committed to SQL. */
export type CatalogChange =
  | { kind: 'added'; lot: LotMeta }
  | { kind: 'changed'; lot: LotMeta; previous: LotMeta }
  | { kind: 'removed'; lot: LotMeta };

/** Where a change was made: here (a write through this instance), or on another instance sharing the database. */
export type ChangeOrigin = 'local' | 'peer';

export interface CatalogEvents {
  change: [change: CatalogChange, origin: ChangeOrigin];
}

/** The change that turns `cached` into `fresh`, or undefined when they are the same. */
function diff(cached: LotMeta | undefined, fresh: LotMeta | undefined): CatalogChange | undefined {
  if (!cached) return fresh ? { kind: 'added', lot: fresh } : undefined;
  if (!fresh) return { kind: 'removed', lot: cached };
  return isDeepStrictEqual(cached, fresh) ? undefined : { kind: 'changed', lot: fresh, previous: cached };
}

export class Catalog extends EventEmitter<CatalogEvents> {
  private readonly repository: LotRepository;
  private lots = new Map<string, LotMeta>();

  constructor(db: Knex) {
    super();
    this.repository = new LotRepository(db);
  }

  /** Loads every lot; seeds `seed` first when the catalog is empty. Returns how many were seeded. */
  async start(seed: readonly LotMeta[] = []): Promise<number> {
    let seeded = 0;
    if (seed.length > 0 && (await this.repository.count()) === 0) {
      await this.repository.insertMissing(seed);
      seeded = seed.length;
    }
    await this.reload();
    return seeded;
  }

  async reload(): Promise<void> {
    const lots = await this.repository.list();
    this.lots = new Map(lots.map((lot) => [lot.id, lot]));
  }

  /**
   * The one way the cache changes after start: a write committed to SQL is
   * applied here, and listeners react (sockets, the broker's credentials).
   * With several instances on one database (DESIGN.md §2), this is the call
   * to fan out to every instance (e.g. over Redis pub/sub).
   */
  apply(change: CatalogChange, origin: ChangeOrigin = 'local'): void {
    if (change.kind === 'removed') this.lots.delete(change.lot.id);
    else this.lots.set(change.lot.id, change.lot);
    this.emit('change', change, origin);
  }

  /**
   * Another instance changed this lot in SQL: reads it again and applies the
   * difference to the cache, as if the write had been made here.
   */
  async syncLot(id: string): Promise<void> {
    const fresh = await this.repository.get(id);
    const change = diff(this.lots.get(id), fresh);
    if (change) this.apply(change, 'peer');
  }

  /** Reads every lot again and applies each difference (after missing peers' news). */
  async resync(): Promise<number> {
    const fresh = new Map((await this.repository.list()).map((lot) => [lot.id, lot]));
    const changes: CatalogChange[] = [];
    for (const [id, lot] of fresh) {
      const change = diff(this.lots.get(id), lot);
      if (change) changes.push(change);
    }
    for (const [id, lot] of this.lots) if (!fresh.has(id)) changes.push({ kind: 'removed', lot });
    for (const change of changes) this.apply(change, 'peer');
    return changes.length;
  }

  get(id: string): LotMeta | undefined {
    return this.lots.get(id);
  }

  all(): IterableIterator<LotMeta> {
    return this.lots.values();
  }

  get size(): number {
    return this.lots.size;
  }
}
