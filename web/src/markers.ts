// The lots on the map: one marker per lot, clustered when zoomed out
// (leaflet.markercluster), each showing its free count; a cluster shows the
// free spaces of its lots, summed. Markers are added and removed in bulk and
// updated in place: a push changes the text and colour of the markers that
// are drawn and flags their clusters, never rebuilds the layer.
import L from 'leaflet';
import 'leaflet.markercluster';
import type { LotView } from '../../server/domain/lot.ts';
import { setClass, setText } from './dom.ts';
import { badgeText, clusterBadgeText, clusterSummary, type Shown } from './lot-display.ts';

export interface LotEntry {
  lot: LotView;
  shown: Shown;
  /** When its data stops being fresh (epoch ms), so the clock's tick is one comparison per lot. */
  freshUntil: number;
}

export interface LotMarkersOptions {
  /** The lot as it is now. */
  entry(id: string): LotEntry | undefined;
  /** A lot's accessible name: its name and state. */
  label(entry: LotEntry): string;
  clusterLabel(summary: ReturnType<typeof clusterSummary>): string;
  /** The popup of a lot, built when it opens. */
  popup(id: string): HTMLElement;
  /** Where a lot is drawn, [lat, lon] on the tiles (map-coords.ts); unset: its own coordinates. */
  position?(lot: LotView): L.LatLngTuple;
  /** Markers added in slices (a big snapshot) are all on the map now. */
  settled?(): void;
}

/**
 * A cluster covers markers closer than this many pixels: from the district's
 * zoom (13) in, those whose badges would overlap; further out, more, so the
 * (wider) cluster badges overlap less.
 */
const clusterRadiusPx = (zoom: number) => (zoom >= 13 ? 40 : 60);

/** Room kept above a popup (the search box over the map) and around it. */
const POPUP_PAD_TOP = 72;
const POPUP_PAD = 16;
/** The marker and the popup's tip below a popup. */
const POPUP_BELOW = 44 + 24;

/**
 * A div icon drawn by a function, on the container Leaflet places: the same
 * function draws it again in place when the lot changes.
 */
class DrawnIcon extends L.DivIcon {
  constructor(
    private readonly className: string,
    private readonly draw: (container: HTMLElement) => void,
  ) {
    super();
  }

  override createIcon(oldIcon?: HTMLElement): HTMLElement {
    const container = oldIcon?.tagName === 'DIV' ? oldIcon : document.createElement('div');
    container.className = `leaflet-marker-icon ${this.className}`;
    this.draw(container);
    return container;
  }
}

export class LotMarkers {
  private readonly group: L.MarkerClusterGroup;
  private readonly markers = new Map<string, L.Marker>();
  private readonly idOf = new WeakMap<L.Marker, string>();
  private visible: (entry: LotEntry) => boolean = () => true;
  /** A finger or button is down in a popup: its redraws wait (see holdRedraws). */
  private pressing = false;
  private readonly redrawAfterPress = new Set<string>();

  constructor(
    private readonly map: L.Map,
    private readonly options: LotMarkersOptions,
  ) {
    this.group = L.markerClusterGroup({
      maxClusterRadius: clusterRadiusPx,
      showCoverageOnHover: false,
      spiderfyOnMaxZoom: true,
      // Bulk adds run in slices of ~20 ms, so 10,000 lots never block the page for long.
      chunkedLoading: true,
      chunkInterval: 20,
      chunkDelay: 10,
      // The last slice is drawn right after this call: tell once it is.
      chunkProgress: (processed, total) => processed === total && setTimeout(() => this.options.settled?.(), 0),
      iconCreateFunction: (cluster) => new DrawnIcon('lot-cluster-icon', (container) => this.drawCluster(container, cluster)),
    });
    this.group.addTo(map);
    this.holdRedraws(map.getContainer());
  }

