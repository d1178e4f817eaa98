// Geographic maths for search and subscriptions. Pure. Coordinates are WGS-84
// degrees; a bbox is [minLon, minLat, maxLon, maxLat] as in GeoJSON.

export type BBox = readonly [minLon: number, minLat: number, maxLon: number, maxLat: number];

export interface Point {
  lat: number;
  lon: number;
}

const EARTH_RADIUS_M = 6_371_008.8;
const toRad = (deg: number) => (deg * Math.PI) / 180;

/** Great-circle distance in metres (haversine). */
export function distanceM(a: Point, b: Point): number {
  const dLat = toRad(b.lat - a.lat);
  const dLon = toRad(b.lon - a.lon);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(toRad(a.lat)) * Math.cos(toRad(b.lat)) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

/**
 * Whether a point lies in a bbox. A bbox whose minLon is greater than its
 * maxLon crosses the antimeridian.
 */
export function inBBox(p: Point, [minLon, minLat, maxLon, maxLat]: BBox): boolean {
  if (p.lat < minLat || p.lat > maxLat) return false;
  return minLon <= maxLon ? p.lon >= minLon && p.lon <= maxLon : p.lon >= minLon || p.lon <= maxLon;
}

/** A bbox that holds every point within `radiusM` of `center`: a cheap prefilter for radius searches. */
export function bboxAround(center: Point, radiusM: number): BBox {
  const dLat = (radiusM / EARTH_RADIUS_M) * (180 / Math.PI);
  const cosLat = Math.cos(toRad(center.lat));
  const minLat = Math.max(-90, center.lat - dLat);
  const maxLat = Math.min(90, center.lat + dLat);
  // Near a pole, or when the circle is wider than the world, every longitude qualifies.
  if (cosLat < 1e-9 || maxLat >= 90 || minLat <= -90) return [-180, minLat, 180, maxLat];
  const dLon = dLat / cosLat;
  if (dLon >= 180) return [-180, minLat, 180, maxLat];
  const wrap = (lon: number) => ((((lon + 180) % 360) + 360) % 360) - 180;
  return [wrap(center.lon - dLon), minLat, wrap(center.lon + dLon), maxLat];
}

export function isValidBBox([minLon, minLat, maxLon, maxLat]: readonly number[]): boolean {
  const inRange = (v: number | undefined, limit: number) => v !== undefined && Number.isFinite(v) && Math.abs(v) <= limit;
  return inRange(minLon, 180) && inRange(maxLon, 180) && inRange(minLat, 90) && inRange(maxLat, 90) && minLat! <= maxLat!;
}

/** Whether `inner` lies wholly inside `outer` (neither crossing the antimeridian). */
export function bboxContains(outer: BBox, inner: BBox): boolean {
  return inner[0] >= outer[0] && inner[1] >= outer[1] && inner[2] <= outer[2] && inner[3] <= outer[3];
}

/**
 * The area to subscribe to, grown outwards to a grid whose step is a power of
 * two near a quarter of its size: drivers looking at about the same place at
 * about the same zoom then ask for the same area, and the service, which
 * coalesces and encodes a push once per distinct subscription, serves them
 * together instead of one by one.
 */
export function snapToGrid([w, s, e, n]: BBox): BBox {
  const size = Math.max(e - w, n - s, 1e-6);
  const step = 2 ** Math.ceil(Math.log2(size / 4));
  const down = (v: number) => Math.floor(v / step) * step;
  const up = (v: number) => Math.ceil(v / step) * step;
  return [Math.max(-180, down(w)), Math.max(-90, down(s)), Math.min(180, up(e)), Math.min(90, up(n))];
}

