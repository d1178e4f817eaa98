// The lot as the contract (DESIGN.md §4) shows it, and the rules that turn
// catalog metadata plus live state into that view. Pure: no I/O.
import { z } from 'zod';
import { bayListSchema, declaredCounts, kindCapacity, kindFree } from './bay-kinds.ts';
import { lastHeardAt, type LiveState } from './live.ts';
import { say } from './messages.ts';
import { optionalText, text } from './text.ts';

export const LOT_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,63}$/;

export const lotTypes = ['surface', 'multi_storey', 'underground', 'on_street'] as const;
export const lotStatuses = ['planned', 'under_construction', 'open', 'closed'] as const;
export const availabilities = ['available', 'almost_full', 'full', 'closed', 'unknown'] as const;

export type LotType = (typeof lotTypes)[number];
export type LotStatus = (typeof lotStatuses)[number];
export type Availability = (typeof availabilities)[number];

export const lotIdSchema = z
  .string()
  .regex(
    LOT_ID_PATTERN,
    say('must be 1-64 characters of a-z, 0-9 and "-", starting with a letter or digit', '应为 1-64 个字符，只含 a-z、0-9 和 "-"，以字母或数字开头'),
  );

/** Lot metadata as the catalog keeps it (what an operator edits). Every text goes through domain/text.ts. */
export const lotMetaSchema = z.object({
  id: lotIdSchema,
  name: text(200),
  nameEn: optionalText(200).default(null),
  address: optionalText(500).default(null),
  lat: z.number().min(-90).max(90),
  lon: z.number().min(-180).max(180),
  type: z.enum(lotTypes),
  status: z.enum(lotStatuses),
  capacity: z.number().int().min(0).max(100_000),
  /** Per-lot override of STALE_AFTER_S; null means the service default. */
  staleAfterS: z.number().int().positive().nullable().default(null),
  /** OpenStreetMap `opening_hours` syntax, e.g. "Mo-Fr 07:00-22:00"; null: not known (treated as always open). */
  openingHours: optionalText(500).default(null),
  /** Spaces among `capacity` reserved for disabled drivers, with EV charging, for families, for women. */
  capacityDisabled: z.number().int().min(0).max(100_000).nullable().default(null),
  capacityCharging: z.number().int().min(0).max(100_000).nullable().default(null),
  capacityFamily: z.number().int().min(0).max(100_000).nullable().default(null),
  capacityWomen: z.number().int().min(0).max(100_000).nullable().default(null),
  /**
   * The bays of each kind, by the ids their sensors publish under
   * (`…/spaces/{space}`), as ids and ranges: "c001..c040, c101" (domain/bay-kinds.ts);
   * null: none declared. Their sensors give the live free counts per kind.
   */
  baysCharging: bayListSchema.default(null),
  baysDisabled: bayListSchema.default(null),
  baysFamily: bayListSchema.default(null),
  baysWomen: bayListSchema.default(null),
  /** Whether parking costs money; null: not known. */
  fee: z.boolean().nullable().default(null),
  /** Prices in words, as the operator writes them (Chinese, English). */
  priceInfo: optionalText(500).default(null),
  priceInfoEn: optionalText(500).default(null),
  /** Height limit at the entrance, in centimetres; null: none known. */
  maxHeightCm: z.number().int().min(100).max(1000).nullable().default(null),
});
export type LotMeta = z.infer<typeof lotMetaSchema>;

/** The lot as every API answer and socket message shows it. */
export interface LotView {
  id: string;
  name: string;
  nameEn: string | null;
  address: string | null;
  lat: number;
  lon: number;
  type: LotType;
  status: LotStatus;
  openingHours: string | null;
  capacityDisabled: number | null;
  capacityCharging: number | null;
  capacityFamily: number | null;
  capacityWomen: number | null;
  /** The bays of each kind as declared ("c001..c040, c101"); null: none. */
  baysCharging: string | null;
  baysDisabled: string | null;
  baysFamily: string | null;
  baysWomen: string | null;
  /**
   * Live free bays of each kind, from the sensors of the declared bays; null
   * when not known live (domain/bay-kinds.ts kindFree: no declared bays, a
   * declared bay never reported, fewer bays declared than `capacityX`, or the
   * lot's own count is not live — no data, stale, offline, not open now).
   */
  freeCharging: number | null;
  freeDisabled: number | null;
  freeFamily: number | null;
  freeWomen: number | null;
  fee: boolean | null;
  priceInfo: string | null;
  priceInfoEn: string | null;
  maxHeightCm: number | null;
  /** The lot's own stale threshold; null: the service's STALE_AFTER_S (the map greys a lot by itself once it passes). */
  staleAfterS: number | null;
  capacity: number;
  free: number | null;
  occupied: number | null;
  availability: Availability;
  stale: boolean;
  /** Time of the data (the sensor's ts), ISO 8601; null before any data. */
  updatedAt: string | null;
  /**
   * The last sign of life from the lot (an event or a heartbeat, sensor time),
   * ISO 8601: staleness runs from here, so a lot whose count has not changed
   * but whose gateway sends heartbeats stays fresh. Null before any data.
   */
  heardAt: string | null;
  /** The last count reported was outside 0..capacity and was clamped to it. */
  clamped: boolean;
  /**
   * Whether the lot's opening hours say it is open now (in TIME_ZONE, with
   * China's public holidays); null when it has none (or they do not parse),
   * or when its status is not `open`, which closes it whatever the hours say.
   * False: open, but closed now by its hours (`availability` is `closed`).
   */
  openNow: boolean | null;
  /** When `openNow` is false: the next opening by the hours, ISO 8601; null when it never opens again (within a year). */
  opensAt: string | null;
  /** When `openNow` is true: the next closing by the hours, ISO 8601; null when it never closes (24/7). */
  closesAt: string | null;
  /** Only in answers to `near` searches. */
  distanceM?: number;
  /**
   * Only in answers to `arriveAt` searches: the forecast for the arrival —
   * not a live count (its numbers come with an interval, or null with a reason).
   */
  forecast?: LotForecast;
}

