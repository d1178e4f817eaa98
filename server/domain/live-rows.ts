// `lots:rows` (DESIGN.md §4, `fields: "rows"`): the live fields of changed
// lots as rows of values in a fixed order, timestamps as ms from one base
// time per push; the free counts per kind last, only when one is known. The same fields as `lots:live` in a third of the bytes and
// about half the parsing: a push to thousands of sockets is parsed by every
// one of them. No imports but types, so the browser bundle takes it as is.
import type { LiveRow, LiveRows, LotLive } from './contract.ts';

const msOf = (iso: string | null) => (iso === null ? null : Date.parse(iso));

/** The base time of a push of these lots: the newest `heardAt` among them (0 when none has data). */
export function rowsBase(lots: Iterable<Pick<LotLive, 'heardAt'>>): number {
  let at = 0;
  for (const { heardAt } of lots) if (heardAt !== null) at = Math.max(at, Date.parse(heardAt));
  return at;
}

/** One lot's row, its times as ms from `at`. */
export function toLiveRow(lot: LotLive, at: number): LiveRow {
  const updatedAt = msOf(lot.updatedAt);
  const heardAt = msOf(lot.heardAt);
  const row: LiveRow = [
    lot.id, lot.capacity, lot.free, lot.occupied, lot.availability, lot.stale,
    updatedAt === null ? null : updatedAt - at,
    heardAt === null ? null : heardAt - at,
    lot.clamped,
  ];
  const { freeCharging, freeDisabled, freeFamily, freeWomen } = lot;
  if (freeCharging !== null || freeDisabled !== null || freeFamily !== null || freeWomen !== null) row.push(freeCharging, freeDisabled, freeFamily, freeWomen);
  return row;
}

/** The lots of a `lots:rows` push, as `lots:live` would have carried them. */
export function fromLiveRows({ at, rows }: LiveRows): LotLive[] {
  const iso = (ms: number | null) => (ms === null ? null : new Date(at + ms).toISOString());
  // A row without the per-kind columns (a server from before them) has none known.
  return rows.map(([id, capacity, free, occupied, availability, stale, updatedAt, heardAt, clamped, freeCharging, freeDisabled, freeFamily, freeWomen]) => ({
    id, capacity, free, occupied, availability, stale, updatedAt: iso(updatedAt), heardAt: iso(heardAt), clamped,
    freeCharging: freeCharging ?? null, freeDisabled: freeDisabled ?? null, freeFamily: freeFamily ?? null, freeWomen: freeWomen ?? null,
  }));
}
