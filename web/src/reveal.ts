// Opening a lot that may not be on the map yet (chosen in the search box, or
// named by the page's link): the map moves to it, and its popup opens once its
// marker is there — at once when the lot was already held, else when the live
// feed's snapshot of the new area brings it. Moving the map by hand before
// then gives up on it.
import type L from 'leaflet';
import type { Point } from '../../server/domain/geo.ts';
import type { MapCoords } from './map-coords.ts';
import type { LotMarkers } from './markers.ts';

/** The zoom a revealed lot is shown at (at least): its street and its neighbours apart. */
const REVEAL_ZOOM = 17;

export class LotRevealer {
  private pending: { id: string; then: (() => void) | undefined } | undefined;
  private moving = false;

  constructor(
    private readonly map: L.Map,
    private readonly markers: LotMarkers,
    private readonly coords: MapCoords,
  ) {
    map.on('dragstart', () => (this.pending = undefined));
  }

  /** Moves the map to a lot and opens its popup as soon as it can; `then` runs once it is open. */
  reveal(lot: Point & { id: string }, options: { animate: boolean; then?: () => void }): void {
    this.pending = { id: lot.id, then: options.then };
    this.moving = true;
    this.map.once('moveend', () => {
      this.moving = false;
      this.tryOpen();
    });
    this.map.setView(this.coords.toMap(lot), Math.max(this.map.getZoom(), REVEAL_ZOOM), { animate: options.animate });
  }

  /** Opens the waiting lot's popup if its marker is on the map now (called whenever markers change). */
  tryOpen(): void {
    const pending = this.pending;
    if (!pending || this.moving || !this.markers.shows(pending.id)) return;
    this.pending = undefined;
    this.markers.open(pending.id, pending.then);
  }
}
