// The catalog: lot metadata from SQL, held in memory for the hot paths
// (ingest checks every event's lot; searches scan every lot). SQL stays the
// source of truth; the cache is loaded at start and then changed only through
// apply(), which tells the rest of the service on the bus ('catalog.changed').
import { isDeepStrictEqual } from 'node:util';
import type { Knex } from 'knex';
import type { Bus } from '../bus.ts';
import type { CatalogChange, ChangeOrigin } from '../domain/changes.ts';
import type { LotMeta } from '../domain/lot.ts';
import { LotRepository } from './repository.ts';

export type { CatalogChange, ChangeOrigin };

/** The change that turns `cached` into `fresh`, or undefined when they are the same. */
function diff(cached: LotMeta | undefined, fresh: LotMeta | undefined): CatalogChange | undefined {
  if (!cached) return fresh ? { kind: 'added', lot: fresh } : undefined;
  if (!fresh) return { kind: 'removed', lot: cached };
  return isDeepStrictEqual(cached, fresh) ? undefined : { kind: 'changed', lot: fresh, previous: cached };
}

export interface CatalogOptions {
  db: Knex;
  bus: Bus;
  /** Lots written to an empty catalog at start (SEED_LOTS). */
  seed?: readonly LotMeta[];
}

export class Catalog {
  private readonly repository: LotRepository;
  private lots = new Map<string, LotMeta>();
  private seededCount = 0;

  constructor(private readonly options: CatalogOptions) {
    this.repository = new LotRepository(options.db);
  }

  /** Loads every lot; seeds first when the catalog is empty. */
  async start(): Promise<void> {
    const seed = this.options.seed ?? [];
    if (seed.length > 0 && (await this.repository.count()) === 0) {
      await this.repository.insertMissing(seed);
      this.seededCount = seed.length;
    }
    await this.reload();
  }

  stop(): void {}

  /** How many lots the last start() seeded. */
  get seeded(): number {
    return this.seededCount;
  }

  async reload(): Promise<void> {
    const lots = await this.repository.list();
    this.lots = new Map(lots.map((lot) => [lot.id, lot]));
  }

  /**
   * The one way the cache changes after start: a write committed to SQL is
   * applied here, and the bus tells every part that reacts (sockets, the
   * broker's credentials, the retained output, the other instances).
   * With several instances on one database (DESIGN.md §2), this is the call
   * to fan out to every instance (e.g. over Redis pub/sub).
   */
  apply(change: CatalogChange, origin: ChangeOrigin = 'local'): void {
    if (change.kind === 'removed') this.lots.delete(change.lot.id);
    else this.lots.set(change.lot.id, change.lot);
    this.options.bus.emit('catalog.changed', change, origin);
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

  ids(): string[] {
    return [...this.lots.keys()];
  }

  get size(): number {
    return this.lots.size;
  }
}
