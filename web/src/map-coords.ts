// Where a lot is drawn, and where a point of the map is. Lots, the API and
// the browser's geolocation are WGS-84; map tiles in China are often drawn in
// GCJ-02 (Amap, Tencent), which puts a WGS-84 point some 300–600 m off. With
// TILE_CRS=gcj02 the page converts (gcoord) on the way to the map — markers,
// the driver's dot, the view it flies to — and back on the way from it: the
// area it subscribes to, the centre the list and the search measure from, a
// click on the operator's map. Nothing is converted for the service. Pure
// (no DOM, no Leaflet), so the unit tests run it in Node.
import gcoord from 'gcoord';
import type { BBox, Point } from '../../server/domain/geo.ts';

export type TileCrs = 'wgs84' | 'gcj02';

/** TILE_CRS as the page was given it: anything but gcj02 is WGS-84. */
export const tileCrsOf = (value: string | undefined): TileCrs => (value === 'gcj02' ? 'gcj02' : 'wgs84');

export interface MapCoords {
  readonly crs: TileCrs;
  /** A WGS-84 point as [lat, lon] on the tiles (Leaflet's order). */
  toMap(point: Point): [lat: number, lon: number];
  /** A point of the map (a click, its centre) in WGS-84. */
  fromMap(lat: number, lon: number): Point;
  /** The WGS-84 box holding a box of the map ([west, south, east, north], as the map shows it), clamped to the world. */
  bboxFromMap(box: BBox): BBox;
}

const clampLat = (v: number) => Math.max(-90, Math.min(90, v));
const clampLon = (v: number) => Math.max(-180, Math.min(180, v));

const wgs84: MapCoords = {
  crs: 'wgs84',
  toMap: ({ lat, lon }) => [lat, lon],
  fromMap: (lat, lon) => ({ lat, lon }),
  bboxFromMap: ([w, s, e, n]) => [clampLon(w), clampLat(s), clampLon(e), clampLat(n)],
};

const gcj02: MapCoords = {
  crs: 'gcj02',
  toMap: ({ lat, lon }) => {
    const [x, y] = gcoord.transform([lon, lat], gcoord.WGS84, gcoord.GCJ02);
    return [y, x];
  },
  fromMap: (lat, lon) => {
    const [x, y] = gcoord.transform([lon, lat], gcoord.GCJ02, gcoord.WGS84);
    return { lat: y, lon: x };
  },
  bboxFromMap: ([w, s, e, n]) => {
    // The offset is not the same everywhere (and is none outside China):
    // the corners, the middles of the edges and the centre, converted, and
    // the box around them.
    let [minLon, minLat, maxLon, maxLat] = [Infinity, Infinity, -Infinity, -Infinity];
    for (const lon of [w, (w + e) / 2, e]) {
      for (const lat of [s, (s + n) / 2, n]) {
        const p = gcj02.fromMap(clampLat(lat), clampLon(lon));
        minLon = Math.min(minLon, p.lon);
        maxLon = Math.max(maxLon, p.lon);
        minLat = Math.min(minLat, p.lat);
        maxLat = Math.max(maxLat, p.lat);
      }
    }
    return [clampLon(minLon), clampLat(minLat), clampLon(maxLon), clampLat(maxLat)];
  },
};

export function mapCoords(crs: TileCrs): MapCoords {
  return crs === 'gcj02' ? gcj02 : wgs84;
}
