// Generated catalogs for the benchmark, written with the project's own
// migrations and repository.
import { LotRepository } from '../server/catalog/repository.ts';
import { createDatabase, migrate } from '../server/catalog/db.ts';
import { lotMetaSchema, type LotMeta } from '../server/domain/lot.ts';
import type { BBox } from '../server/domain/geo.ts';
import { seedLots } from '../db/seed.ts';
import { random } from '../server/domain/forecast/synthetic.ts';

/** Shibei District, roughly: the area the drivers' map shows. */
export const DISTRICT_BBOX: BBox = [120.31, 36.06, 120.40, 36.12];
/** Greater Qingdao, for the 10,000-lot search catalog. */
export const CITY_BBOX: BBox = [120.10, 35.95, 120.65, 36.35];

/** A deterministic pseudo-random sequence (mulberry32, the synthetic year's), so runs compare. */
export const seeded = random;

export function generateLots(count: number, bbox: BBox, prefix: string, seed = 1): LotMeta[] {
  const random = seeded(seed);
  const [minLon, minLat, maxLon, maxLat] = bbox;
  return Array.from({ length: count }, (_, i) =>
    lotMetaSchema.parse({
      id: `${prefix}-${i}`,
      name: `测试停车场 ${i}`,
      nameEn: `Bench Car Park ${i}`,
      lat: Number((minLat + random() * (maxLat - minLat)).toFixed(6)),
      lon: Number((minLon + random() * (maxLon - minLon)).toFixed(6)),
      type: 'surface',
      status: 'open',
      capacity: 100_000,
    }),
  );
}

/** The seeded Shibei lots (opened, with room for any burst) plus generated district lots. */
export function districtLots(total: number): LotMeta[] {
  const seeds = seedLots().map((lot) => ({ ...lot, status: 'open' as const, capacity: 100_000 }));
  return [...seeds, ...generateLots(Math.max(0, total - seeds.length), DISTRICT_BBOX, 'bench-district', 7)];
}

export async function writeCatalog(dataDir: string, lots: readonly LotMeta[]): Promise<void> {
  const db = createDatabase({ dataDir });
  try {
    await migrate(db);
    await new LotRepository(db).insertMissing(lots);
  } finally {
    await db.destroy();
  }
}
