// The catalog: lot metadata from SQL, held in memory for the hot paths
// (ingest checks every event's lot; searches scan every lot). SQL stays the
// source of truth; the cache is loaded at start.
import type { Knex } from 'knex';
import type { LotMeta } from '../domain/lot.ts';
import { LotRepository } from './repository.ts';

export class Catalog {
  private readonly repository: LotRepository;
  private lots = new Map<string, LotMeta>();

  constructor(db: Knex) {
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
