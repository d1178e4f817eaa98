// The drivers' live map: wires the map, the markers, the list, the live feed
// and the page's controls. Lots arrive as a snapshot of the area around the
// view, then as pushes; every change is queued and applied once per animation
// frame, so a burst of pushes costs one round of DOM work.
import L from 'leaflet';
import { hasFeature, type LotFeature } from '../../server/domain/features.ts';
import type { Point } from '../../server/domain/geo.ts';
import type { LotView } from '../../server/domain/lot.ts';
import { byId } from './dom.ts';
import { Arrival } from './arrival.ts';
import { arrivalPopupText, arrivalText, clusterText } from './arrival-display.ts';
import { LotOutlook } from './charts/popup-chart.ts';
import { chooseLang, closedByHours, t, updatedAgo, type Lang } from './i18n.ts';
import { LiveLots } from './live.ts';
import { heardMs } from './live-order.ts';
import { Locate } from './locate.ts';
import { freshUntil, hasRoomFor, kindsFreeShown, nearestLots, shownState } from './lot-display.ts';
import { LotList } from './lot-list.ts';
import { LotMarkers, type LotEntry } from './markers.ts';
import { dataAge, lotLabel, mapAids } from './map-aids.ts';
import { Offline } from './offline.ts';
import { popupContent } from './popup.ts';
import { LotRevealer } from './reveal.ts';
import { findLots, LotFinder, resultView } from './search.ts';
import { fetchLinkedLot, linkedLotId, shareBox } from './share.ts';
import { BottomSheet } from './sheet.ts';
import { addTiles } from './tiles.ts';
import { defaultStaleAfterS, LANG_KEY, now, storedLang, timeZone } from './page-settings.ts';

// The middle of the district's car parks (db/seeds/shibei-lots.json), WGS-84.
const SHIBEI_CENTER: Point = { lat: 36.094, lon: 120.355 };
const LIST_LIMIT = 50;
/** Lots applied per slice, and the time a frame may spend on slices. */
const SLICE_SIZE = 500;
const FRAME_BUDGET_MS = 12;
const TICK_MS = 1000;

let lang: Lang = chooseLang(location.search, storedLang(), navigator.languages ?? [navigator.language]);

// ---- state: every lot of the subscribed area, and what changed since the last frame
const entries = new Map<string, LotEntry>();
const pendingUpserts = new Map<string, LotView>();
const pendingRemovals = new Set<string>();
let pendingSnapshot: { lots: LotView[]; fresh: boolean } | undefined;
let listDirty = true;
let frame = 0;
const filters = new Set<LotFeature>();
let driverPosition: Point | undefined;

function entryOf(lot: LotView): LotEntry {
  // "Arrive in" mode (arrival.ts): the forecast for the arrival, which the clock does not age.
  const forecast = arrival.shown(lot);
  if (forecast) return { lot, shown: forecast, freshUntil: Infinity };
  const until = freshUntil(lot, defaultStaleAfterS);
  return { lot, shown: shownState(lot, now(), until), freshUntil: until };
}
const passesFilters = (entry: LotEntry) => [...filters].every((feature) => hasFeature(entry.lot, feature));
/** With the EV or disabled filter on, a lot known live to have no such bay free goes after those with room. */
const roomOf = (lot: LotView, shown: LotEntry['shown']) => hasRoomFor(lot, shown, filters);

function statusText({ lot, shown }: { lot: LotView; shown: LotEntry['shown'] }): string {
  const s = t(lang);
  if (shown.forecast) return arrivalText(lot, shown, lang, timeZone);
  if (lot.status !== 'open') return s.status[lot.status];
  const state = closedByHours(lot, now(), timeZone, lang) ?? s.availability[shown.availability];
  // The filters' kinds, live from their bay sensors: "available · 1 charging bay free now".
  return [state, ...kindsFreeShown(lot, shown, filters).map(([kind, free]) => s.kindFreeNow[kind](free))].join(' · ');
}

// ---- the map: tiles as configured; lots are placed on them through `coords` (map-coords.ts)
const map = L.map('map', { zoomControl: false, attributionControl: true });
const coords = addTiles(map);
map.setView(coords.toMap(SHIBEI_CENTER), 13);
/** The map's centre, WGS-84. */
const centre = () => coords.fromMap(map.getCenter().lat, map.getCenter().lng);
const zoomControl = L.control.zoom({ position: 'topleft' }).addTo(map);
// The zoom level, readable from outside (tests, styles).
const showZoom = () => map.getContainer().setAttribute('data-zoom', String(map.getZoom()));
map.on('zoomend', showZoom);
showZoom();

