// HSL Liipi's predictor, reconstructed: RelativizedAverageOfPreviousWeeksPredictor
// ("relative-average-of-previous-weeks") of HSLdevcom/parkandrideAPI,
// application/src/main/java/fi/hsl/parkandride/core/domain/prediction/
// RelativizedAverageOfPreviousWeeksPredictor.java. Written here from how that
// predictor works, not copied:
//  - "now" is the latest utilization; for each of 1, 2 and 3 weeks before it,
//    the spaces available at that reference moment, and the change from it to
//    each later moment of the prediction window;
//  - those changes are averaged across the weeks that have data, moment by
//    moment, multiplied by a volatility factor, rounded, and added to the
//    spaces available now; the result is clamped at 0 (Liipi clamped only
//    below, hence predictions above capacity, parkandrideAPI#290: here it is
//    clamped to 0…capacity);
//  - the factor is max(1, recent / usual): "recent" the mean absolute
//    difference of the last 120 minutes' values from the latest one, "usual"
//    the same over the 120 minutes before each reference moment, averaged over
//    the weeks (each at least 1).
// Liipi predicts a 24-hour window; for targets further ahead we use the weeks
// whose slot lies before asOf (two and three weeks back for 7 days ahead).
// Its values are raw utilizations; ours are 5-minute means, and a reference
// moment takes the last known bucket at or before it (within an hour).
// Liipi gives no interval: ours is the empirical 80 % spread of this method's
// own past forecasts (method.ts, withSpread).
import { CURRENT_MAX_AGE, withSpread, type ForecastMethod } from './method.ts';
import { lastKnown } from './series.ts';

const LOOKBACK_WEEKS = [1, 2, 3];
/** 120 minutes, in buckets. */
const VOLATILITY_BUCKETS = 24;

/** Mean |x_i − x_ref| over the known buckets of [ref − 120 min, ref]; NaN when none. */
function area(x: Float64Array, ref: number): number {
  const base = x[ref]!;
  let sum = 0;
  let count = 0;
  for (let i = Math.max(0, ref - VOLATILITY_BUCKETS); i <= ref; i++) {
    const v = x[i]!;
    if (Number.isNaN(v)) continue;
    sum += Math.abs(v - base);
    count++;
  }
  return count === 0 ? NaN : sum / count;
}

export const liipi: ForecastMethod = {
  name: 'liipi',
  description: "HSL Liipi's relativized average of previous weeks: the current value plus the mean change from the same moment 1–3 weeks ago, scaled by recent volatility",
  prepare(input) {
    const { x, calendar, capacity } = input;
    if (lastKnown(x, x.length, CURRENT_MAX_AGE) < 0) return 'no_recent_data: nothing known in the hour before asOf';
    const factors = new Map<number, number>();
    const factor = (now: number): number => {
      let m = factors.get(now);
      if (m === undefined) {
        const recent = Math.max(1, area(x, now));
        const usual: number[] = [];
        for (const k of LOOKBACK_WEEKS) {
          const ref = lastKnown(x, calendar.shiftDays(now, -7 * k) + 1, CURRENT_MAX_AGE);
          if (ref >= 0) usual.push(area(x, ref));
        }
        const reference = Math.max(1, usual.length ? usual.reduce((a, b) => a + b, 0) / usual.length : recent);
        m = Math.max(1, recent / reference);
        factors.set(now, m);
      }
      return m;
    };
    const point = (o: number, t: number): number => {
      const now = lastKnown(x, o, CURRENT_MAX_AGE);
      if (now < 0) return NaN;
      let sum = 0;
      let weeks = 0;
      for (const k of LOOKBACK_WEEKS) {
        const future = calendar.shiftDays(t, -7 * k);
        if (future >= o || future < 0) continue;
        const ref = lastKnown(x, calendar.shiftDays(now, -7 * k) + 1, CURRENT_MAX_AGE);
        const then = x[future]!;
        if (ref < 0 || Number.isNaN(then)) continue;
        // In spaces available, as Liipi counts: free(then) − free(ref) = occupied(ref) − occupied(then).
        sum += x[ref]! - then;
        weeks++;
      }
      if (weeks === 0) return NaN;
      const freeNow = capacity - x[now]!;
      const free = Math.min(capacity, Math.max(0, Math.round(factor(now) * (sum / weeks)) + freeNow));
      return capacity - free;
    };
    return withSpread(input, point, () => 'too_little_history: no data 1, 2 or 3 weeks before');
  },
};