  /**
   * A popup is not drawn again while a pointer is pressed in it: a tap whose
   * press and release fell on either side of a redraw would land on two
   * different buttons, and no click would come. The redraws wait until the
   * click has come (or the press was let go elsewhere).
   */
  private holdRedraws(container: HTMLElement): void {
    let release: ReturnType<typeof setTimeout> | undefined;
    const letGo = () => {
      clearTimeout(release);
      release = undefined;
      this.pressing = false;
      const ids = [...this.redrawAfterPress];
      this.redrawAfterPress.clear();
      for (const id of ids) {
        const marker = this.markers.get(id);
        if (marker?.isPopupOpen()) this.redrawPopup(marker, id);
      }
    };
    container.addEventListener('pointerdown', (e) => {
      if (!(e.target instanceof Element) || !e.target.closest('.leaflet-popup')) return;
      // A new press (a second tap soon after the first) waits for its own release.
      clearTimeout(release);
      release = undefined;
      this.pressing = true;
    }, true);
    // The click follows the release in the same task for a mouse, a little later for a touch.
    const released = () => {
      if (this.pressing) release ??= setTimeout(letGo, 300);
    };
    document.addEventListener('pointerup', released, true);
    document.addEventListener('pointercancel', released, true);
    document.addEventListener('click', () => this.pressing && setTimeout(letGo, 0), true);
  }

  /** Creates, updates (in place) or shows the markers of lots that are new or changed. */
  upsert(ids: Iterable<string>): void {
    const toAdd: L.Marker[] = [];
    const toRemove: L.Marker[] = [];
    const changed: L.Marker[] = [];
    for (const id of ids) {
      const entry = this.options.entry(id);
      if (!entry) continue;
      let marker = this.markers.get(id);
      if (!marker) {
        marker = this.create(id, entry);
      } else {
        const at = marker.getLatLng();
        const [lat, lon] = this.position(entry.lot);
        if (at.lat !== lat || at.lng !== lon) marker.setLatLng([lat, lon]);
        const drawn = marker.getElement();
        if (drawn) this.drawLot(drawn, entry);
        if (marker.isPopupOpen()) this.redrawPopup(marker, id);
      }
      const shouldShow = this.visible(entry);
      const shown = this.group.hasLayer(marker);
      if (shouldShow && !shown) toAdd.push(marker);
      else if (!shouldShow && shown) toRemove.push(marker);
      else if (shown) changed.push(marker);
    }
    if (toRemove.length) this.group.removeLayers(toRemove);
    if (toAdd.length) this.group.addLayers(toAdd);
    if (changed.length) this.group.refreshClusters(changed);
  }

  remove(ids: Iterable<string>): void {
    const gone: L.Marker[] = [];
    for (const id of ids) {
      const marker = this.markers.get(id);
      if (!marker) continue;
      this.markers.delete(id);
      gone.push(marker);
    }
    if (gone.length) this.group.removeLayers(gone);
  }

  /** Shows only the lots that pass `visible` (the EV / disabled filters). */
  filter(visible: (entry: LotEntry) => boolean): void {
    this.visible = visible;
    this.upsert([...this.markers.keys()]);
  }

  /** Draws every marker and cluster again (the language changed). */
  redraw(): void {
    for (const [id, marker] of this.markers) {
      const entry = this.options.entry(id);
      const drawn = marker.getElement();
      if (entry && drawn) this.drawLot(drawn, entry);
      if (marker.isPopupOpen()) this.redrawPopup(marker, id);
    }
    this.group.refreshClusters();
  }

  /**
   * Whether a lot's marker is on the map: it exists, no filter hides it, and
   * it has its place among the clusters (bulk adds run in slices; until its
   * slice, it has none, and cannot be brought into view).
   */
  shows(id: string): boolean {
    const marker = this.markers.get(id) as (L.Marker & { __parent?: unknown }) | undefined;
    return marker !== undefined && this.group.hasLayer(marker) && marker.__parent !== undefined;
  }

