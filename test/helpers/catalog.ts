// Catalogs for tests: in memory, for the parts that only read it; or the
// real one on a fresh SQLite file with the seeded Shibei lots.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Knex } from 'knex';
import { seedLots } from '../../db/seed.ts';
import { Bus } from '../../server/bus.ts';
import { Catalog } from '../../server/catalog/catalog.ts';
import { createDatabase, migrate } from '../../server/catalog/db.ts';
import { lotMetaSchema, type LotMeta } from '../../server/domain/lot.ts';

export function lotMeta(id: string, extra: Partial<LotMeta> = {}): LotMeta {
  return lotMetaSchema.parse({ id, name: id, lat: 36.09, lon: 120.37, type: 'surface', status: 'open', capacity: 32, ...extra });
}

export function catalogOf(lots: LotMeta[]): Catalog {
  const byId = new Map(lots.map((lot) => [lot.id, lot]));
  return { get: (id: string) => byId.get(id), all: () => byId.values(), ids: () => [...byId.keys()], size: byId.size } as unknown as Catalog;
}

/** The real catalog on a fresh SQLite file, seeded; close() removes it. */
export async function seededCatalog(): Promise<{ catalog: Catalog; db: Knex; bus: Bus; close: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'kongwei-catalog-'));
  const db = createDatabase({ dataDir: dir });
  await migrate(db);
  const bus = new Bus();
  const catalog = new Catalog({ db, bus, seed: seedLots() });
  await catalog.start();
  return {
    catalog,
    db,
    bus,
    close: async () => {
      await db.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
