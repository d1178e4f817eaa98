// A catalog in memory, for unit tests of the parts that only read it.
import type { Catalog } from '../../server/catalog/catalog.ts';
import { lotMetaSchema, type LotMeta } from '../../server/domain/lot.ts';

export function lotMeta(id: string, extra: Partial<LotMeta> = {}): LotMeta {
  return lotMetaSchema.parse({ id, name: id, lat: 36.09, lon: 120.37, type: 'surface', status: 'open', capacity: 32, ...extra });
}

export function catalogOf(lots: LotMeta[]): Catalog {
  const byId = new Map(lots.map((lot) => [lot.id, lot]));
  return { get: (id: string) => byId.get(id), all: () => byId.values(), size: byId.size } as unknown as Catalog;
}
