// Opening hours in OpenStreetMap `opening_hours` syntax ("Mo-Fr 07:00-22:00;
// PH off"), checked and evaluated by the `opening_hours` library, which knows
// the whole grammar and China's public holidays. Pure: no I/O.
import OpeningHours from 'opening_hours';
import type { Text } from './messages.ts';

/** Public holidays (PH) are China's; the library needs a place to pick them. */
const NOMINATIM = { lat: 36.09, lon: 120.37, address: { country_code: 'cn', state: '山东省' } };
/** Parsed values, by their text: many lots share a few schedules, and parsing is the slow part. */
const parsed = new Map<string, OpeningHours | Error>();
const MAX_CACHED = 5000;

function parse(value: string): OpeningHours | Error {
  let entry = parsed.get(value);
  if (!entry) {
    try {
      entry = new OpeningHours(value, NOMINATIM, { mode: 0, warnings_severity: 4, locale: 'en' } as never);
    } catch (err) {
      entry = err instanceof Error ? err : new Error(String(err));
    }
    if (parsed.size >= MAX_CACHED) parsed.clear();
    parsed.set(value, entry);
  }
  return entry;
}

/** Why a value is not valid `opening_hours` syntax (in English and Chinese), or undefined when it is. */
export function openingHoursProblem(value: string): Text | undefined {
  const result = parse(value);
  if (!(result instanceof Error)) return undefined;
  // The library answers with the value up to the problem, a "<---" marker and the reason in brackets,
  // in English (it has no Chinese): the Chinese names the place and gives an example instead.
  const reason = (/\((.+?)\)/s.exec(result.message)?.[1] ?? result.message).trim();
  const upTo = /^(.*?) <---/s.exec(result.message)?.[1]?.trim();
  return {
    en: `not valid opening_hours syntax (see wiki.openstreetmap.org/wiki/Key:opening_hours): ${reason}`,
    zh: `不是有效的 OpenStreetMap opening_hours 格式${upTo ? `，错误在“${upTo}”处` : ''}（例如 Mo-Fr 07:00-22:00; PH off，全天开放为 24/7；语法见 wiki.openstreetmap.org/wiki/Key:opening_hours）`,
  };
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The wall-clock reading in `timeZone` at `ms`: year, month (1-12), day, hour, minute, second. */
function zonedFields(ms: number, timeZone: string): [number, number, number, number, number, number] {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    formatters.set(timeZone, format);
  }
  const f: Record<string, number> = {};
  for (const part of format.formatToParts(new Date(ms))) if (part.type !== 'literal') f[part.type] = Number(part.value);
  return [f.year!, f.month!, f.day!, f.hour!, f.minute!, f.second!];
}

/** How far `timeZone`'s wall clock is ahead of UTC at `ms`, in ms (Asia/Shanghai: 8 h). */
function offsetAt(ms: number, timeZone: string): number {
  const [y, mo, d, h, mi, s] = zonedFields(ms, timeZone);
  return Date.UTC(y, mo - 1, d, h, mi, s) - (ms - (((ms % 1000) + 1000) % 1000));
}

/**
 * The wall-clock time in `timeZone` as a Date whose local fields carry it:
 * the library reads getHours(), getDay() and so on, in the process's zone.
 * (Exact when the process's zone is UTC or `timeZone` itself; a process zone
 * with its own daylight-saving jump cannot represent the skipped hour.)
 */
export function wallClock(nowMs: number, timeZone: string | undefined): Date {
  if (!timeZone) return new Date(nowMs);
  const [y, mo, d, h, mi, s] = zonedFields(nowMs, timeZone);
  return new Date(y, mo - 1, d, h, mi, s);
}

const HOUR_MS = 3_600_000;

/**
 * The instant at which `timeZone`'s clock reads `wallAsUtc` (a wall time,
 * its fields written as a UTC time): the first one after `afterMs` when it
 * reads it twice (the hour repeated when daylight saving ends), and the jump
 * itself when it never does (the hour skipped when daylight saving starts).
 */
