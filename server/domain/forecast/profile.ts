// The profile method: what this lot usually does at this local time on this
// kind of day, corrected by how far it is off that right now — a correction
// that fades with the horizon as fast as this lot's own deviations do. Pure.
//
//  1. Profile P(kind, slot): for each kind of day (Monday … Sunday, and public
//     holidays) and 5-minute slot of the local day (TIME_ZONE, so daylight
//     saving moves nothing), a recency-weighted mean (half-life 2 weeks) of the
//     last 8 weeks, shrunk toward the mean of its group (Monday–Friday;
//     Saturday–Sunday) so a lot with one or two weeks of history is not at the
//     mercy of one day, and smoothed over neighbouring slots. Holidays are
//     their own kind: the past year's holidays (half-life 26 weeks), shrunk
//     toward Sunday — with no holiday seen yet, Sunday's profile. A holiday
//     never counts toward the weekday it fell on.
//  2. Deviation now: an exponentially weighted mean of (observed − profile)
//     over the last half hour before asOf; none if nothing is known within an
//     hour (then the forecast is the profile alone).
//  3. Forecast at horizon h: P(target) + β(h) · deviation, where β(h) is the
//     regression of this lot's deviation h ahead on its deviation then (clamped
//     to 0…1): a busy morning that usually stays busy all day keeps β near 1,
//     one that passes fades it to 0.
//  4. Interval: the 10 % and 90 % quantiles of this method's own errors at
//     that horizon (origins every 15 minutes).
//  β and the errors are measured over the last 3 weeks with the profile as it
//  stood 3 weeks ago (a week after the first data, for a young lot), so none of
//  those forecasts had seen its own outcome: measured in-sample, the interval
//  came out too narrow (70 % coverage in the backtest instead of 80 %).
import type { ForecastMethod, MethodPoint } from './method.ts';
import { HOLIDAY, HORIZON_GRID, lastKnown, measureSpread, SLOTS_PER_DAY, SLOTS_PER_WEEK, spreadAt, type Calendar } from './series.ts';

const PROFILE_WEEKS = 8;
const HALF_LIFE_DAYS = 14;
const HOLIDAY_DAYS = 365;
const HOLIDAY_HALF_LIFE_DAYS = 182;
/** Shrinkage toward the group: the group mean counts as this many days' weight. */
const SHRINK = 1;
/** At least this many days' worth of known buckets in the profile's 8 weeks. */
export const MIN_HISTORY_DAYS = 7;
const STATS_DAYS = 21;
const STATS_EVERY = 3;
const CURRENT_MAX_AGE = 12;
const KINDS = 8;