const markers = new LotMarkers(map, {
  entry: (id) => entries.get(id),
  label: (entry) => lotLabel(entry, statusText(entry), lang),
  clusterLabel: (summary) => clusterText(summary, lang, timeZone),
  popup: (id) => {
    const entry = entries.get(id)!;
    // The popup says the live count in any mode, the forecast above it in "arrive in" mode, and draws the lot's day.
    const live = shownState(entry.lot, now(), freshUntil(entry.lot, defaultStaleAfterS));
    const forecast = entry.shown.forecast && { shown: entry.shown, text: arrivalPopupText(entry.lot, entry.shown, lang, timeZone) };
    const content = popupContent(entry.lot, live, lang, { nowMs: now(), timeZone }, { outlook: outlook.element(entry.lot, lang, arrival.at), ...(forecast ? { forecast } : {}) });
    content.append(shareBox(entry.lot, lang));
    tickAges(content);
    return content;
  },
  position: (lot) => coords.toMap(lot),
  settled: () => revealer.tryOpen(),
});
const revealer = new LotRevealer(map, markers, coords);
const outlook = new LotOutlook({ now, timeZone });
map.on('popupclose', (e) => outlook.close(e.popup.getElement()?.querySelector<HTMLElement>('.lot-popup')?.dataset.lotId));
const focusPopup = () => document.querySelector<HTMLElement>('.lot-popup h3')?.focus({ preventScroll: true });

// ---- the legend, and the lot looked at announced politely when it changes (map-aids.ts)
const aids = mapAids(map, { entry: (id) => entries.get(id), statusText, lang: () => lang, list: byId('lot-list') });

// ---- the list
const list = new LotList(byId<HTMLUListElement>('lot-list'), {
  statusText,
  age: (entry) => dataAge(entry, now(), lang),
  hasRoom: (entry) => roomOf(entry.lot, entry.shown),
  onOpen: (id, item) => {
    returnFocusTo = item;
    // On a phone, the opened sheet would hide the lot: lower it first.
    sheet.set(false);
    markers.open(id, focusPopup);
  },
});
let returnFocusTo: HTMLElement | undefined;

function renderList(): void {
  const from = driverPosition ?? centre();
  const visible = [...entries.values()].filter(passesFilters);
  const { shown, total } = nearestLots(visible, from, LIST_LIMIT, roomOf);
  const s = t(lang);
  list.render(shown, total, lang, filters.size ? s.emptyFiltered : s.empty);
  byId('list-sort').textContent = driverPosition ? s.sortedFromYou : s.sortedFromCentre;
}

// ---- applying changes, once per frame
function schedule(): void {
  if (!frame) frame = requestAnimationFrame(flush);
}

function flush(): void {
  frame = 0;
  if (pendingSnapshot) {
    const { lots, fresh } = pendingSnapshot;
    pendingSnapshot = undefined;
    const keep = new Set(lots.map((lot) => lot.id));
    for (const id of entries.keys()) if (!keep.has(id)) pendingRemovals.add(id);
    for (const lot of lots) {
      // After a reconnect the snapshot replaces everything (the service may have
      // restarted). Answering a re-subscribe on the same connection, it brings
      // nothing new for lots already held (their changes came as pushes, and a
      // push may even have overtaken it), so only new lots are taken from it.
      // After a reconnect, what is pending came after the snapshot (older pending
      // changes were dropped when it arrived): newer than the snapshot, it stays.
      const pending = pendingUpserts.get(lot.id);
      if (fresh && pending) continue;
      const held = pending ?? entries.get(lot.id)?.lot;
      if (!fresh && held && heardMs(lot) <= heardMs(held)) continue;
      pendingUpserts.set(lot.id, lot);
    }
  }
  if (pendingRemovals.size) {
    for (const id of pendingRemovals) {
      entries.delete(id);
      pendingUpserts.delete(id);
    }
    markers.remove(pendingRemovals);
    pendingRemovals.clear();
    listDirty = true;
  }
  // Big changes (a snapshot of 10,000 lots) go in slices, a frame's budget at a
  // time, so the page keeps answering; a usual push fits in one slice.
  const deadline = performance.now() + FRAME_BUDGET_MS;
  while (pendingUpserts.size && performance.now() < deadline) {
    const slice: string[] = [];
    for (const [id, lot] of pendingUpserts) {
      pendingUpserts.delete(id);
      entries.set(id, entryOf(lot));
      slice.push(id);
      if (slice.length === SLICE_SIZE) break;
    }
    markers.upsert(slice);
    aids.changed(slice);
    listDirty = true;
  }
  if (pendingUpserts.size) return schedule();
  revealer.tryOpen();
  if (listDirty) {
    listDirty = false;
    renderList();
  }
}

