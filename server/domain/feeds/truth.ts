// The map's rules of truth, once, for every standard feed (DESIGN.md §4,
// "Feeds"): a feed shows a number only where the map would. Built from the
// lot view (the same truth the map and the API use), never from raw state.
// Pure: no I/O.
import type { LotType, LotView } from '../lot.ts';

/** What a feed may say about a lot's spaces right now. */
export interface LiveTruth {
  /** The lot takes cars now: its status is open and it is within its opening hours. */
  open: boolean;
  /**
   * Vacant spaces a driver can trust: 0 for a lot that is not open (closed,
   * never full), the count for an open lot with fresh data, null when not
   * known (no data, or stale). Never above capacity, never below 0.
   */
  free: number | null;
  /** When the free count was measured (the sensor's time, ISO 8601); null when the count is not live data. */
  observedAt: string | null;
}

export function liveTruth(lot: LotView): LiveTruth {
  const fresh = lot.updatedAt !== null && !lot.stale && lot.free !== null;
  if (lot.availability === 'closed') return { open: false, free: 0, observedAt: fresh ? lot.updatedAt : null };
  if (lot.availability === 'unknown' || !fresh) return { open: true, free: null, observedAt: null };
  return { open: true, free: Math.min(Math.max(lot.free!, 0), lot.capacity), observedAt: lot.updatedAt };
}

/** ISO 8601 to the second, with Z (RFC 3339 `date-time`, as the feeds' schemas want it). */
export function isoSeconds(iso: string | number): string {
  return new Date(iso).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The newest of some ISO times, or null when there is none. */
export function newestOf(times: readonly (string | null)[]): string | null {
  let newest: string | null = null;
  for (const time of times) if (time !== null && (newest === null || Date.parse(time) > Date.parse(newest))) newest = time;
  return newest;
}

/** Where the feeds' documents point for more (the API reference, the map). */
export interface FeedContext {
  /** The service's public base URL, no trailing slash (http://host:port). */
  baseUrl: string;
  /** CITY_ID: the city's id in ParkAPI v1 (`/api/parkapi/v1/{city}`). */
  cityId: string;
  /** CITY_NAME: the city's name in the feeds. */
  cityName: string;
  /** The service's version (package.json). */
  serverVersion: string;
}

/** Human-readable lot types (ParkAPI v1 `lot_type`, free text there). */
export const lotTypeLabels: Record<LotType, string> = {
  surface: 'Parking lot',
  multi_storey: 'Multi-storey car park',
  underground: 'Underground car park',
  on_street: 'On-street parking',
};