  /** Brings a lot into view (out of its cluster, if it is in one) and opens its popup. */
  open(id: string, then?: () => void): void {
    const marker = this.markers.get(id);
    if (!marker || !this.group.hasLayer(marker)) return;
    this.group.zoomToShowLayer(marker, () => {
      marker.openPopup();
      then?.();
    });
  }

  private position(lot: LotView): L.LatLngTuple {
    return this.options.position ? this.options.position(lot) : [lot.lat, lot.lon];
  }

  /**
   * Draws an open popup again (its lot changed). What had the focus in it (a
   * button, a link: marked with data-focus-key) keeps it in the new one.
   */
  private redrawPopup(marker: L.Marker, id: string): void {
    if (this.pressing) {
      this.redrawAfterPress.add(id);
      return;
    }
    const focused = document.activeElement instanceof HTMLElement ? document.activeElement : undefined;
    const key = focused && marker.getPopup()?.getElement()?.contains(focused) ? focused.dataset.focusKey : undefined;
    const content = this.options.popup(id);
    this.fitPopup(marker);
    marker.setPopupContent(content);
    if (key) content.querySelector<HTMLElement>(`[data-focus-key="${key}"]`)?.focus({ preventScroll: true });
  }

  /**
   * A popup no taller than the map leaves room for (it scrolls inside): a
   * taller one is panned into view past its own marker — on a phone's short
   * map, off the map, where the marker is taken off and its popup closes.
   */
  private fitPopup(marker: L.Marker): void {
    const popup = marker.getPopup();
    if (popup) popup.options.maxHeight = Math.max(160, this.map.getSize().y - POPUP_PAD_TOP - POPUP_PAD - POPUP_BELOW);
  }

  private create(id: string, entry: LotEntry): L.Marker {
    const icon = new DrawnIcon('lot-marker-icon', (container) => {
      const current = this.options.entry(id);
      if (current) this.drawLot(container, current);
    });
    const marker = L.marker(this.position(entry.lot), { icon, keyboard: true, riseOnHover: true });
    marker.bindPopup(
      () => {
        this.fitPopup(marker);
        return this.options.popup(id);
      },
      { maxWidth: 300, minWidth: 260, autoPanPadding: [POPUP_PAD, POPUP_PAD], autoPanPaddingTopLeft: [POPUP_PAD, POPUP_PAD_TOP] },
    );
    this.markers.set(id, marker);
    this.idOf.set(marker, id);
    return marker;
  }

  private drawLot(container: HTMLElement, entry: LotEntry): void {
    let badge = container.firstElementChild as HTMLElement | null;
    if (!badge) {
      badge = document.createElement('div');
      container.append(badge);
    }
    setClass(badge, `lot-marker av-${entry.shown.availability}${entry.shown.forecast ? ' forecast' : ''}`);
    badge.dataset.lotId = entry.lot.id;
    setText(badge, badgeText(entry.shown));
    const label = this.options.label(entry);
    if (container.getAttribute('aria-label') !== label) {
      container.setAttribute('aria-label', label);
      container.title = label;
    }
  }

  private drawCluster(container: HTMLElement, cluster: L.MarkerCluster): void {
    const members: LotEntry[] = [];
    for (const marker of cluster.getAllChildMarkers()) {
      const id = this.idOf.get(marker);
      const entry = id === undefined ? undefined : this.options.entry(id);
      if (entry) members.push(entry);
    }
    const summary = clusterSummary(members);
    const badge = document.createElement('div');
    badge.className = `lot-cluster av-${summary.availability}${summary.forecastAt === undefined ? '' : ' forecast'}`;
    badge.textContent = clusterBadgeText(summary);
    badge.dataset.lots = String(summary.lots);
    container.replaceChildren(badge);
    const label = this.options.clusterLabel(summary);
    container.setAttribute('aria-label', label);
    container.title = label;
  }
}
