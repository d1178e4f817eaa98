// The locate button: follows the driver's position (the browser's
// geolocation) on the map until pressed again, so the list can sort by
// distance from the driver rather than from the map's centre.
import L from 'leaflet';
import type { Point } from '../../server/domain/geo.ts';

export interface LocateHandlers {
  /** The driver's position (WGS-84, as the browser gives it), or undefined once no longer followed. */
  position(point: Point | undefined): void;
  failed(): void;
  /** Where a WGS-84 point is drawn on the tiles (map-coords.ts); unset: where it is. */
  toMap?(point: Point): L.LatLngTuple;
}

export class Locate {
  readonly button: HTMLButtonElement;
  private watch: number | undefined;
  private dot: L.CircleMarker | undefined;

  constructor(
    private readonly map: L.Map,
    private readonly handlers: LocateHandlers,
  ) {
    this.button = L.DomUtil.create('button', 'locate-button');
    this.button.type = 'button';
    this.button.setAttribute('aria-pressed', 'false');
    this.button.textContent = '◎';
    this.button.addEventListener('click', () => (this.watch === undefined ? this.start() : this.stop()));
    const button = this.button;
    const Control = L.Control.extend({
      onAdd: () => {
        const bar = L.DomUtil.create('div', 'leaflet-bar locate-control');
        bar.append(button);
        L.DomEvent.disableClickPropagation(bar);
        return bar;
      },
    });
    new Control({ position: 'topleft' }).addTo(map);
  }

  label(text: string): void {
    this.button.title = text;
    this.button.setAttribute('aria-label', text);
  }

  private start(): void {
    if (!('geolocation' in navigator)) return this.handlers.failed();
    this.button.setAttribute('aria-pressed', 'true');
    let first = true;
    this.watch = navigator.geolocation.watchPosition(
      ({ coords }) => {
        const here = { lat: coords.latitude, lon: coords.longitude };
        const at: L.LatLngTuple = this.handlers.toMap ? this.handlers.toMap(here) : [here.lat, here.lon];
        this.dot ??= L.circleMarker(at, { radius: 9, color: '#fff', weight: 3, fillColor: '#1a73e8', fillOpacity: 1, interactive: false }).addTo(this.map);
        this.dot.setLatLng(at);
        if (first) this.map.setView(at, Math.max(this.map.getZoom(), 15));
        first = false;
        this.handlers.position(here);
      },
      () => {
        this.stop();
        this.handlers.failed();
      },
      { enableHighAccuracy: true, maximumAge: 10_000, timeout: 20_000 },
    );
  }

  private stop(): void {
    if (this.watch !== undefined) navigator.geolocation.clearWatch(this.watch);
    this.watch = undefined;
    this.dot?.remove();
    this.dot = undefined;
    this.button.setAttribute('aria-pressed', 'false');
    this.handlers.position(undefined);
  }
}
