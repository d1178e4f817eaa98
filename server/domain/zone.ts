// Local time in the lots' zone (TIME_ZONE) for history and forecasts: the
// day, the time of day and the weekday of an instant, fast enough to ask for
// every 5-minute bucket of a year. Pure: Intl is asked about twice per zone and
// six hours (every zone changes its offset on a quarter hour of UTC, at most
// once in six hours: a change is found by bisection), the rest is arithmetic.
import { isPublicHoliday } from './opening-hours.ts';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
export const WEEK_MS = 7 * DAY_MS;
const QUARTER_MS = 15 * MINUTE_MS;

const BLOCK_QUARTERS = 24;
const BLOCK_MS = BLOCK_QUARTERS * QUARTER_MS;

const formatters = new Map<string, Intl.DateTimeFormat>();
/** Per zone and 6 hours of UTC: the offset, or the offset of each quarter when it changes within them. */
const offsets = new Map<string, Map<number, number | Int32Array>>();
const MAX_BLOCKS = 100_000;

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

/** The offset at the start of a quarter, from Intl. */
function offsetAtQuarter(quarter: number, timeZone: string): number {
  const at = quarter * QUARTER_MS;
  const f: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(new Date(at))) if (part.type !== 'literal') f[part.type] = Number(part.value);
  return Date.UTC(f.year!, f.month! - 1, f.day!, f.hour!, f.minute!, f.second!) - at;
}

/**
 * The offsets of a block of quarters: Intl at its first quarter and the
 * next block's; when they differ, the quarter of the change by bisection
 * (zones change their offset at most once in six hours).
 */
function blockOffsets(block: number, timeZone: string): number | Int32Array {
  const first = block * BLOCK_QUARTERS;
  const start = offsetAtQuarter(first, timeZone);
  const end = offsetAtQuarter(first + BLOCK_QUARTERS, timeZone);
  if (start === end) return start;
  // The first quarter with the new offset lies in (first, first + BLOCK_QUARTERS].
  let lo = first;
  let hi = first + BLOCK_QUARTERS;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (offsetAtQuarter(mid, timeZone) === start) lo = mid;
    else hi = mid;
  }
  const each = new Int32Array(BLOCK_QUARTERS);
  for (let q = 0; q < BLOCK_QUARTERS; q++) each[q] = first + q < hi ? start : end;
  return each;
}

/** How far the zone's wall clock is ahead of UTC at `ms` (Asia/Shanghai: 8 h), in ms. */
export function zoneOffsetMs(ms: number, timeZone: string): number {
  let byBlock = offsets.get(timeZone);
  if (!byBlock) offsets.set(timeZone, (byBlock = new Map()));
  const block = Math.floor(ms / BLOCK_MS);
  let known = byBlock.get(block);
  if (known === undefined) {
    known = blockOffsets(block, timeZone);
    if (byBlock.size >= MAX_BLOCKS) byBlock.clear();
    byBlock.set(block, known);
  }
  return typeof known === 'number' ? known : known[Math.floor(ms / QUARTER_MS) - block * BLOCK_QUARTERS]!;
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