/** A lot's forecast for one moment (an arrival): expected free spaces and the 80 % interval, within 0…capacity; nulls with a reason when there is none. */
export interface LotForecast {
  at: string;
  free: number | null;
  low: number | null;
  high: number | null;
  reason?: string;
}

/**
 * A lot is almost full when at most this share of its spaces is free
 * (and at least one space is, or it would be full).
 */
export const ALMOST_FULL_SHARE = 0.1;

export function classifyAvailability(
  status: LotStatus,
  capacity: number,
  free: number | null,
  stale: boolean,
): Availability {
  // Only an open lot can take cars: planned, under construction and closed
  // lots are all "closed" to a driver, whatever a sensor says.
  if (status !== 'open') return 'closed';
  if (free === null || stale) return 'unknown';
  if (free <= 0) return 'full';
  if (free <= Math.max(1, Math.floor(capacity * ALMOST_FULL_SHARE))) return 'almost_full';
  return 'available';
}

/**
 * Stale: nothing heard from the lot (no event, no heartbeat) for longer than
 * its threshold, or a gateway serving it is offline (DESIGN.md §3).
 */
export function isStale(live: LiveState | null, staleAfterMs: number, nowMs: number): boolean {
  if (!live || live.ts === null) return false;
  if (live.offline) return true;
  return nowMs - lastHeardAt(live)! > staleAfterMs;
}

export function staleAfterMsFor(meta: Pick<LotMeta, 'staleAfterS'>, defaultStaleAfterS: number): number {
  return (meta.staleAfterS ?? defaultStaleAfterS) * 1000;
}

/** What a lot's opening hours say now: open or not, and when that flips next (epoch ms; null: not within a year). */
export interface HoursState {
  open: boolean;
  changesAt: number | null;
}

/**
 * `hours` is what the lot's opening hours say now (domain/opening-hours.ts
 * works it out, kept out of this module so the browser bundles that import it
 * stay small); null: no hours, open whenever its status is. An open lot
 * outside its hours is `closed`.
 */
export function toLotView(
  meta: LotMeta,
  live: LiveState | null,
  nowMs: number,
  defaultStaleAfterS: number,
  hours: HoursState | null = null,
): LotView {
  const hasData = live !== null && live.ts !== null && live.occupied !== null;
  const capacity = live?.capacity ?? meta.capacity;
  const occupied = hasData ? live.occupied : null;
  const free = occupied === null ? null : capacity - occupied;
  const stale = hasData && isStale(live, staleAfterMsFor(meta, defaultStaleAfterS), nowMs);
  const byHours = meta.status === 'open' ? hours : null;
  const changesAt = byHours?.changesAt == null ? null : new Date(byHours.changesAt).toISOString();
  const availability = byHours?.open === false ? 'closed' : classifyAvailability(meta.status, capacity, free, stale || !hasData);
  // Per kind: a count only while the lot is open and heard from (fresh data), whether or
  // not its total is known (bay sensors on its EV bays alone do not make the total).
  const heard = live !== null && live.ts !== null;
  const kindsLive = heard && availability !== 'closed' && meta.status === 'open' && !isStale(live, staleAfterMsFor(meta, defaultStaleAfterS), nowMs);
  const liveFree = kindsLive ? free : null;
  const declared = declaredCounts(meta);
  const kinds = kindsLive ? live.kinds ?? null : null;
  const capacityCharging = kindCapacity(meta.capacityCharging, declared.charging);
  const capacityDisabled = kindCapacity(meta.capacityDisabled, declared.disabled);
  const capacityFamily = kindCapacity(meta.capacityFamily, declared.family);
  const capacityWomen = kindCapacity(meta.capacityWomen, declared.women);
  return {
    id: meta.id,
    name: meta.name,
    nameEn: meta.nameEn,
    address: meta.address,
    lat: meta.lat,
    lon: meta.lon,
    type: meta.type,
    status: meta.status,
    openingHours: meta.openingHours,
    capacityDisabled,
    capacityCharging,
    capacityFamily,
    capacityWomen,
    baysCharging: meta.baysCharging,
    baysDisabled: meta.baysDisabled,
    baysFamily: meta.baysFamily,
    baysWomen: meta.baysWomen,
    freeCharging: kindFree(kinds?.charging, declared.charging, meta.capacityCharging, liveFree),
    freeDisabled: kindFree(kinds?.disabled, declared.disabled, meta.capacityDisabled, liveFree),
    freeFamily: kindFree(kinds?.family, declared.family, meta.capacityFamily, liveFree),
    freeWomen: kindFree(kinds?.women, declared.women, meta.capacityWomen, liveFree),
    fee: meta.fee,
    priceInfo: meta.priceInfo,
    priceInfoEn: meta.priceInfoEn,
    maxHeightCm: meta.maxHeightCm,
    staleAfterS: meta.staleAfterS,
    capacity,
    free,
    occupied,
    availability,
    stale,
    updatedAt: hasData && live.ts !== null ? new Date(live.ts).toISOString() : null,
    heardAt: hasData ? new Date(lastHeardAt(live)!).toISOString() : null,
    clamped: hasData ? live.clamped : false,
    openNow: byHours ? byHours.open : null,
    opensAt: byHours?.open === false ? changesAt : null,
    closesAt: byHours?.open === true ? changesAt : null,
  };
}
