// The lots Kongwei knows of at first start: the Shibei District car parks of
// db/seeds/shibei-lots.json (copied from the deployment's data; coordinates
// approximate, capacities marked "sample" to be corrected by operators).
import { readFileSync } from 'node:fs';
import { lotMetaSchema, type LotMeta } from '../server/domain/lot.ts';

export interface SeedFile {
  district: { name: string; nameEn: string; center: { lat: number; lon: number } };
  lots: unknown[];
}

export function readSeedFile(): SeedFile {
  return JSON.parse(readFileSync(new URL('./seeds/shibei-lots.json', import.meta.url), 'utf8')) as SeedFile;
}

/** The seed lots, validated by the same schema as an operator's input. */
export function seedLots(): LotMeta[] {
  return readSeedFile().lots.map((raw) => lotMetaSchema.parse(raw));
}
