// The map's aids, wired in one place so the page's main module stays small:
// the legend of the markers' shapes (legend.ts), the polite announcements of
// the lot the driver looks at (announce.ts), and a lot's data age in the list.
import type L from 'leaflet';
import { LotAnnouncer, liveRegion } from './announce.ts';
import { lotName, t, updatedAgo, type Lang } from './i18n.ts';
import { pwaStrings } from './i18n-pwa.ts';
import { Legend } from './legend.ts';
import type { Shown } from './lot-display.ts';
import type { LotEntry } from './markers.ts';

export interface MapAidsOptions {
  entry(id: string): LotEntry | undefined;
  /** What a lot's state is called (as in the list and the marker's label). */
  statusText(entry: LotEntry): string;
  lang(): Lang;
  /** The list of lots, whose focused entry is the lot looked at when no popup is open. */
  list: HTMLElement;
}

export interface MapAids {
  /** Lots changed (a frame's ids): the one looked at is announced if it reads differently. */
  changed(ids: Iterable<string>): void;
  translate(lang: Lang): void;
}

export function mapAids(map: L.Map, options: MapAidsOptions): MapAids {
  const legend = new Legend(map);
  const announcer = new LotAnnouncer((id) => {
    const entry = options.entry(id);
    return entry && lotLabel(entry, options.statusText(entry), options.lang());
  }, liveRegion());
  // (A lot's popup content is made when it opens: read its lot from the popup's element.)
  map.on('popupopen', (e) => announcer.popup(e.popup.getElement()?.querySelector<HTMLElement>('.lot-popup')?.dataset.lotId));
  map.on('popupclose', () => announcer.popup(undefined));
  options.list.addEventListener('focusin', (e) => announcer.focus((e.target as HTMLElement).closest<HTMLElement>('[data-lot-id]')?.dataset.lotId));
  options.list.addEventListener('focusout', () => announcer.focus(undefined));
  return {
    changed: (ids) => announcer.changed(ids),
    translate: (lang) => legend.translate(lang),
  };
}

/**
 * A lot in words, as its marker is named and its changes are announced:
 * "Nanfeng Rd Car Park: 38 free of 150", "…: 5 free of 150 · almost full",
 * "…: no recent data". The count is never in brackets: a screen reader's
 * name must hold the marker's visible number as a word.
 */
export function lotLabel({ lot, shown }: Pick<LotEntry, 'lot' | 'shown'>, statusText: string, lang: Lang): string {
  const s = t(lang);
  // (A forecast is said as one: its words come from statusText, never as "N free of M".)
  const state = shown.free === null || shown.forecast ? statusText
    : shown.availability === 'available' ? s.freeOf(shown.free, lot.capacity)
    : `${s.freeOf(shown.free, lot.capacity)} · ${s.availability[shown.availability]}`;
  return pwaStrings(lang).announce(lotName(lot, lang), state);
}

/** How old a lot's data is, for a lot shown without a live count (stale, or kept from before); null otherwise. */
export function dataAge({ lot, shown }: { lot: LotEntry['lot']; shown: Shown }, nowMs: number, lang: Lang): { since: number; text: string } | null {
  if (shown.availability !== 'unknown' || !lot.updatedAt) return null;
  const since = Date.parse(lot.updatedAt);
  return { since, text: updatedAgo(nowMs - since, lang) };
}