/** The profile from the buckets before `n`, weighted by their age at n. */
function buildProfile(x: Float64Array, n: number, calendar: Calendar): Float64Array {
  const sums = new Float64Array(KINDS * SLOTS_PER_DAY);
  const weights = new Float64Array(KINDS * SLOTS_PER_DAY);
  const add = (i: number, w: number) => {
    const v = x[i]!;
    if (Number.isNaN(v)) return;
    const k = calendar.kind(i) * SLOTS_PER_DAY + calendar.slot(i);
    sums[k] = sums[k]! + w * v;
    weights[k] = weights[k]! + w;
  };
  // The last 8 weeks, weights halving every HALF_LIFE_DAYS (holidays are left to the pass below).
  const from = Math.max(0, n - PROFILE_WEEKS * SLOTS_PER_WEEK);
  const growth = Math.exp(Math.LN2 / (HALF_LIFE_DAYS * SLOTS_PER_DAY));
  for (let i = from, w = Math.exp((-Math.LN2 * (n - from)) / (HALF_LIFE_DAYS * SLOTS_PER_DAY)); i < n; i++, w *= growth) {
    if (calendar.kind(i) !== HOLIDAY) add(i, w);
  }
  // The past year's holidays, day by day (skipping the other days whole).
  const holidayDecay = Math.LN2 / (HOLIDAY_HALF_LIFE_DAYS * SLOTS_PER_DAY);
  for (let i = Math.max(0, n - HOLIDAY_DAYS * SLOTS_PER_DAY); i < n; ) {
    if (calendar.kind(i) !== HOLIDAY) {
      i += Math.max(1, SLOTS_PER_DAY - calendar.slot(i));
      continue;
    }
    add(i, Math.exp(-(n - i) * holidayDecay));
    i++;
  }
  // Group means per slot: weekdays, weekend days.
  const group = (kinds: number[], s: number) => {
    let sum = 0;
    let weight = 0;
    for (const kind of kinds) {
      sum += sums[kind * SLOTS_PER_DAY + s]!;
      weight += weights[kind * SLOTS_PER_DAY + s]!;
    }
    return weight > 0 ? sum / weight : NaN;
  };
  const raw = new Float64Array(KINDS * SLOTS_PER_DAY);
  for (let s = 0; s < SLOTS_PER_DAY; s++) {
    const weekdays = group([0, 1, 2, 3, 4], s);
    const weekend = group([5, 6], s);
    const all = group([0, 1, 2, 3, 4, 5, 6], s);
    for (let kind = 0; kind < HOLIDAY; kind++) {
      const k = kind * SLOTS_PER_DAY + s;
      let prior = kind < 5 ? weekdays : weekend;
      if (Number.isNaN(prior)) prior = all;
      raw[k] = Number.isNaN(prior) ? NaN : (sums[k]! + SHRINK * prior) / (weights[k]! + SHRINK);
    }
  }
  // Holidays: past holidays shrunk toward Sunday (Sunday alone when none was seen).
  for (let s = 0; s < SLOTS_PER_DAY; s++) {
    const k = HOLIDAY * SLOTS_PER_DAY + s;
    const sunday = raw[6 * SLOTS_PER_DAY + s]!;
    raw[k] = Number.isNaN(sunday) ? (weights[k]! > 0 ? sums[k]! / weights[k]! : NaN) : (sums[k]! + SHRINK * sunday) / (weights[k]! + SHRINK);
  }
  // Smooth over neighbouring slots of the same kind of day (1-2-1).
  const profile = new Float64Array(KINDS * SLOTS_PER_DAY);
  for (let kind = 0; kind < KINDS; kind++) {
    const base = kind * SLOTS_PER_DAY;
    for (let s = 0; s < SLOTS_PER_DAY; s++) {
      const mid = raw[base + s]!;
      const prev = raw[base + Math.max(0, s - 1)]!;
      const next = raw[base + Math.min(SLOTS_PER_DAY - 1, s + 1)]!;
      profile[base + s] = Number.isNaN(prev) || Number.isNaN(next) ? mid : (prev + 2 * mid + next) / 4;
    }
  }
  return profile;
}

/**
 * The profile as of `n` and what goes with it, as arrays over [from, to):
 * the usual value of each bucket, and the deviation from it at each origin
 * (observed − usual over the half hour before, most weight on the latest;
 * 0 with nothing known within an hour).
 */
function model(x: Float64Array, n: number, calendar: Calendar, from: number, to: number) {
  const p = buildProfile(x, n, calendar);
  const lead = 6;
  const usual = new Float64Array(to - from + lead);
  for (let i = from - lead; i < to; i++) usual[i - from + lead] = p[calendar.kind(i) * SLOTS_PER_DAY + calendar.slot(i)]!;
  // Origins up to `to` (data between n and an origin counts: the deviation is of what was seen from the profile as of n).
  const deviation = new Float64Array(Math.max(0, Math.min(to, x.length) - from + 1));
  for (let o = from; o < from + deviation.length; o++) {
    if (lastKnown(x, o, CURRENT_MAX_AGE) < 0) continue;
    let sum = 0;
    let weight = 0;
    for (let i = o - 1, w = 1; i >= 0 && i >= o - lead; i--, w *= 0.6) {
      const v = x[i]!;
      const u = usual[i - from + lead]!;
      if (Number.isNaN(v) || Number.isNaN(u)) continue;
      sum += w * (v - u);
      weight += w;
    }
    if (weight > 0) deviation[o - from] = sum / weight;
  }
  return { usual: (i: number) => usual[i - from + lead]!, deviation: (o: number) => deviation[o - from]! };
}