export function instantOfWallTime(wallAsUtc: number, timeZone: string, afterMs = -Infinity): number {
  // No zone changes its offset twice within a day: the offsets 12 h either side are all there are.
  const before = offsetAt(wallAsUtc - 12 * HOUR_MS, timeZone);
  const after = offsetAt(wallAsUtc + 12 * HOUR_MS, timeZone);
  const reads = (ms: number) => offsetAt(ms, timeZone) === wallAsUtc - ms;
  const candidates = [...new Set([wallAsUtc - before, wallAsUtc - after])].filter(reads).sort((a, b) => a - b);
  if (candidates.length > 0) return candidates.find((ms) => ms > afterMs) ?? candidates[0]!;
  // Skipped: the clock jumped from before this reading to after it. Find the jump, to the second.
  let lo = wallAsUtc - after; // still on the old offset
  let hi = wallAsUtc - before; // already on the new one
  while (hi - lo > 1000) {
    const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
    if (offsetAt(mid, timeZone) === before) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** The inverse of wallClock: the instant a Date from the library (its local fields a wall time in `timeZone`) stands for. */
function instantOfWallClock(wall: Date, timeZone: string | undefined, afterMs: number): number {
  if (!timeZone) return wall.getTime();
  const asUtc = Date.UTC(wall.getFullYear(), wall.getMonth(), wall.getDate(), wall.getHours(), wall.getMinutes(), wall.getSeconds());
  return instantOfWallTime(asUtc, timeZone, afterMs);
}

/** What a lot's opening hours say at one moment. */
export interface HoursNow {
  /** Open by its hours ("unknown" counts as open: only a known closing closes a lot). */
  open: boolean;
  /** When `open` next flips (epoch ms): the next opening when closed, the next closing when open; null: not within a year. */
  changesAt: number | null;
}

/** How far ahead the next opening or closing is looked for. */
const SEARCH_AHEAD_DAYS = 366;
/**
 * Answers by schedule and zone. An answer holds until its `changesAt` (nothing
 * flips before it, by definition), so each schedule is worked out once per
 * opening or closing, however many lots share it and however often they are
 * viewed: a search over 10,000 lots does a map lookup per lot.
 */
const answers = new Map<string, { answer: HoursNow; from: number; until: number }>();
/** Answers are small (a parsed value is about 30 KB): enough for twice the largest search, each lot with its own schedule. */
const MAX_ANSWERS = 20_000;

function open(hours: OpeningHours, at: Date): boolean {
  return hours.getState(at) || hours.getUnknown(at);
}

function work(hours: OpeningHours, nowMs: number, timeZone: string | undefined): HoursNow {
  const from = wallClock(nowMs, timeZone);
  const isOpen = open(hours, from);
  const limit = new Date(from.getTime() + SEARCH_AHEAD_DAYS * 24 * HOUR_MS);
  let at = from;
  // A change between open and "unknown" is no change here: look on to the one that flips `open`.
  for (let step = 0; step < 16; step++) {
    const next = hours.getNextChange(at, limit);
    if (!next || next.getTime() <= at.getTime()) break;
    if (open(hours, next) !== isOpen) return { open: isOpen, changesAt: firstFlip(hours, nowMs, instantOfWallClock(next, timeZone, nowMs), isOpen, timeZone) };
    at = next;
  }
  return { open: isOpen, changesAt: null };
}

/**
 * The library steps through time in the process's zone: where that zone skips
 * an hour (its own daylight saving), a change it finds can come out late. The
 * flip is checked the way isOpenAt sees it, and searched for by the minute
 * when it is not where the library said, so `changesAt` and `open` always agree.
 */
function firstFlip(hours: OpeningHours, nowMs: number, changesAt: number, isOpen: boolean, timeZone: string | undefined): number {
  const flipped = (ms: number) => open(hours, wallClock(ms, timeZone)) !== isOpen;
  if (!flipped(changesAt) || !flipped(changesAt - 60_000)) return changesAt;
  let lo = nowMs; // not flipped
  let hi = changesAt - 60_000; // flipped
  while (hi - lo > 60_000) {
    const mid = lo + Math.floor((hi - lo) / 120_000) * 60_000;
    if (flipped(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

/**
 * Whether a lot with these opening hours is open at `nowMs` in `timeZone`,
 * and when that changes next; null when it has no opening hours or they do
 * not parse (older data): such a lot counts as open, always.
 */
export function hoursAt(openingHours: string | null, nowMs: number, timeZone?: string): HoursNow | null {
  if (openingHours === null) return null;
  const key = `${timeZone ?? ''}\n${openingHours}`;
  const known = answers.get(key);
  if (known && known.from <= nowMs && nowMs < known.until) return known.answer;
  const hours = parse(openingHours);
  if (hours instanceof Error) return null;
  // From the start of the minute: schedules are in whole minutes, so the answer is the same all minute long.
  const from = nowMs - (((nowMs % 60_000) + 60_000) % 60_000);
  const answer = work(hours, from, timeZone);
  if (answers.size >= MAX_ANSWERS) answers.clear();
  // "Never" is looked at again after a day, as the year searched moves on.
  answers.set(key, { answer, from, until: answer.changesAt ?? from + 24 * HOUR_MS });
  return answer;
}

/**
 * Whether a lot with these opening hours is open at `nowMs` in `timeZone`.
 * No opening hours, a value that does not parse (older data), or an
 * "unknown" rule all count as open: only a known closing closes a lot.
 */
export function isOpenAt(openingHours: string | null, nowMs: number, timeZone?: string): boolean {
  return hoursAt(openingHours, nowMs, timeZone)?.open ?? true;
}

let holidays: OpeningHours | undefined;
const holidayDays = new Map<number, boolean>();

/**
 * Whether a calendar day (year, month 1-12, day) is a public holiday, as the
 * `PH` of opening hours sees it (China's, from the library's calendar): the
 * history and forecast treat these days as their own kind of day.
 */
export function isPublicHoliday(year: number, month: number, day: number): boolean {
  const key = year * 10_000 + month * 100 + day;
  let answer = holidayDays.get(key);
  if (answer === undefined) {
    holidays ??= new OpeningHours('PH', NOMINATIM, { mode: 0 } as never);
    // Noon of that day, in the process's zone (the library reads local fields): no zone skips noon.
    answer = holidays.getState(new Date(year, month - 1, day, 12));
    if (holidayDays.size >= MAX_CACHED) holidayDays.clear();
    holidayDays.set(key, answer);
  }
  return answer;
}
