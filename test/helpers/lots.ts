// Lots made up for a test, put into a running service's catalog through the
// same repository the service uses.
import { LotRepository } from '../../server/catalog/repository.ts';
import { bayKindMap, bayKindsDigest } from '../../server/domain/bay-kinds.ts';
import type { LotMeta } from '../../server/domain/lot.ts';
import type { Kongwei } from '../../server/app.ts';

/** A complete lot: an open surface lot in Shibei with no details, unless overridden. */
export function testLot(overrides: Partial<LotMeta> & Pick<LotMeta, 'id'>): LotMeta {
  return {
    name: `测试停车场 ${overrides.id}`, nameEn: `Test car park ${overrides.id}`, address: null,
    lat: 36.09, lon: 120.36, type: 'surface', status: 'open', capacity: 50, staleAfterS: null,
    openingHours: null, capacityDisabled: null, capacityCharging: null, capacityFamily: null, capacityWomen: null, baysCharging: null, baysDisabled: null, baysFamily: null, baysWomen: null,
    fee: null, priceInfo: null, priceInfoEn: null, maxHeightCm: null,
    ...overrides,
  };
}

/** Adds lots to the catalog (SQL, then the in-memory cache). */
export async function addLots(app: Kongwei, lots: readonly LotMeta[]): Promise<void> {
  await new LotRepository(app.db).insertMissing(lots);
  await app.catalog.reload();
  // As the service's start does (LotAdmin.syncBayKinds): the live store takes the bays by kind.
  for (const lot of lots) if (bayKindsDigest(lot) !== '') await app.store.setBayKinds(lot.id, bayKindMap(lot), bayKindsDigest(lot), Date.now());
}

/**
 * `count` lots spread evenly over a box around Shibei (about 9 × 7 km), with
 * a deterministic mix of types and capacities.
 */
export function generatedLots(count: number, prefix = 'gen'): LotMeta[] {
  const columns = Math.ceil(Math.sqrt(count));
  const types = ['surface', 'multi_storey', 'underground', 'on_street'] as const;
  return Array.from({ length: count }, (_, i) =>
    testLot({
      id: `${prefix}-${i}`,
      lat: 36.055 + 0.065 * (Math.floor(i / columns) / columns),
      lon: 120.31 + 0.1 * ((i % columns) / columns),
      type: types[i % types.length]!,
      capacity: 20 + (i % 200),
      capacityCharging: i % 7 === 0 ? 4 : null,
    }),
  );
}
