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

/**
 * The wall-clock time in `timeZone` as a Date whose local fields carry it:
 * the library reads getHours(), getDay() and so on, in the process's zone.
 */
export function wallClock(nowMs: number, timeZone: string | undefined): Date {
  if (!timeZone) return new Date(nowMs);
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    formatters.set(timeZone, format);
  }
  const f: Record<string, number> = {};
  for (const part of format.formatToParts(new Date(nowMs))) if (part.type !== 'literal') f[part.type] = Number(part.value);
  return new Date(f.year!, f.month! - 1, f.day!, f.hour!, f.minute!, f.second!);
}

/**
 * Whether a lot with these opening hours is open at `nowMs` in `timeZone`.
 * No opening hours, a value that does not parse (older data), or an
 * "unknown" rule all count as open: only a known closing closes a lot.
 */
export function isOpenAt(openingHours: string | null, nowMs: number, timeZone?: string): boolean {
  if (openingHours === null) return true;
  const hours = parse(openingHours);
  if (hours instanceof Error) return true;
  const at = wallClock(nowMs, timeZone);
  return hours.getState(at) || hours.getUnknown(at);
}
