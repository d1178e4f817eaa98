// The numbers the charts draw, from the history and forecast APIs' answers
// (DESIGN.md §4, "History and forecasts on the pages"): a lot's day for the
// drivers' popup — today so far, the forecast for the rest of it with its
// band, the usual for this weekday — and an operator's figures and weekday ×
// hour heat map. All in the lots' time zone (the service's TIME_ZONE), never
// the device's. Pure (no DOM), so the unit tests run it in Node.
import type { ForecastAnswerBody, HistoryAnswerBody } from '../../../server/domain/api-answers.ts';
import { DAY_MS, HOUR_MS, localDay, MINUTE_MS, shiftLocalDays, startOfLocalDay, startOfLocalStep, wallOf, weekdayOfDay } from '../../../server/domain/zone.ts';

export type HistoryPoint = HistoryAnswerBody['points'][number];
export type ForecastPoint = ForecastAnswerBody['points'][number];
export type Accuracy = NonNullable<ForecastAnswerBody['accuracy']>[number];

/** The zone the page was given, or the device's when it gave none it knows. */
export function zoneOr(timeZone: string | undefined): string {
  return timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
}

export interface LocalDay {
  /** Its first instant and the next day's (23 or 25 hours apart across a daylight-saving change), epoch ms. */
  start: number;
  end: number;
  /** Monday 0 … Sunday 6. */
  weekday: number;
}

/** The local day that holds `ms`. */
export function localDayOf(ms: number, timeZone: string): LocalDay {
  const day = localDay(ms, timeZone);
  return { start: startOfLocalDay(day, timeZone), end: startOfLocalDay(day + 1, timeZone), weekday: weekdayOfDay(day) };
}

/** The same weekday 1 … `weeks` weeks before the local day starting at `dayStart`, each as [start, end). */
export function sameWeekdaysBefore(dayStart: number, weeks: number, timeZone: string): { start: number; end: number }[] {
  const days: { start: number; end: number }[] = [];
  for (let week = 1; week <= weeks; week++) {
    days.push({ start: shiftLocalDays(dayStart, -7 * week, timeZone), end: shiftLocalDays(dayStart, -7 * week + 1, timeZone) });
  }
  return days;
}

/** Minutes since local midnight, by the wall clock. */
export function minuteOfDay(ms: number, timeZone: string): number {
  return Math.floor((((wallOf(ms, timeZone) % DAY_MS) + DAY_MS) % DAY_MS) / MINUTE_MS);
}

