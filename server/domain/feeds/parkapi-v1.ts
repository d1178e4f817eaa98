// ParkAPI v1 (offenesdresden/ParkAPI, schema/city_schema.json): the city JSON
// the ParkenDD apps and OpenTripPlanner's ParkAPI updater read. Pure.
//
// What OpenTripPlanner does with it (ext/vehicleparking/parkapi/ParkAPIUpdater):
// it reads `state` with no null check (so it is always sent) and treats every
// state but "closed" as operational; it reads `free` only when the key is
// there, and a JSON null as 0 — so an unknown count is left out, never null,
// or a planner would route drivers to a lot it believes full.
import { z } from 'zod';
import type { LotView } from '../lot.ts';
import { isoSeconds, liveTruth, lotTypeLabels, newestOf, type FeedContext } from './truth.ts';

export const PARKAPI_V1_API_VERSION = '1.0';
/** ParkAPI's own "no data yet" time (its app.py answers it for a city without data). */
const NO_DATA_TIME = '1970-01-01T00:00:00Z';

const coordsSchema = z.object({ lat: z.number().min(-90).max(90), lng: z.number().min(-180).max(180) });

export const parkApiV1LotSchema = z.object({
  id: z.string(),
  name: z.string(),
  /** Spaces in the lot (the live capacity). */
  total: z.number().int().min(0),
  /** Vacant spaces: 0 for a lot that is not open; absent when not known (no data, or stale). */
  free: z.number().int().min(0).optional(),
  /** `open`, `closed` (not open, or outside its opening hours), `nodata` (no live data, or stale). */
  state: z.enum(['open', 'closed', 'nodata']),
  coords: coordsSchema,
  lot_type: z.string(),
  address: z.string().optional(),
  /** Whether the service has a forecast for the lot (GET /api/lots/{id}/forecast gives numbers: about a week of history). */
  forecast: z.boolean(),
  opening_hours: z.string().optional(),
  /** Spaces for disabled drivers (the ParkAPI extension OpenTripPlanner reads as wheelchair-accessible spaces). */
  'total:disabled': z.number().int().min(0).optional(),
});
export type ParkApiV1Lot = z.infer<typeof parkApiV1LotSchema>;

export const parkApiV1CitySchema = z.object({
  /** The newest data among the lots (sensor time). */
  last_updated: z.string(),
  /** The last sign of life from any lot (sensor time). */
  last_downloaded: z.string(),
  data_source: z.string(),
  lots: z.array(parkApiV1LotSchema),
});
export type ParkApiV1City = z.infer<typeof parkApiV1CitySchema>;

export const parkApiV1IndexSchema = z.object({
  cities: z.record(
    z.string(),
    z.object({
      name: z.string(),
      coords: coordsSchema.nullable(),
      source: z.string(),
      url: z.string(),
      active_support: z.boolean(),
      attribution: z.null(),
    }),
  ),
  api_version: z.literal(PARKAPI_V1_API_VERSION),
  server_version: z.string(),
  reference: z.string(),
});
export type ParkApiV1Index = z.infer<typeof parkApiV1IndexSchema>;

/** `hasForecast`: the service has a forecast for the lot now (GET /api/lots/{id}/forecast gives numbers). */
export function toParkApiV1Lot(lot: LotView, hasForecast = false): ParkApiV1Lot {
  const truth = liveTruth(lot);
  const answer: ParkApiV1Lot = {
    id: lot.id,
    name: lot.name,
    total: lot.capacity,
    state: !truth.open ? 'closed' : truth.free === null ? 'nodata' : 'open',
    coords: { lat: lot.lat, lng: lot.lon },
    lot_type: lotTypeLabels[lot.type],
    forecast: hasForecast,
  };
  if (truth.free !== null) answer.free = truth.free;
  if (lot.address !== null) answer.address = lot.address;
  if (lot.openingHours !== null) answer.opening_hours = lot.openingHours;
  if (lot.capacityDisabled !== null) answer['total:disabled'] = lot.capacityDisabled;
  return answer;
}

export function toParkApiV1City(lots: readonly LotView[], context: FeedContext, withForecast: ReadonlySet<string> = new Set()): ParkApiV1City {
  const updated = newestOf(lots.map((lot) => lot.updatedAt));
  const heard = newestOf(lots.map((lot) => lot.heardAt));
  return {
    last_updated: updated ? isoSeconds(updated) : NO_DATA_TIME,
    last_downloaded: heard ? isoSeconds(heard) : NO_DATA_TIME,
    data_source: `${context.baseUrl}/`,
    lots: lots.map((lot) => toParkApiV1Lot(lot, withForecast.has(lot.id))),
  };
}

/** The centre of the lots' bounding box, or null without lots. */
function centreOf(lots: readonly LotView[]): { lat: number; lng: number } | null {
  if (lots.length === 0) return null;
  const lats = lots.map((l) => l.lat);
  const lons = lots.map((l) => l.lon);
  const mid = (values: number[]) => Math.round(((Math.min(...values) + Math.max(...values)) / 2) * 1e6) / 1e6;
  return { lat: mid(lats), lng: mid(lons) };
}

export function toParkApiV1Index(lots: readonly LotView[], context: FeedContext): ParkApiV1Index {
  return {
    cities: {
      [context.cityId]: {
        name: context.cityName,
        coords: centreOf(lots),
        source: `${context.baseUrl}/`,
        url: `${context.baseUrl}/`,
        active_support: true,
        attribution: null,
      },
    },
    api_version: PARKAPI_V1_API_VERSION,
    server_version: context.serverVersion,
    reference: `${context.baseUrl}/api/docs`,
  };
}
