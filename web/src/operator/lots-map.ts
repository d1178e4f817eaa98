// The operator's map: a marker per own lot with its free count, and the pin
// of the point being picked for a lot in the form. Made on first use, once
// the workspace shows (Leaflet cannot size a map in a hidden container).
import L from 'leaflet';
import type { LotView } from '../../../server/domain/lot.ts';
import { el } from '../dom.ts';
import type { Session } from './session.ts';

const SHIBEI_CENTER: L.LatLngTuple = [36.0915, 120.3610];

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
  private readonly markers = new Map<string, L.Marker>();
  private pick: L.Marker | undefined;

  constructor(
    private readonly session: Session,
    private readonly handlers: LotsMapHandlers,
  ) {}

  ensure(): L.Map {
    if (this.map) return this.map;
    const body = document.body;
    const map = L.map('map').setView(SHIBEI_CENTER, 14);
    L.tileLayer(body.dataset.tileUrl ?? '', { attribution: body.dataset.tileAttribution ?? '', maxZoom: 19 }).addTo(map);
    map.on('click', (e: L.LeafletMouseEvent) => this.handlers.click(e.latlng.lat, e.latlng.lng));
    this.map = map;
    return map;
  }

  /** Shows the pin at a point. */
  placePick(lat: number, lon: number): void {
    const icon = L.divIcon({ html: el('div', 'op-pick'), className: 'op-pick-icon', iconSize: undefined });
    if (this.pick) this.pick.setLatLng([lat, lon]);
    // Not a control (the form's latitude and longitude are): no tab stop, no button role.
    else this.pick = L.marker([lat, lon], { icon, interactive: false, keyboard: false }).addTo(this.ensure());
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
    if (marker) {
      marker.setLatLng([lot.lat, lot.lon]);
      marker.setIcon(icon);
    } else {
      const created = L.marker([lot.lat, lot.lon], { icon, title: name }).addTo(this.ensure());
      created.on('click', () => this.handlers.select(lot.id));
      this.markers.set(lot.id, created);
    }
  }
}
