// Bays of a special kind (EV charging, disabled, family, women), as operators
// declare them, and the live free count per kind that bay sensors then give
// (DESIGN.md §4, "Bays by kind"). Pure, and free of runtime dependencies but
// zod: the lot schema, the live rules, the views and the browser use it.
//
// A lot declares its bays of each kind as one short list of bay ids (the
// `{space}` of the bay's MQTT topic) and ranges: "c001..c040, c101". `..`
// cannot occur in an id (ids may contain "-", so "c001-c040" is one id), and
// a range keeps the zero padding of its ends: c001..c040 is c001, c002, …,
// c040. A 500-bay lot writes its 40 charging bays in nine characters.
import { z } from 'zod';
import { say } from './messages.ts';

export const bayKinds = ['charging', 'disabled', 'family', 'women'] as const;
export type BayKind = (typeof bayKinds)[number];

/** The lot field listing each kind's bays, its capacity field, its live free count. */
export const baysFieldOf = { charging: 'baysCharging', disabled: 'baysDisabled', family: 'baysFamily', women: 'baysWomen' } as const satisfies Record<BayKind, string>;
export const capacityFieldOf = { charging: 'capacityCharging', disabled: 'capacityDisabled', family: 'capacityFamily', women: 'capacityWomen' } as const satisfies Record<BayKind, string>;
export const freeFieldOf = { charging: 'freeCharging', disabled: 'freeDisabled', family: 'freeFamily', women: 'freeWomen' } as const satisfies Record<BayKind, string>;
export const baysFields = bayKinds.map((kind) => baysFieldOf[kind]);
export const freeFields = bayKinds.map((kind) => freeFieldOf[kind]);
export type BaysField = (typeof baysFieldOf)[BayKind];
export type FreeField = (typeof freeFieldOf)[BayKind];

/** The most bays a lot may declare (of all kinds together), and the longest list, in characters. */
export const MAX_DECLARED_BAYS = 10_000;
export const MAX_BAY_LIST_LENGTH = 20_000;

const SPACE_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;
const RANGE_END = /^(.*?)(\d+)$/;

/** A bay list read: the ids in order and the list as stored (lower case, ", " between items); or why it cannot be read. */
export type BayList = { ok: true; ids: string[]; canonical: string } | { ok: false; en: string; zh: string };

/** Reads "c001..c040, c101" (commas or white space between items; letters taken in lower case, as topics are). */
export function parseBayList(list: string): BayList {
  const items = list.toLowerCase().split(/[\s,，、]+/).filter((item) => item !== '');
  const ids: string[] = [];
  for (const item of items) {
    const range = item.split('..');
    if (range.length === 1) {
      if (!SPACE_ID.test(item)) return badId(item);
      ids.push(item);
      continue;
    }
    const [from, to] = range as [string, string];
    if (range.length !== 2 || !SPACE_ID.test(from) || !SPACE_ID.test(to)) return badId(item);
    const a = RANGE_END.exec(from);
    const b = RANGE_END.exec(to);
    if (!a || !b || a[1] !== b[1]) {
      return { ok: false, en: `"${item}": a range's ends must differ only in their last number (c001..c040)`, zh: `“${item}”：范围两端只能在末尾数字上不同（如 c001..c040）` };
    }
    const start = Number(a[2]);
    const end = Number(b[2]);
    const width = a[2]!.length === b[2]!.length ? a[2]!.length : a[2]!.startsWith('0') ? -1 : 0;
    if (width < 0 || end < start) return { ok: false, en: `"${item}": a range must run upwards, its ends padded alike`, zh: `“${item}”：范围须从小到大，两端位数一致` };
    if (end - start + 1 + ids.length > MAX_DECLARED_BAYS) return tooMany();
    for (let n = start; n <= end; n++) {
      const id = `${a[1]}${String(n).padStart(width, '0')}`;
      if (!SPACE_ID.test(id)) return badId(id);
      ids.push(id);
    }
  }
  if (ids.length > MAX_DECLARED_BAYS) return tooMany();
  return { ok: true, ids, canonical: items.join(', ') };
}

const badId = (item: string): BayList => ({
  ok: false,
  en: `"${item}" is not a bay id (1-64 characters of a-z, 0-9 and "-", as in the bay's MQTT topic) or a range (c001..c040)`,
  zh: `“${item}”不是车位编号（1-64 个 a-z、0-9 和 "-" 字符，与车位的 MQTT 主题一致）或范围（如 c001..c040）`,
});
const tooMany = (): BayList => ({ ok: false, en: `more than ${MAX_DECLARED_BAYS} bays`, zh: `超过 ${MAX_DECLARED_BAYS} 个车位` });

/** A lot field listing one kind's bays: stored as read (canonical), null when empty. */
export const bayListSchema = z
  .string()
  .max(MAX_BAY_LIST_LENGTH)
  .nullable()
  .superRefine((value, ctx) => {
    if (value === null) return;
    const read = parseBayList(value);
    if (!read.ok) ctx.addIssue({ code: 'custom', message: say(read.en, read.zh) });
  })
  .transform((value) => {
    if (value === null) return null;
    const read = parseBayList(value);
    return read.ok && read.ids.length > 0 ? read.canonical : null;
  });

