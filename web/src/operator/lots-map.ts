// The operator's map: a marker per own lot with its free count, and the pin
// of the point being picked for a lot in the form. Made on first use, once
// the workspace shows (Leaflet cannot size a map in a hidden container).
// Points come and go in WGS-84, whatever the tiles are drawn in (TILE_CRS,
// map-coords.ts): a click on GCJ-02 tiles is stored where the car park is.
import L from 'leaflet';
import type { Point } from '../../../server/domain/geo.ts';
import type { LotView } from '../../../server/domain/lot.ts';
import { el } from '../dom.ts';
import { mapCoords, type MapCoords } from '../map-coords.ts';
import { addTiles } from '../tiles.ts';
import type { Session } from './session.ts';

const SHIBEI_CENTER: Point = { lat: 36.0915, lon: 120.361 };

export interface LotsMapHandlers {
  /** The map was clicked at a point. */
  click(lat: number, lon: number): void;
  /** A lot's marker was clicked. */
  select(id: string): void;
}

export function freeText(lot: LotView): string {
  return lot.free === null ? '–' : String(lot.free);
}

export class LotsMap {
  private map: L.Map | undefined;
  private coords: MapCoords = mapCoords('wgs84');
  private readonly markers = new Map<string, L.Marker>();
  private pick: L.Marker | undefined;

  constructor(
    private readonly session: Session,
    private readonly handlers: LotsMapHandlers,
  ) {}

  ensure(): L.Map {
    if (this.map) return this.map;
    const map = L.map('map');
    const coords = (this.coords = addTiles(map));
    map.setView(coords.toMap(SHIBEI_CENTER), 14);
    map.on('click', (e: L.LeafletMouseEvent) => {
      const at = coords.fromMap(e.latlng.lat, e.latlng.lng);
      this.handlers.click(at.lat, at.lon);
    });
    this.map = map;
    return map;
  }

  /** The map's centre, WGS-84. */
  center(): Point {
    const at = this.ensure().getCenter();
    return this.coords.fromMap(at.lat, at.lng);
  }

  /** Shows the pin at a point. */
  placePick(lat: number, lon: number): void {
    const icon = L.divIcon({ html: el('div', 'op-pick'), className: 'op-pick-icon', iconSize: undefined });
    const map = this.ensure();
    const at = this.coords.toMap({ lat, lon });
    if (this.pick) this.pick.setLatLng(at);
    // Not a control (the form's latitude and longitude are): no tab stop, no button role.
    else this.pick = L.marker(at, { icon, interactive: false, keyboard: false }).addTo(map);
  }

  clearPick(): void {
    this.pick?.remove();
    this.pick = undefined;
  }

  /** The markers of the session's lots (sorted: the order they are drawn in). */
  render(sorted: readonly LotView[]): void {
    for (const [id, marker] of this.markers) {
      if (!this.session.lots.has(id)) {
        marker.remove();
        this.markers.delete(id);
      }
    }
    for (const lot of sorted) this.renderMarker(lot);
  }

  private renderMarker(lot: LotView): void {
    const name = this.session.lotName(lot);
    const node = el('div', `op-marker av-${lot.availability}`, freeText(lot));
    node.dataset.lotId = lot.id;
    node.title = name;
    const icon = L.divIcon({ html: node, className: 'op-marker-icon', iconSize: undefined });
    const marker = this.markers.get(lot.id);
    const map = this.ensure();
    const at = this.coords.toMap(lot);
    if (marker) {
      marker.setLatLng(at);
      marker.setIcon(icon);
    } else {
      const created = L.marker(at, { icon, title: name }).addTo(map);
      created.on('click', () => this.handlers.select(lot.id));
      this.markers.set(lot.id, created);
    }
  }
}
