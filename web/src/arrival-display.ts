// What the map shows for a lot in "arrive in" mode (arrival.ts): the
// forecast for the arrival, drawn and said so it can never be taken for a
// live count ("≈", its own marker style). The rules for live counts still
// hold: a lot that is not open, or that its opening hours close at the
// arrival, shows closed; a lot without a forecast shows "?" with the reason,
// never 0. Pure (no DOM), so the unit tests run it in Node.
import type { LotForecast, LotView } from '../../server/domain/lot.ts';
import { DAY_MS, instantOfWall, localDay, MINUTE_MS } from '../../server/domain/zone.ts';
import { clockTime, zoneOr } from './charts/series.ts';
import { chartStrings, reasonText } from './i18n-charts.ts';
import { t, type Lang } from './i18n.ts';
import { availabilityOf, type ClusterSummary, type Shown } from './lot-display.ts';

/**
 * The next moment the lots' clock reads `time` ("18:30"), at or after
 * `nowMs`: today's, or tomorrow's once today's has passed. Undefined for a
 * time that is not HH:MM.
 */
export function nextWallTime(time: string, nowMs: number, timeZone: string): number | undefined {
  const match = /^(\d{2}):(\d{2})$/.exec(time);
  if (!match) return undefined;
  const minutes = Number(match[1]) * 60 + Number(match[2]);
  if (minutes >= 24 * 60 || Number(match[2]) >= 60) return undefined;
  const today = localDay(nowMs, timeZone);
  const at = instantOfWall(today * DAY_MS + minutes * MINUTE_MS, timeZone);
  return at >= nowMs ? at : instantOfWall((today + 1) * DAY_MS + minutes * MINUTE_MS, timeZone);
}

/** Whether the lot's opening hours close it at `atMs`, from what the lot says of its next change. */
export function closedByHoursAt(lot: Pick<LotView, 'openNow' | 'opensAt' | 'closesAt'>, atMs: number): boolean {
  if (lot.openNow === false) return lot.opensAt === null || Date.parse(lot.opensAt) > atMs;
  if (lot.openNow === true) return lot.closesAt !== null && Date.parse(lot.closesAt) <= atMs;
  return false;
}

/**
 * A lot as "arrive in" mode shows it: the forecast for `atMs` (undefined:
 * none received yet — "?", loading), rounded to whole spaces.
 */
export function arrivalShown(lot: LotView, forecast: LotForecast | undefined, atMs: number): Shown {
  const base = { at: atMs, low: forecast?.low ?? null, high: forecast?.high ?? null };
  if (lot.status !== 'open' || closedByHoursAt(lot, atMs)) return { availability: 'closed', free: null, forecast: base };
  if (!forecast || forecast.free === null) {
    return { availability: 'unknown', free: null, forecast: { ...base, reason: forecast ? (forecast.reason ?? 'other') : 'pending' } };
  }
  const free = Math.round(forecast.free);
  return { availability: availabilityOf(free, lot.capacity), free, forecast: base };
}

/** A lot's state in words in "arrive in" mode (its list entry's second line, its marker's name). */
export function arrivalText(lot: LotView, shown: Shown, lang: Lang, timeZone: string | undefined): string {
  const forecast = shown.forecast!;
  const s = chartStrings(lang);
  const time = clockTime(forecast.at, zoneOr(timeZone));
  if (lot.status !== 'open') return t(lang).status[lot.status];
  if (shown.availability === 'closed') return s.closedAt(time);
  if (shown.free === null) return s.forecastNone(reasonText(forecast.reason, lang), time);
  return s.forecastFree(shown.free, forecast.low, forecast.high, time);
}

/** The popup's line for the arrival: "≈38 free expected at 10:30 (likely 30–45)". */
export function arrivalPopupText(lot: LotView, shown: Shown, lang: Lang, timeZone: string | undefined): string {
  const forecast = shown.forecast!;
  if (shown.free === null) return `≈ ${arrivalText(lot, shown, lang, timeZone)}`;
  return chartStrings(lang).popupForecast(shown.free, forecast.low, forecast.high, clockTime(forecast.at, zoneOr(timeZone)));
}

/**
 * A cluster's accessible name, live or forecast: the free spaces summed over
 * its lots with a count; with none, what its lots show instead — "closed now"
 * when their opening hours close them all (not "no recent data": their data
 * may be fresh), each state counted when they differ.
 */
export function clusterText(summary: ClusterSummary, lang: Lang, timeZone: string | undefined): string {
  const s = t(lang);
  const closed = summary.closedByHours + summary.notOpen;
  if (summary.forecastAt === undefined) {
    if (summary.free !== null) return s.clusterLabel(summary.lots, summary.free);
    return s.clusterWithoutCount(summary.lots, { closedNow: summary.closedByHours, notOpen: summary.notOpen, noRecentData: summary.lots - closed });
  }
  const time = clockTime(summary.forecastAt, zoneOr(timeZone));
  if (summary.free === null && closed === summary.lots) return s.clusterSays(summary.lots, chartStrings(lang).closedAt(time));
  return chartStrings(lang).clusterForecast(summary.lots, summary.free, time);
}