/** "09:30": the wall-clock time at `ms`. */
export function clockTime(ms: number, timeZone: string): string {
  const minutes = minuteOfDay(ms, timeZone);
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

/**
 * The usual free spaces by local time of day (minutes since midnight): for
 * each time, the mean of the days' free spaces where they were known. A time
 * known on none of the days is missing (a gap, not a zero).
 */
export function usualByTimeOfDay(days: readonly (readonly HistoryPoint[])[], timeZone: string): Map<number, number> {
  const sums = new Map<number, { sum: number; n: number }>();
  for (const points of days) {
    for (const point of points) {
      if (point.free === null) continue;
      const key = minuteOfDay(Date.parse(point.at), timeZone);
      const slot = sums.get(key) ?? { sum: 0, n: 0 };
      slot.sum += point.free;
      slot.n++;
      sums.set(key, slot);
    }
  }
  return new Map([...sums].map(([key, { sum, n }]) => [key, sum / n]));
}

/** A lot's day as the popup draws it, in uPlot's aligned form: one x per step, each series null where it has nothing. */
export interface DayChart {
  /** Each step's start, epoch ms. */
  starts: number[];
  /** Where each step is drawn, epoch seconds: its middle (the step holding now: at most now). */
  x: number[];
  /** Free spaces so far today (null: nothing known — a gap). */
  today: (number | null)[];
  /** The forecast for the rest of the day, from the step holding now, and its 80 % interval. */
  forecast: (number | null)[];
  low: (number | null)[];
  high: (number | null)[];
  /** The usual for this weekday and time. */
  usual: (number | null)[];
  /** The day drawn and now, epoch seconds. */
  start: number;
  end: number;
  now: number;
  capacity: number;
  /** The index of the step holding now (-1: the day has not begun, or is over). */
  current: number;
}

export interface DayChartInput {
  /** Today's history, one point per step over the whole local day (steps after now are empty). */
  today: readonly HistoryPoint[];
  /** The forecast, one point per step after the current one (taken at each step's middle). */
  forecast: readonly ForecastPoint[];
  usual: ReadonlyMap<number, number>;
  day: LocalDay;
  stepMs: number;
  nowMs: number;
  capacity: number;
  timeZone: string;
}

/** The index of the step holding `ms` among steps starting at `starts` (sorted), or -1. */
function stepIndex(starts: readonly number[], stepMs: number, ms: number): number {
  for (let i = starts.length - 1; i >= 0; i--) if (starts[i]! <= ms) return ms < starts[i]! + stepMs ? i : -1;
  return -1;
}

export function dayChart(input: DayChartInput): DayChart {
  const { stepMs, nowMs, timeZone } = input;
  const starts = input.today.map((point) => Date.parse(point.at));
  const current = stepIndex(starts, stepMs, nowMs);
  const x = starts.map((start, i) => Math.min(start + stepMs / 2, i === current ? nowMs : Infinity) / 1000);
  const today = input.today.map((point, i) => (current >= 0 && i > current ? null : point.free));
  const forecast: (number | null)[] = starts.map(() => null);
  const low = forecast.slice();
  const high = forecast.slice();
  for (const point of input.forecast) {
    const i = stepIndex(starts, stepMs, Date.parse(point.at));
    if (i < 0 || i <= current || point.free === null) continue;
    forecast[i] = point.free;
    low[i] = point.low;
    high[i] = point.high;
  }
  // The forecast starts from what is known now, so its line carries on from today's.
  if (current >= 0 && today[current] !== null && forecast[current + 1] !== null && forecast[current + 1] !== undefined) {
    forecast[current] = low[current] = high[current] = today[current]!;
  }
  const usual = starts.map((start) => input.usual.get(minuteOfDay(start, timeZone)) ?? null);
  return { starts, x, today, forecast, low, high, usual, start: input.day.start / 1000, end: input.day.end / 1000, now: nowMs / 1000, capacity: input.capacity, current };
}

/** Where a series is lowest (the fewest free spaces): its value and the step's start, epoch ms. */
export function lowestPoint(chart: DayChart, series: (number | null)[], from = 0): { value: number; at: number } | null {
  let best: { value: number; at: number } | null = null;
  for (let i = from; i < series.length; i++) {
    const value = series[i];
    if (value === null || value === undefined) continue;
    if (!best || value < best.value) best = { value, at: chart.starts[i]! };
  }
  return best;
}

/** The figures operators report for a period (DESIGN.md §4). */
export interface PeriodFigures {
  /** Mean occupancy over the time with live data, % of capacity. */
  meanPct: number | null;
  /** The most vehicles at any known moment, of how many spaces, in which step (its start, epoch ms). */
  peak: { occupied: number; capacity: number | null; at: number } | null;
  /** Hours of the known time in steps whose mean left less than one space free. */
  fullHours: number;
  /** The share of the period up to now with live data, %. */
  livePct: number | null;
}

/** The figures over points of `stepMs` from `fromMs` to `toMs` (the part up to `nowMs`). */
export function periodFigures(points: readonly HistoryPoint[], fromMs: number, toMs: number, nowMs: number): PeriodFigures {
  let occupiedS = 0;
  let capacityS = 0;
  let knownS = 0;
  let fullS = 0;
  let peak: PeriodFigures['peak'] = null;
  for (const point of points) {
    knownS += point.knownS;
    if (point.occupied === null || point.capacity === null) continue;
    occupiedS += point.occupied * point.knownS;
    capacityS += point.capacity * point.knownS;
    if (point.free !== null && point.free < 1) fullS += point.knownS;
    if (point.occupiedMax !== null && (!peak || point.occupiedMax > peak.occupied)) {
      peak = { occupied: point.occupiedMax, capacity: point.capacity, at: Date.parse(point.at) };
    }
  }
  const elapsedS = (Math.min(toMs, nowMs) - fromMs) / 1000;
  return {
    meanPct: capacityS > 0 ? (100 * occupiedS) / capacityS : null,
    peak,
    fullHours: fullS / 3600,
    livePct: elapsedS > 0 ? Math.min(100, (100 * knownS) / elapsedS) : null,
  };
}

/** The operator page's periods: the history step each is read at (the figures' too), and its length. */
export type Period = 'day' | 'week' | 'month';
export const PERIODS: Record<Period, { step: '15m' | '1h'; stepMs: number; days: number }> = {
  day: { step: '15m', stepMs: 15 * MINUTE_MS, days: 1 },
  week: { step: '1h', stepMs: HOUR_MS, days: 7 },
  month: { step: '1h', stepMs: HOUR_MS, days: 30 },
};

export interface Range {
  from: number;
  to: number;
}

/** A period's range on the lots' clock: up to the end of the step holding now, back a day, a week or 30 local days. */
export function periodRange(period: Period, nowMs: number, timeZone: string): Range {
  const { stepMs, days } = PERIODS[period];
  const to = startOfLocalStep(nowMs, stepMs, timeZone) + stepMs;
  return { from: shiftLocalDays(to, -days, timeZone), to };
}

/** One cell of the weekday × hour heat map: the mean occupancy there, % of capacity, over the time known. */
export interface HeatCell {
  pct: number | null;
  knownS: number;
}

/** Mean occupancy by local weekday (Monday first) and hour, from hourly points. */
export function weekHourHeat(points: readonly HistoryPoint[], timeZone: string): HeatCell[][] {
  const sums = Array.from({ length: 7 }, () => Array.from({ length: 24 }, () => ({ occupiedS: 0, capacityS: 0, knownS: 0 })));
  for (const point of points) {
    if (point.occupied === null || point.capacity === null || point.knownS === 0) continue;
    const at = Date.parse(point.at);
    const cell = sums[weekdayOfDay(localDay(at, timeZone))]![Math.floor(minuteOfDay(at, timeZone) / 60)]!;
    cell.occupiedS += point.occupied * point.knownS;
    cell.capacityS += point.capacity * point.knownS;
    cell.knownS += point.knownS;
  }
  return sums.map((row) => row.map(({ occupiedS, capacityS, knownS }) => ({ pct: capacityS > 0 ? (100 * occupiedS) / capacityS : null, knownS })));
}

export { DAY_MS, HOUR_MS, MINUTE_MS };