// ---- the clock: ages tick and lots turn grey when their data gets old, with no traffic at all
function tickAges(root: ParentNode = document): void {
  for (const node of root.querySelectorAll<HTMLElement>('[data-since]')) {
    const text = updatedAgo(now() - Number(node.dataset.since), lang);
    if (node.textContent !== text) node.textContent = text;
  }
}

setInterval(() => {
  tickAges();
  const at = now();
  const aged: string[] = [];
  for (const [id, entry] of entries) {
    // Only a lot shown with a live count can go stale while the page looks on.
    if (entry.shown.free !== null && at > entry.freshUntil) {
      entry.shown = shownState(entry.lot, at, entry.freshUntil);
      aged.push(id);
    }
  }
  if (aged.length) {
    markers.upsert(aged);
    aids.changed(aged);
    listDirty = true;
    schedule();
  }
}, TICK_MS);

// ---- the live feed
const banner = byId('connection-banner');
// Install and offline (offline.ts): the lots shown are kept on the device, and shown
// greyed, never as live, when the page opens without a live feed.
const offline = new Offline({ now, banner, lots: () => [...entries.values()].map((entry) => entry.lot), restore: (lots) => {
  pendingUpserts.clear();
  pendingSnapshot = { lots, fresh: true };
  schedule();
} });
const areaOf = (b: L.LatLngBounds) => coords.bboxFromMap([b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]);
const live = new LiveLots({ area: map, bbox: areaOf }, {
  snapshot: (lots, fresh) => {
    // A snapshot after a reconnect stands for everything received before it.
    if (fresh) pendingUpserts.clear();
    pendingSnapshot = { lots, fresh };
    offline.snapshot();
    schedule();
  },
  update: (lots) => {
    for (const lot of lots) {
      pendingRemovals.delete(lot.id);
      pendingUpserts.set(lot.id, lot);
    }
    offline.changed();
    schedule();
  },
  live: (changes) => {
    for (const change of changes) {
      // Live fields merge into the lot as last received; a lot not held (yet) waits for its snapshot.
      const known = pendingUpserts.get(change.id) ?? entries.get(change.id)?.lot;
      if (!known || pendingRemovals.has(change.id)) continue;
      pendingUpserts.set(change.id, { ...known, ...change });
    }
    offline.changed();
    schedule();
  },
  remove: (ids) => {
    for (const id of ids) {
      pendingUpserts.delete(id);
      pendingRemovals.add(id);
    }
    offline.changed();
    schedule();
  },
  connection: (connected) => {
    banner.hidden = connected;
    offline.connection(connected);
  },
});

map.on('moveend', () => {
  if (!driverPosition) {
    listDirty = true;
    schedule();
  }
});

// ---- "arrive in": forecasts instead of live counts; a change draws every lot again (through entryOf)
const arrival = new Arrival(byId('arrival'), byId('forecast-banner'), { map, bbox: areaOf, now, timeZone, changed: () => {
  for (const [id, entry] of entries) if (!pendingUpserts.has(id)) pendingUpserts.set(id, entry.lot);
  schedule();
} });

// ---- filters (EV / disabled spaces)
const chips = [...document.querySelectorAll<HTMLButtonElement>('#filters [data-feature]')];
for (const chip of chips) {
  chip.addEventListener('click', () => {
    const feature = chip.dataset.feature as LotFeature;
    if (filters.has(feature)) filters.delete(feature);
    else filters.add(feature);
    chip.setAttribute('aria-pressed', String(filters.has(feature)));
    markers.filter(passesFilters);
    listDirty = true;
    schedule();
  });
}

