// Forecasts of a lot's occupancy (issue 10): the methods (domain/forecast/),
// and the one entry point that gives each only the data observed before asOf
// and keeps every answer within 0…capacity. Pure: asOf and the targets are
// passed in.
import { BUCKET_MS } from './history/buckets.ts';
import { liipi } from './forecast/liipi.ts';
import { persistence, seasonalNaive, type ForecastMethod } from './forecast/method.ts';
import { profile } from './forecast/profile.ts';
import { calendarFor, observedBefore, type Series } from './forecast/series.ts';

export { seriesFromBuckets, observedBefore, type Series } from './forecast/series.ts';
export type { ForecastMethod } from './forecast/method.ts';

export const forecastMethods = {
  persistence,
  'seasonal-naive': seasonalNaive,
  liipi,
  profile,
} as const satisfies Record<string, ForecastMethod>;
export type ForecastMethodName = keyof typeof forecastMethods;
export const forecastMethodNames = Object.keys(forecastMethods) as ForecastMethodName[];

/** The method the service uses, chosen by `npm run forecast -- backtest` (DESIGN.md §7). */
export const DEFAULT_FORECAST_METHOD: ForecastMethodName = 'profile';

/** How far ahead a forecast may look. */
export const MAX_FORECAST_AHEAD_MS = 7 * 24 * 3_600_000;

export interface ForecastLot {
  capacity: number;
  /** The lots' TIME_ZONE: profiles are by local time, holidays by local day. */
  timeZone: string;
}

/** One forecast point; `low`/`high` are the 80 % interval of `free`. All within 0…capacity, or all null with a reason. */
export interface ForecastPoint {
  /** The target: the 5-minute bucket starting here (epoch ms; the API shows ISO 8601). */
  at: number;
  occupied: number | null;
  free: number | null;
  low: number | null;
  high: number | null;
  /** Why there is no number (e.g. `too_little_history: …`). */
  reason?: string;
}

export interface Forecast {
  method: ForecastMethodName;
  asOf: number;
  points: ForecastPoint[];
}

const round1 = (v: number) => Math.round(v * 10) / 10;
const clampTo = (v: number, capacity: number) => Math.min(capacity, Math.max(0, v));

/** A forecast made at asOf, ready to answer targets up to `until` (made once, asked many times). */
export interface PreparedForecast {
  method: ForecastMethodName;
  asOf: number;
  /** The furthest target it answers (epoch ms). */
  until: number;
  at(targets: readonly number[]): ForecastPoint[];
}

/**
 * Prepares a forecast of a lot as it would have been made at `asOf`, for
 * targets up to `until`: the method sees only the buckets that ended at or
 * before asOf.
 */
export function prepareForecast(
  series: Series, asOf: number, until: number, lot: ForecastLot, method: ForecastMethodName = DEFAULT_FORECAST_METHOD,
): PreparedForecast {
  const seen = observedBefore(series, asOf);
  const n = seen.occupied.length;
  const index = (at: number) => Math.floor((at - seen.start) / BUCKET_MS);
  const maxHorizon = Math.max(1, index(until) - n + 1);
  const nothing = (at: number, reason: string): ForecastPoint => ({ at, occupied: null, free: null, low: null, high: null, reason });
  if (lot.capacity <= 0) return { method, asOf, until, at: (targets) => targets.map((at) => nothing(at, 'no_capacity: the lot has no spaces')) };
  const calendar = calendarFor(seen.start, n + maxHorizon + 1, lot.timeZone);
  const prepared = forecastMethods[method].prepare({ x: seen.occupied, calendar, capacity: lot.capacity, maxHorizon });
  const point = (at: number): ForecastPoint => {
    if (typeof prepared === 'string') return nothing(at, prepared);
    if (index(at) < n) return nothing(at, 'not_after_asOf: a target before asOf is history, not a forecast');
    if (at > until) return nothing(at, 'beyond_horizon: further ahead than this forecast was made for');
    const answer = prepared.at(index(at));
    if (typeof answer === 'string') return nothing(at, answer);
    const cap = lot.capacity;
    const occupied = round1(clampTo(answer.occupied, cap));
    const free = round1(cap - occupied);
    // The interval of free spaces: from the most vehicles to the fewest, kept around the expected value.
    const low = Math.min(free, round1(cap - clampTo(answer.hi, cap)));
    const high = Math.max(free, round1(cap - clampTo(answer.lo, cap)));
    return { at, occupied, free, low, high };
  };
  return { method, asOf, until, at: (targets) => targets.map(point) };
}

/**
 * Forecasts a lot at `targets` (epoch ms, each meaning the 5-minute bucket
 * that contains it) as it would have been forecast at `asOf`: the method sees
 * only the buckets that ended at or before asOf.
 */
export function forecastLot(
  series: Series, asOf: number, targets: readonly number[], lot: ForecastLot,
  method: ForecastMethodName = DEFAULT_FORECAST_METHOD,
): Forecast {
  const until = targets.length ? Math.max(...targets) : asOf;
  return { method, asOf, points: prepareForecast(series, asOf, until, lot, method).at(targets) };
}
export * from './forecast/query.ts';
