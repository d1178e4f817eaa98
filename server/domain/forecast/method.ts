// The shape every forecast method has, and the two baselines every other
// method must beat: persistence (the current value) and seasonal-naive (the
// same slot a week earlier, in local time). Pure.
import { lastKnown, measureSpread, SLOTS_PER_DAY, spreadAt, type Calendar, type Spread } from './series.ts';

/** A method's answer for one target bucket: expected vehicles and the 80 % interval of vehicles (not yet clamped). */
export interface MethodPoint {
  occupied: number;
  lo: number;
  hi: number;
}

/** What a method is given: the series observed before asOf (its length n = the origin), the calendar, the lot. */
export interface MethodInput {
  x: Float64Array;
  calendar: Calendar;
  capacity: number;
  /** The furthest target, in buckets after the origin. */
  maxHorizon: number;
}

/** A method ready to answer targets (bucket indices ≥ n), or why it cannot answer. */
export type Prepared = { at(t: number): MethodPoint | string } | string;

export interface ForecastMethod {
  name: string;
  /** One line for the docs and the backtest. */
  description: string;
  prepare(input: MethodInput): Prepared;
}

/** How old the "current value" may be, in buckets (1 h): older, and the lot has no current value. */
export const CURRENT_MAX_AGE = 12;
/** Past origins whose errors give a baseline's interval: every hour over the last two weeks. */
const SPREAD_DAYS = 14;
const SPREAD_EVERY = 12;

/** A point forecast plus its own empirical spread at the target's horizon. */
export function withSpread(
  input: MethodInput, point: (o: number, t: number) => number, reasonAt: (t: number) => string,
  spread: Spread = measureSpread(input.x, input.x.length, input.maxHorizon, input.x.length - SPREAD_DAYS * SLOTS_PER_DAY, SPREAD_EVERY, point),
): Exclude<Prepared, string> {
  const n = input.x.length;
  return {
    at(t) {
      const value = point(n, t);
      if (Number.isNaN(value)) return reasonAt(t);
      const s = spreadAt(spread, Math.max(1, t - n + 1));
      if (!s) return 'too_little_history: not enough past forecasts to measure an interval';
      return { occupied: value, lo: value + s[0], hi: value + s[1] };
    },
  };
}

export const persistence: ForecastMethod = {
  name: 'persistence',
  description: 'the current value (the last 5-minute mean before asOf), for every target',
  prepare(input) {
    const { x } = input;
    if (lastKnown(x, x.length, CURRENT_MAX_AGE) < 0) return 'no_recent_data: nothing known in the hour before asOf';
    const point = (o: number) => {
      const i = lastKnown(x, o, CURRENT_MAX_AGE);
      return i < 0 ? NaN : x[i]!;
    };
    return withSpread(input, point, () => 'no_recent_data: nothing known in the hour before asOf');
  },
};

/** The bucket a whole number of local weeks before target t that lies before the origin o. */
export function weeksBefore(calendar: Calendar, o: number, t: number, minWeeks = 1): number {
  let k = minWeeks;
  let i = calendar.shiftDays(t, -7 * k);
  while (i >= o) i = calendar.shiftDays(t, -7 * ++k);
  return i;
}

export const seasonalNaive: ForecastMethod = {
  name: 'seasonal-naive',
  description: 'the same slot a week earlier in local time (two weeks for targets more than a week ahead)',
  prepare(input) {
    const { x, calendar } = input;
    if (x.length < 7 * SLOTS_PER_DAY) return 'too_little_history: less than a week of history';
    const point = (o: number, t: number) => {
      const i = weeksBefore(calendar, o, t);
      return i < 0 ? NaN : x[i]!;
    };
    return withSpread(input, point, () => 'no_data_a_week_earlier: nothing known in the same slot a week before');
  },
};