// ---- the driver's position
const notice = byId('notice');
let noticeTimer: ReturnType<typeof setTimeout> | undefined;
function showNotice(text: string, options: { stay?: boolean } = {}): void {
  notice.textContent = text;
  notice.hidden = false;
  clearTimeout(noticeTimer);
  if (!options.stay) noticeTimer = setTimeout(() => (notice.hidden = true), 6000);
}

const locate = new Locate(map, {
  position: (point) => {
    driverPosition = point;
    listDirty = true;
    schedule();
  },
  failed: () => showNotice(t(lang).locateFailed),
  toMap: (point) => coords.toMap(point),
});

// ---- find and share: the search box, and a lot's own link (/lots/{id}, /?lot={id})
const finder = new LotFinder(byId('find'), {
  find: (q, signal) => findLots(q, centre(), [...filters], signal),
  describe: (lot) => resultView(lot, entryOf(lot).shown, lang),
  choose: (lot) => {
    returnFocusTo = finder.field;
    sheet.set(false);
    revealer.reveal(lot, { animate: !matchMedia('(prefers-reduced-motion: reduce)').matches, then: focusPopup });
  },
});
const linked = linkedLotId(location);
let linkedMissing = false;
/** The linked lot: the map opens on it (before the live feed subscribes, so the first area is its), or says it is not there. */
const opened = linked
  ? fetchLinkedLot(linked).then((lot) => {
      if (lot === 'missing') {
        linkedMissing = true;
        showNotice(t(lang).lotMissing, { stay: true });
      } else if (lot) revealer.reveal(lot, { animate: false });
    })
  : Promise.resolve();

// ---- the bottom sheet (phones): the list peeks from below the map, a tap opens it
const sheet = new BottomSheet(byId('panel'), byId<HTMLButtonElement>('sheet-toggle'), () => map.invalidateSize());

// Leaflet's popup close button says "Close popup" in English only.
function labelPopupClose(): void {
  document.querySelector('.leaflet-popup-close-button')?.setAttribute('aria-label', t(lang).closePopup);
}
map.on('popupopen', labelPopupClose);

// ---- the keyboard: Escape closes the popup and returns to where the driver was
document.addEventListener('keydown', (event) => {
  if (event.key !== 'Escape' || !document.querySelector('.leaflet-popup')) return;
  map.closePopup();
  returnFocusTo?.focus();
  returnFocusTo = undefined;
});

// ---- language
const langToggle = byId<HTMLButtonElement>('lang-toggle');
function applyLanguage(): void {
  const s = t(lang);
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  document.title = s.pageTitle;
  for (const node of document.querySelectorAll<HTMLElement>('[data-i18n]')) {
    node.textContent = s[node.dataset.i18n as 'tagline' | 'listTitle'];
  }
  langToggle.textContent = s.switchTo;
  langToggle.lang = lang === 'zh' ? 'en' : 'zh';
  langToggle.setAttribute('aria-label', s.switchToLabel);
  banner.textContent = s.disconnected;
  offline.language(lang);
  byId('map').setAttribute('aria-label', s.mapLabel);
  byId('filters').setAttribute('aria-label', s.filtersLabel);
  for (const chip of chips) chip.textContent = s.feature[chip.dataset.feature as LotFeature];
  locate.label(s.locate);
  finder.label(lang);
  if (linkedMissing) notice.textContent = s.lotMissing;
  const zoom = zoomControl.getContainer();
  for (const [selector, title] of [['.leaflet-control-zoom-in', s.zoomIn], ['.leaflet-control-zoom-out', s.zoomOut]] as const) {
    const button = zoom?.querySelector<HTMLElement>(selector);
    button?.setAttribute('title', title);
    button?.setAttribute('aria-label', title);
  }
  sheet.translate(lang);
  arrival.translate(lang);
  aids.translate(lang);
  labelPopupClose();
  markers.redraw();
  tickAges();
  listDirty = true;
  schedule();
}

langToggle.addEventListener('click', () => {
  lang = lang === 'zh' ? 'en' : 'zh';
  try {
    localStorage.setItem(LANG_KEY, lang);
  } catch {
    // Private mode: the choice lasts for this page only.
  }
  applyLanguage();
});

applyLanguage();
offline.start();
void opened.finally(() => live.start());
