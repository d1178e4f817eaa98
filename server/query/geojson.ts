// Lots as GeoJSON (RFC 7946), for GIS tools and other maps: one Point feature
// per lot, its coordinates [lon, lat] (GeoJSON's order, not Leaflet's), every
// other field of the lot among its properties.
import type { LotView } from '../domain/lot.ts';

export const GEOJSON_MEDIA_TYPE = 'application/geo+json';

export type LotProperties = Omit<LotView, 'lat' | 'lon'>;

export interface LotFeature {
  type: 'Feature';
  id: string;
  geometry: { type: 'Point'; coordinates: [lon: number, lat: number] };
  properties: LotProperties;
}

export interface LotFeatureCollection {
  type: 'FeatureCollection';
  features: LotFeature[];
}

export function toFeature(lot: LotView): LotFeature {
  const { lat, lon, ...properties } = lot;
  return { type: 'Feature', id: lot.id, geometry: { type: 'Point', coordinates: [lon, lat] }, properties };
}

export function toFeatureCollection(lots: readonly LotView[]): LotFeatureCollection {
  return { type: 'FeatureCollection', features: lots.map(toFeature) };
}