export type DeclaredBays = Record<BaysField, string | null>;

/** Each declared bay's kind. Lists that do not parse are skipped (the schema refused them before they were stored). */
export function bayKindMap(lot: DeclaredBays): Map<string, BayKind> {
  const kinds = new Map<string, BayKind>();
  for (const kind of bayKinds) {
    const list = lot[baysFieldOf[kind]];
    if (list === null) continue;
    const read = parseBayList(list);
    if (read.ok) for (const id of read.ids) if (!kinds.has(id)) kinds.set(id, kind);
  }
  return kinds;
}

const countsCache = new WeakMap<DeclaredBays, Record<BayKind, number>>();

/**
 * How many bays of each kind a lot declares. Kept per lot object (the catalog
 * replaces a lot's object when it changes), so a view does not read the lists again.
 */
export function declaredCounts(lot: DeclaredBays): Record<BayKind, number> {
  let counts = countsCache.get(lot);
  if (!counts) countsCache.set(lot, (counts = countDeclared(lot)));
  return counts;
}

function countDeclared(lot: DeclaredBays): Record<BayKind, number> {
  const counts = { charging: 0, disabled: 0, family: 0, women: 0 };
  for (const kind of bayKinds) {
    const list = lot[baysFieldOf[kind]];
    const read = list === null ? null : parseBayList(list);
    if (read?.ok) counts[kind] = new Set(read.ids).size;
  }
  return counts;
}

/**
 * Names a declaration, so the live store can tell it already has it (a start
 * of the service does not recount every lot): the four lists, joined. '' for
 * a lot that declares none.
 */
export function bayKindsDigest(lot: DeclaredBays): string {
  if (bayKinds.every((kind) => lot[baysFieldOf[kind]] === null)) return '';
  const source = bayKinds.map((kind) => lot[baysFieldOf[kind]] ?? '').join(';');
  // FNV-1a, 64 bit: short enough to keep beside every lot, and changes with any list.
  let hash = 0xcbf29ce484222325n;
  for (let i = 0; i < source.length; i++) hash = BigInt.asUintN(64, (hash ^ BigInt(source.charCodeAt(i))) * 0x100000001b3n);
  return hash.toString(36);
}

/** One kind's bays as the live store tallies them: declared, whose sensor reported at least once, last reported occupied. */
export interface KindTally {
  bays: number;
  reported: number;
  occupied: number;
}
export type KindCounts = Record<BayKind, KindTally>;

export function emptyKindCounts(declared: Record<BayKind, number>): KindCounts {
  const counts = {} as KindCounts;
  for (const kind of bayKinds) counts[kind] = { bays: declared[kind], reported: 0, occupied: 0 };
  return counts;
}

/** The live store's form (lua/lib.lua): "bays,reported,occupied" per kind, in bayKinds order, ";" between. */
export function encodeKindCounts(counts: KindCounts | null): string {
  if (counts === null) return '';
  return bayKinds.map((kind) => `${counts[kind].bays},${counts[kind].reported},${counts[kind].occupied}`).join(';');
}

export function decodeKindCounts(value: string | null | undefined): KindCounts | null {
  if (!value) return null;
  const parts = value.split(';');
  if (parts.length !== bayKinds.length) return null;
  const counts = {} as KindCounts;
  for (const [i, kind] of bayKinds.entries()) {
    const [bays, reported, occupied] = parts[i]!.split(',').map(Number);
    if (![bays, reported, occupied].every(Number.isSafeInteger)) return null;
    counts[kind] = { bays: bays!, reported: reported!, occupied: occupied! };
  }
  return counts;
}

/**
 * A kind's capacity as drivers are shown it: the operator's `capacityX`, or,
 * when that is not given, the number of bays of that kind declared.
 */
export function kindCapacity(capacity: number | null, declared: number): number | null {
  return capacity ?? (declared > 0 ? declared : null);
}

/**
 * A kind's live free count, or null when it is not known live:
 *  - the lot is not live (no `tally` is passed: stale, offline, closed);
 *  - no bays of that kind are declared, or the live store has not taken this
 *    declaration yet (its number of declared bays differs from the catalog's);
 *  - some of them are not declared (`capacityX` above the declared bays: the
 *    others' state is unknown);
 *  - a declared bay's sensor has never reported.
 * Never above the kind's capacity nor the lot's free count (`lotFree`, null
 * when the lot's total is not known: bay sensors on some of its bays alone), never below 0.
 */
export function kindFree(tally: KindTally | undefined, declared: number, capacity: number | null, lotFree: number | null): number | null {
  if (declared === 0 || !tally || tally.bays !== declared) return null;
  if (capacity !== null && capacity !== declared) return null;
  if (tally.reported < tally.bays) return null;
  return Math.max(0, Math.min(tally.bays - tally.occupied, declared, lotFree ?? declared));
}
