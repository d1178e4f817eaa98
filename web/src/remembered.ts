// The lots the map last showed, kept on the device (offline.ts) and shown
// again when the page opens with no network: what is kept, and how a kept
// lot is shown — never as live. Pure (no DOM), so the unit tests run it in Node.
import type { LotView } from '../../server/domain/lot.ts';

/** What is kept: the lots as last shown, and when (the service's clock, epoch ms). */
export interface Remembered {
  version: 1;
  savedAt: number;
  lots: LotView[];
}

/**
 * A kept lot as the page shows it: stale, with no count, so the page's own
 * rules (lot-display.ts) show it grey with "–" and its age ("updated 12 min
 * ago", from `updatedAt`), whatever the device's clock says. Only a lot that
 * is not open stays closed (its status is the catalog's, not live data).
 * What its hours said then is dropped too: "closes 22:00" may have passed.
 */
export function rememberedLot(lot: LotView): LotView {
  return {
    ...lot,
    free: null,
    occupied: null,
    freeCharging: null,
    freeDisabled: null,
    freeFamily: null,
    freeWomen: null,
    stale: true,
    clamped: false,
    availability: lot.status === 'open' ? 'unknown' : 'closed',
    openNow: null,
    opensAt: null,
    closesAt: null,
  };
}

const isLot = (value: unknown): value is LotView => {
  const lot = value as Partial<LotView> | null;
  return typeof lot === 'object' && lot !== null && typeof lot.id === 'string' && typeof lot.name === 'string'
    && typeof lot.lat === 'number' && typeof lot.lon === 'number' && typeof lot.capacity === 'number' && typeof lot.status === 'string';
};

/** What was read from the device's storage, if it is what this page keeps (an older page's or a broken record is none). */
export function asRemembered(value: unknown): Remembered | undefined {
  const record = value as Partial<Remembered> | null;
  if (typeof record !== 'object' || record === null || record.version !== 1) return undefined;
  if (typeof record.savedAt !== 'number' || !Number.isFinite(record.savedAt) || !Array.isArray(record.lots)) return undefined;
  return { version: 1, savedAt: record.savedAt, lots: record.lots.filter(isLot) };
}