export const profile: ForecastMethod = {
  name: 'profile',
  description: 'weekday × time-of-day profile in local time (holidays their own kind), plus the current deviation, fading with the horizon as this lot’s deviations do',
  prepare({ x, calendar, maxHorizon }) {
    const n = x.length;
    let known = 0;
    let firstKnown = -1;
    for (let i = Math.max(0, n - PROFILE_WEEKS * SLOTS_PER_WEEK); i < n; i++) {
      if (Number.isNaN(x[i]!)) continue;
      known++;
      if (firstKnown < 0) firstKnown = i;
    }
    if (known < MIN_HISTORY_DAYS * SLOTS_PER_DAY) {
      return `too_little_history: ${(known / SLOTS_PER_DAY).toFixed(1)} days of data in the last ${PROFILE_WEEKS} weeks, ${MIN_HISTORY_DAYS} needed`;
    }
    // The statistics (β and the interval) are measured honestly: from origins after a cut, with the
    // profile as it stood at the cut, so no forecast among them has seen its own outcome.
    const cut = Math.min(n - 1, Math.max(n - STATS_DAYS * SLOTS_PER_DAY, firstKnown + MIN_HISTORY_DAYS * SLOTS_PER_DAY));
    const end = n + maxHorizon + 1;
    const past = model(x, cut, calendar, cut, n);
    const now = model(x, n, calendar, n, end);
    const betas = HORIZON_GRID.map((h) => {
      let sxy = 0;
      let sxx = 0;
      for (let o = n - h; o >= cut; o -= STATS_EVERY) {
        const t = o + h - 1;
        const v = x[t]!;
        const u = past.usual(t);
        if (Number.isNaN(v) || Number.isNaN(u)) continue;
        const d = past.deviation(o);
        sxy += d * (v - u);
        sxx += d * d;
      }
      return sxx > 0 ? Math.min(1, Math.max(0, sxy / sxx)) : 0;
    });
    // β for every horizon up to the furthest target, interpolated between grid horizons.
    const beta = new Float64Array(maxHorizon + 2);
    for (let h = 1, k = 0; h < beta.length; h++) {
      while (k < HORIZON_GRID.length - 1 && HORIZON_GRID[k + 1]! <= h) k++;
      const f = k === HORIZON_GRID.length - 1 ? 0 : Math.max(0, (h - HORIZON_GRID[k]!) / (HORIZON_GRID[k + 1]! - HORIZON_GRID[k]!));
      beta[h] = betas[k]! + f * ((betas[k + 1] ?? betas[k]!) - betas[k]!);
    }
    const betaAt = (h: number) => beta[Math.min(h, beta.length - 1)]!;
    const pointWith = (m: ReturnType<typeof model>) => (o: number, t: number): number => {
      const u = m.usual(t);
      return Number.isNaN(u) ? NaN : u + betaAt(t - o + 1) * m.deviation(o);
    };
    const spread = measureSpread(x, n, maxHorizon, cut, STATS_EVERY, pointWith(past));
    const point = pointWith(now);
    return {
      at(t): MethodPoint | string {
        const value = point(n, t);
        if (Number.isNaN(value)) return 'too_little_history: no data for this time of day';
        const s = spreadAt(spread, Math.max(1, t - n + 1));
        if (!s) return 'too_little_history: not enough past forecasts to measure an interval';
        return { occupied: value, lo: value + s[0], hi: value + s[1] };
      },
    };
  },
};
