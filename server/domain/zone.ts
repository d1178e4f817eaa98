// Local time in the lots' zone (TIME_ZONE) for history and forecasts: the
// day, the time of day and the weekday of an instant, fast enough to ask for
// every 5-minute bucket of a year. Pure: Intl is asked once per zone and
// quarter of an hour (every zone changes its offset on a quarter hour of UTC),
// the rest is arithmetic.
import { isPublicHoliday } from './opening-hours.ts';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
export const WEEK_MS = 7 * DAY_MS;
const QUARTER_MS = 15 * MINUTE_MS;

const formatters = new Map<string, Intl.DateTimeFormat>();
const offsets = new Map<string, Map<number, number>>();
const MAX_OFFSETS = 200_000;

function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    formatters.set(timeZone, format);
  }
  return format;
}

/** How far the zone's wall clock is ahead of UTC at `ms` (Asia/Shanghai: 8 h), in ms. */
export function zoneOffsetMs(ms: number, timeZone: string): number {
  let byQuarter = offsets.get(timeZone);
  if (!byQuarter) offsets.set(timeZone, (byQuarter = new Map()));
  const quarter = Math.floor(ms / QUARTER_MS);
  let offset = byQuarter.get(quarter);
  if (offset === undefined) {
    const at = quarter * QUARTER_MS;
    const f: Record<string, number> = {};
    for (const part of formatter(timeZone).formatToParts(new Date(at))) if (part.type !== 'literal') f[part.type] = Number(part.value);
    offset = Date.UTC(f.year!, f.month! - 1, f.day!, f.hour!, f.minute!, f.second!) - at;
    if (byQuarter.size >= MAX_OFFSETS) byQuarter.clear();
    byQuarter.set(quarter, offset);
  }
  return offset;
}

/** The wall-clock reading at `ms`, written as a UTC time (its UTC fields are the local ones). */
export function wallOf(ms: number, timeZone: string): number {
  return ms + zoneOffsetMs(ms, timeZone);
}

/**
 * The instant at which the zone's clock reads `wall` (a wall time written as
 * UTC). In the hour repeated when daylight saving ends, the later reading;
 * in the hour skipped when it starts, the instant an hour on (the clock's
 * reading there is an hour ahead, as with `wall + 1 h`).
 */
export function instantOfWall(wall: number, timeZone: string): number {
  let guess = wall - zoneOffsetMs(wall, timeZone);
  guess = wall - zoneOffsetMs(guess, timeZone);
  return guess;
}

/** The local calendar day of `ms`, as days since 1970-01-01. */
export function localDay(ms: number, timeZone: string): number {
  return Math.floor(wallOf(ms, timeZone) / DAY_MS);
}

/** Monday 0 … Sunday 6 of a day number (1970-01-01 was a Thursday). */
export function weekdayOfDay(day: number): number {
  return (((day + 3) % 7) + 7) % 7;
}

/** The instant a local day (days since 1970-01-01) starts: its midnight, or the first instant after it when the zone skips midnight. */
export function startOfLocalDay(day: number, timeZone: string): number {
  return instantOfWall(day * DAY_MS, timeZone);
}

/** The same wall time `days` local days later (earlier when negative), across daylight-saving changes. */
export function shiftLocalDays(ms: number, days: number, timeZone: string): number {
  return instantOfWall(wallOf(ms, timeZone) + days * DAY_MS, timeZone);
}

/**
 * The start of the local step (a divisor of a day: 5, 15, 30 min, 1 h) that
 * contains `ms`, or of its local day (step of a day).
 */
export function startOfLocalStep(ms: number, stepMs: number, timeZone: string): number {
  if (stepMs >= DAY_MS) return startOfLocalDay(localDay(ms, timeZone), timeZone);
  const wall = wallOf(ms, timeZone);
  return ms - (((wall % stepMs) + stepMs) % stepMs);
}

/** Whether a local day (days since 1970-01-01) is a public holiday (China's, as opening hours' PH knows them). */
export function isHolidayDay(day: number): boolean {
  const date = new Date(day * DAY_MS);
  return isPublicHoliday(date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate());
}
