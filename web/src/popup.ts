// A lot's popup: everything a driver needs to decide and to get there.
// Built from text nodes only.
import { featureCapacityOf, lotFeatures } from '../../server/domain/features.ts';
import type { LotView } from '../../server/domain/lot.ts';
import { el } from './dom.ts';
import { closedByHours, closesSoon, describeOpeningHours, describePrice, lotName, t, type Lang } from './i18n.ts';
import { kindsFreeShown, type Shown } from './lot-display.ts';

/**
 * Links that open the driver's navigation app. Always from the lot's own
 * coordinates, WGS-84, and each app is told so — Amap `coordinate=wgs84`,
 * Baidu `coord_type=wgs84` (each converts to its own GCJ-02 / BD-09), `geo:`
 * is WGS-84 by definition (RFC 5870) — never from where the map draws the lot
 * (GCJ-02 tiles: map-coords.ts).
 */
function directionLinks(lot: LotView, lang: Lang): HTMLElement {
  const s = t(lang);
  const name = lotName(lot, lang);
  const amap = el('a', 'directions', s.directions);
  amap.href = `https://uri.amap.com/navigation?to=${lot.lon},${lot.lat},${encodeURIComponent(name)}&mode=car&coordinate=wgs84&callnative=1&src=kongwei`;
  const baidu = el('a', 'directions', s.directionsBaidu);
  baidu.href = `https://api.map.baidu.com/marker?location=${lot.lat},${lot.lon}&title=${encodeURIComponent(name)}&content=${encodeURIComponent(lot.address ?? name)}&coord_type=wgs84&output=html&src=kongwei`;
  for (const link of [amap, baidu]) {
    link.target = '_blank';
    link.rel = 'noopener noreferrer';
  }
  const geo = el('a', 'directions', s.directionsOther);
  geo.href = `geo:${lot.lat},${lot.lon}?q=${lot.lat},${lot.lon}(${encodeURIComponent(name)})`;
  const box = el('p', 'popup-directions');
  box.append(amap, baidu, geo);
  return box;
}

/** The page's clock (the service's) and the lots' time zone, for what the opening hours say now. */
export interface PopupClock {
  nowMs: number;
  timeZone: string | undefined;
}

/** What "arrive in" mode and the charts add (arrival.ts, charts/popup-chart.ts). */
export interface PopupExtras {
  /** The lot's forecast for the arrival, said above its live count, in the forecasts' own style. */
  forecast?: { shown: Shown; text: string };
  /** The chart of the lot's day, under its live count. */
  outlook?: HTMLElement;
}

export function popupContent(lot: LotView, shown: Shown, lang: Lang, clock: PopupClock, extras: PopupExtras = {}): HTMLElement {
  const s = t(lang);
  const hoursClosed = closedByHours(lot, clock.nowMs, clock.timeZone, lang);
  const box = el('div', 'lot-popup');
  box.dataset.lotId = lot.id;
  const title = el('h3', undefined, lotName(lot, lang));
  title.tabIndex = -1;
  box.append(title);
  // The Chinese name is what the sign at the entrance says: show it to English readers too.
  if (lang === 'en' && lot.nameEn && lot.nameEn !== lot.name) box.append(el('p', 'popup-alt-name', lot.name));

  if (extras.forecast) box.append(el('p', `popup-forecast av-${extras.forecast.shown.availability}`, extras.forecast.text));
  const live = el('p', `popup-live av-${shown.availability}`);
  if (lot.status !== 'open') live.textContent = `${s.availability.closed} · ${s.status[lot.status]}`;
  // Closed by its hours is not "no recent data": say so, and when it opens.
  else if (hoursClosed !== null) live.textContent = hoursClosed;
  else if (shown.free === null) live.textContent = s.noRecentData;
  else if (shown.availability === 'available') live.textContent = s.freeOf(shown.free, lot.capacity);
  else live.textContent = `${s.freeOf(shown.free, lot.capacity)} · ${s.availability[shown.availability]}`;
  box.append(live);
  // Live free bays of each kind whose sensors all report: "1 charging bay free now".
  const kinds = kindsFreeShown(lot, shown);
  if (kinds.length > 0) {
    const line = el('p', 'popup-kinds');
    for (const [kind, free] of kinds) {
      const item = el('span', `kind-free${free === 0 ? ' kind-none' : ''}`, s.kindFreeNow[kind](free));
      item.dataset.kind = kind;
      line.append(item);
    }
    box.append(line);
  }
  const closing = closesSoon(lot, clock.nowMs, clock.timeZone, lang);
  if (closing !== null) box.append(el('p', 'popup-hours', closing));
  if (lot.updatedAt) {
    // Filled in, and kept ticking, by the page's clock (main.ts).
    const since = el('p', 'popup-since');
    since.dataset.since = String(Date.parse(lot.updatedAt));
    box.append(since);
  }
  if (lot.clamped && shown.free !== null) box.append(el('p', 'popup-note', s.clamped));
  if (extras.outlook) box.append(extras.outlook);

  box.append(el('p', 'popup-kind', `${s.type[lot.type]} · ${s.capacity(lot.capacity)}`));
  const facts = el('dl', 'popup-facts');
  const fact = (term: string, value: string) => facts.append(el('dt', undefined, term), el('dd', undefined, value));
  if (lot.address) fact(s.address, lot.address);
  if (lot.openingHours) fact(s.openingHours, describeOpeningHours(lot.openingHours, lang));
  const price = describePrice(lot, lang);
  if (price) fact(s.price, price);
  const special = lotFeatures
    .map((feature) => [feature, featureCapacityOf(lot, feature)] as const)
    .filter(([, count]) => count !== null && count > 0)
    .map(([feature, count]) => `${s.feature[feature]} ${count}`);
  if (special.length) fact(s.specialSpaces, special.join(' · '));
  if (lot.maxHeightCm !== null) fact(s.maxHeight, s.metresValue((lot.maxHeightCm / 100).toFixed(1)));
  box.append(facts, directionLinks(lot, lang));
  return box;
}
