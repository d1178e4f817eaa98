// The map's tiles, as the service is configured (TILE_URL, TILE_ATTRIBUTION,
// TILE_SUBDOMAINS, TILE_MAX_ZOOM, TILE_LABELS_URL, TILE_CRS: README
// "Configuration"), given to the page as data attributes of <body>. Both
// pages draw them the same way, and both place what they show through the
// coordinates this returns (map-coords.ts).
import L from 'leaflet';
import { mapCoords, tileCrsOf, type MapCoords, type TileCrs } from './map-coords.ts';

export interface TileSettings {
  url: string;
  attribution: string;
  subdomains: string;
  maxNativeZoom: number;
  crs: TileCrs;
  /** A layer drawn over the tiles (Tianditu's labels), or undefined. */
  labelsUrl: string | undefined;
}

/** The map is never zoomed further than this; beyond the tiles' own highest zoom, Leaflet enlarges them. */
const MAX_ZOOM = 19;

export function tileSettings(data: DOMStringMap = document.body.dataset): TileSettings {
  const maxNativeZoom = Number(data.tileMaxZoom);
  return {
    url: data.tileUrl ?? '',
    attribution: data.tileAttribution ?? '',
    subdomains: data.tileSubdomains || 'abc',
    maxNativeZoom: Number.isInteger(maxNativeZoom) && maxNativeZoom > 0 ? maxNativeZoom : MAX_ZOOM,
    crs: tileCrsOf(data.tileCrs),
    labelsUrl: data.tileLabelsUrl || undefined,
  };
}

/** Adds the tile layers to a map; returns how to place WGS-84 points on them and read points back. */
export function addTiles(map: L.Map, settings: TileSettings = tileSettings()): MapCoords {
  const options: L.TileLayerOptions = {
    subdomains: settings.subdomains,
    maxNativeZoom: settings.maxNativeZoom,
    maxZoom: Math.max(MAX_ZOOM, settings.maxNativeZoom),
  };
  L.tileLayer(settings.url, { ...options, attribution: settings.attribution }).addTo(map);
  if (settings.labelsUrl) L.tileLayer(settings.labelsUrl, { ...options, className: 'tile-labels' }).addTo(map);
  // Readable from outside (tests, styles).
  map.getContainer().dataset.tileCrs = settings.crs;
  return mapCoords(settings.crs);
}
