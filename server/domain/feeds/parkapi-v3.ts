// ParkAPI v3's public parking-site shape (ParkenDD/park-api-v3,
// webapp/shared/parking_site/parking_sites_schema.py; restrictions as
// parkapi-sources' ParkingSiteRestrictionInput). Pure.
//
// As ParkAPI's own ParkingSite.to_dict() does, fields with no value are left
// out, and a site without realtime data has `has_realtime_data: false` and no
// `realtime_*` field at all. ParkAPI numbers its sites with integers; Kongwei's
// ids are words (they name MQTT topics), so `id` is a stable 53-bit number
// made from the lot id and `original_uid` is the lot id itself; either one
// finds the site at /parking-sites/{id}.
import { z } from 'zod';
import type { LotType, LotView } from '../lot.ts';
import { isoSeconds, liveTruth } from './truth.ts';

export const parkingSiteTypes = ['ON_STREET', 'OFF_STREET_PARKING_GROUND', 'UNDERGROUND', 'CAR_PARK', 'OTHER'] as const;
export const openingStatuses = ['OPEN', 'CLOSED', 'UNKNOWN'] as const;
export const parkingAudiences = ['DISABLED', 'WOMEN', 'FAMILY', 'CARSHARING', 'CHARGING', 'TAXI', 'DELIVERY', 'TRUCK', 'BUS', 'CUSTOMER', 'RESIDENT', 'CARAVAN', 'CARGOBIKE'] as const;

const siteTypeOf: Record<LotType, (typeof parkingSiteTypes)[number]> = {
  surface: 'OFF_STREET_PARKING_GROUND',
  multi_storey: 'CAR_PARK',
  underground: 'UNDERGROUND',
  on_street: 'ON_STREET',
};

/** ParkAPI v3 writes coordinates as decimal strings with 7 places ("36.0935000"). */
const decimal7 = z.string().regex(/^-?\d{1,3}\.\d{7}$/);

export const parkingSiteRestrictionSchema = z.object({
  type: z.enum(parkingAudiences).optional(),
  hours: z.string().max(512).optional(),
  max_stay: z.string().max(256).optional(),
  capacity: z.number().int().min(0).optional(),
  realtime_capacity: z.number().int().min(0).optional(),
  realtime_free_capacity: z.number().int().min(0).optional(),
});

const count = z.number().int().min(0);

export const parkingSiteSchema = z.object({
  id: z.number().int().min(1),
  source_id: z.number().int().min(1),
  original_uid: z.string().max(256),
  name: z.string().max(256),
  address: z.string().max(512).optional(),
  purpose: z.literal('CAR'),
  type: z.enum(parkingSiteTypes),
  lat: decimal7,
  lon: decimal7,
  capacity: count,
  capacity_disabled: count.optional(),
  capacity_woman: count.optional(),
  capacity_family: count.optional(),
  capacity_charging: count.optional(),
  restrictions: z.array(parkingSiteRestrictionSchema).optional(),
  has_fee: z.boolean().optional(),
  fee_description: z.string().optional(),
  max_height: count.optional(),
  opening_hours: z.string().max(512).optional(),
  has_realtime_data: z.boolean(),
  realtime_opening_status: z.enum(openingStatuses).optional(),
  realtime_capacity: count.optional(),
  realtime_free_capacity: count.optional(),
  realtime_data_updated_at: z.string().optional(),
});
export type ParkingSite = z.infer<typeof parkingSiteSchema>;

export const parkingSiteListSchema = z.object({ items: z.array(parkingSiteSchema), total_count: z.number().int().min(0) });
export type ParkingSiteList = z.infer<typeof parkingSiteListSchema>;

/** Kongwei is one source to ParkAPI's eyes. */
export const KONGWEI_SOURCE_ID = 1;

/**
 * A lot's ParkAPI v3 id: FNV-1a (64 bit) of its id, cut to 53 bits so a
 * JavaScript client reads it exactly. Stable across restarts and instances;
 * two of 100,000 lots share one with a chance below one in a million.
 */
export function parkingSiteId(lotId: string): number {
  let hash = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(lotId)) hash = BigInt.asUintN(64, (hash ^ BigInt(byte)) * 0x100000001b3n);
  return Number(hash & 0x1fffffffffffffn) || 1;
}

/**
 * The lot's special spaces, each with its live free count where Kongwei
 * measures one (the kind's declared bays all reporting: LotView.freeX), by
 * the same truth as the site's: 0 for a lot that is not open, left out when
 * not known live.
 */
function restrictionsOf(lot: LotView, open: boolean) {
  return (
    [
      ['DISABLED', lot.capacityDisabled, lot.freeDisabled, lot.baysDisabled],
      ['CHARGING', lot.capacityCharging, lot.freeCharging, lot.baysCharging],
      ['FAMILY', lot.capacityFamily, lot.freeFamily, lot.baysFamily],
      ['WOMEN', lot.capacityWomen, lot.freeWomen, lot.baysWomen],
    ] as const
  )
    .filter(([, capacity]) => capacity !== null && capacity > 0)
    .map(([type, capacity, free, bays]) => {
      const restriction: z.infer<typeof parkingSiteRestrictionSchema> = { type, capacity: capacity! };
      const realtimeFree = !open && bays !== null ? 0 : free;
      if (realtimeFree !== null) {
        restriction.realtime_capacity = capacity!;
        restriction.realtime_free_capacity = realtimeFree;
      }
      return restriction;
    });
}

/**
 * `nowMs`: a lot that is not open is reported CLOSED with 0 free spaces as of
 * now (to the minute: the opening-hours watch works in minutes), unless it has
 * fresh data of its own.
 */
export function toParkingSite(lot: LotView, nowMs: number): ParkingSite {
  const truth = liveTruth(lot);
  const site: ParkingSite = {
    id: parkingSiteId(lot.id),
    source_id: KONGWEI_SOURCE_ID,
    original_uid: lot.id,
    name: lot.name,
    purpose: 'CAR',
    type: siteTypeOf[lot.type],
    lat: lot.lat.toFixed(7),
    lon: lot.lon.toFixed(7),
    capacity: lot.capacity,
    has_realtime_data: truth.free !== null,
  };
  if (lot.address !== null) site.address = lot.address;
  if (lot.capacityDisabled !== null) site.capacity_disabled = lot.capacityDisabled;
  if (lot.capacityWomen !== null) site.capacity_woman = lot.capacityWomen;
  if (lot.capacityFamily !== null) site.capacity_family = lot.capacityFamily;
  if (lot.capacityCharging !== null) site.capacity_charging = lot.capacityCharging;
  const restrictions = restrictionsOf(lot, truth.open);
  if (restrictions.length > 0) site.restrictions = restrictions;
  if (lot.fee !== null) site.has_fee = lot.fee;
  if (lot.priceInfo !== null) site.fee_description = lot.priceInfo;
  if (lot.maxHeightCm !== null) site.max_height = lot.maxHeightCm;
  if (lot.openingHours !== null) site.opening_hours = lot.openingHours;
  if (truth.free !== null) {
    site.realtime_opening_status = truth.open ? 'OPEN' : 'CLOSED';
    site.realtime_capacity = lot.capacity;
    site.realtime_free_capacity = truth.free;
    site.realtime_data_updated_at = isoSeconds(truth.observedAt ?? Math.floor(nowMs / 60_000) * 60_000);
  }
  return site;
}

export function toParkingSiteList(lots: readonly LotView[], nowMs: number): ParkingSiteList {
  return { items: lots.map((lot) => toParkingSite(lot, nowMs)), total_count: lots.length };
}
