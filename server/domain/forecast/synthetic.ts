// A synthetic year of 5-minute history for a set of lots, for the backtest
// and the tests: weekly and daily patterns by local time, public holidays
// (the same calendar as opening hours' PH), day-to-day swings, slow noise
// within the day, counting noise, and the awkward cases — a new lot, a sensor
// that drops out for days, a step change in demand, small and large lots.
// Pure and seeded: the same seed gives the same year, bit for bit.
import { BUCKET_MS } from '../history/buckets.ts';
import { DAY_MS, HOUR_MS, isHolidayDay, localDay, wallOf, weekdayOfDay } from '../zone.ts';
import type { Series } from './series.ts';

/** mulberry32: small, fast, good enough for noise. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function normal(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

const bump = (h: number, centre: number, width: number) => Math.exp(-0.5 * ((h - centre) / width) ** 2);
const rise = (h: number, at: number, width: number) => 1 / (1 + Math.exp(-(h - at) / width));

type DayKind = 'workday' | 'saturday' | 'sunday' | 'holiday';
/** Share of the lot in use by local hour (fractional) and kind of day. */
type Pattern = (hour: number, day: DayKind) => number;

const patterns: Record<string, Pattern> = {
  office: (h, d) => (d === 'workday' ? 0.05 + 0.85 * rise(h, 8.3, 0.4) * (1 - rise(h, 17.8, 0.5)) - 0.08 * bump(h, 12.4, 0.5) : 0.04 + 0.1 * bump(h, 11, 2)),
  mall: (h, d) =>
    d === 'workday' ? 0.08 + 0.4 * bump(h, 13, 2.2) + 0.35 * bump(h, 19.5, 1.6)
      : d === 'holiday' ? 0.12 + 0.95 * bump(h, 14.5, 3.2) : 0.1 + 0.75 * bump(h, 15, 3),
  station: (h, d) => (d === 'workday' ? 0.03 + 1.05 * rise(h, 7.3, 0.35) * (1 - rise(h, 18.3, 0.6)) : 0.04 + 0.18 * bump(h, 12, 3)),
  tourist: (h, d) => (d === 'workday' ? 0.06 + 0.3 * bump(h, 13, 2.8) : d === 'holiday' ? 0.1 + 1.0 * bump(h, 12.5, 3.2) : 0.08 + 0.6 * bump(h, 13, 3)),
  residential: (h, d) => (d === 'workday' ? 0.9 - 0.55 * rise(h, 8, 0.5) * (1 - rise(h, 18.5, 0.7)) : 0.85 - 0.3 * bump(h, 14, 3)),
};

export interface SyntheticLot {
  id: string;
  /** What the scenario tests, in a few words. */
  scenario: string;
  capacity: number;
  pattern: keyof typeof patterns;
  /** Data only from this many days before the end (a new lot). */
  onlyLastDays?: number;
  /** Sensor outages: this many spells of 2–6 days. */
  dropouts?: number;
  /** Demand multiplied by this from `stepFromDay` on. */
  step?: { fromDay: number; factor: number };
  /** Summer high season (±share of demand over the year). */
  seasonal?: number;
}

export const SYNTHETIC_LOTS: readonly SyntheticLot[] = [
  { id: 'office-400', scenario: 'office, weekdays 8–18', capacity: 400, pattern: 'office' },
  { id: 'mall-1200', scenario: 'mall, evenings and weekends, busy holidays', capacity: 1200, pattern: 'mall' },
  { id: 'station-250', scenario: 'park and ride, full every workday', capacity: 250, pattern: 'station' },
  { id: 'tourist-150', scenario: 'scenic spot, summer season, holiday crowds', capacity: 150, pattern: 'tourist', seasonal: 0.25 },
  { id: 'residential-30', scenario: 'small residential lot, noisy', capacity: 30, pattern: 'residential' },
  { id: 'new-mall-300', scenario: 'new lot: opens five weeks before the end', capacity: 300, pattern: 'mall', onlyLastDays: 35 },
  { id: 'office-dropouts-500', scenario: 'sensor drops out for days, five times', capacity: 500, pattern: 'office', dropouts: 5 },
  { id: 'attraction-600', scenario: 'step change: an attraction opens on 1 July (×1.8)', capacity: 600, pattern: 'tourist', step: { fromDay: 181, factor: 1.8 } },
];

export interface SyntheticYear {
  start: number;
  days: number;
  timeZone: string;
  lots: { lot: SyntheticLot; series: Series }[];
}

/**
 * A year (or `days`) of 5-minute means from local midnight of `startDate`
 * ("2025-01-01") in `timeZone`, for each lot, seeded.
 */
export function syntheticYear(options: { seed: number; startDate?: string; days?: number; timeZone?: string; lots?: readonly SyntheticLot[] }): SyntheticYear {
  const timeZone = options.timeZone ?? 'Asia/Shanghai';
  const days = options.days ?? 365;
  const startWall = Date.parse(`${options.startDate ?? '2025-01-01'}T00:00:00Z`);
  const start = startWall - (wallOf(startWall, timeZone) - startWall);
  const n = Math.round((days * DAY_MS) / BUCKET_MS);
  const lots = (options.lots ?? SYNTHETIC_LOTS).map((lot, k) => ({ lot, series: { start, occupied: generate(lot, start, n, timeZone, options.seed * 7919 + k) } }));
  return { start, days, timeZone, lots };
}

function generate(lot: SyntheticLot, start: number, n: number, timeZone: string, seed: number): Float64Array {
  const rand = random(seed);
  const x = new Float64Array(n);
  const pattern = patterns[lot.pattern]!;
  const firstDay = localDay(start, timeZone);
  const totalDays = Math.round((n * BUCKET_MS) / DAY_MS);
  // Day-to-day swings (weather, events), correlated from one day to the next.
  const dayLevel: number[] = [];
  for (let d = 0, level = 0; d <= totalDays + 1; d++) {
    level = 0.5 * level + 0.08 * normal(rand);
    dayLevel.push(Math.exp(level));
  }
  let slow = 0;
  for (let i = 0; i < n; i++) {
    const ms = start + i * BUCKET_MS;
    const wall = wallOf(ms, timeZone);
    const day = Math.floor(wall / DAY_MS);
    const hour = (wall - day * DAY_MS) / HOUR_MS;
    const weekday = weekdayOfDay(day);
    const kind: DayKind = isHolidayDay(day) ? 'holiday' : weekday === 5 ? 'saturday' : weekday === 6 ? 'sunday' : 'workday';
    const d = day - firstDay;
    let demand = pattern(hour, kind) * dayLevel[d]!;
    if (lot.seasonal) demand *= 1 + lot.seasonal * Math.sin(((d - 100) / 365) * 2 * Math.PI);
    if (lot.step && d >= lot.step.fromDay) demand *= lot.step.factor;
    slow = 0.95 * slow + 0.012 * normal(rand);
    const rate = demand + slow;
    const cars = lot.capacity * rate + 0.3 * Math.sqrt(Math.max(1, lot.capacity * Math.max(0, rate))) * normal(rand);
    x[i] = Math.round(Math.min(lot.capacity, Math.max(0, cars)) * 10) / 10;
    // A bucket now and then with no data (a missed message).
    if (rand() < 0.003) x[i] = NaN;
  }
  if (lot.onlyLastDays !== undefined) x.fill(NaN, 0, Math.max(0, n - (lot.onlyLastDays * DAY_MS) / BUCKET_MS));
  for (let k = 0; k < (lot.dropouts ?? 0); k++) {
    const from = Math.floor((0.1 + 0.85 * rand()) * n);
    const length = Math.floor((2 + 4 * rand()) * (DAY_MS / BUCKET_MS));
    x.fill(NaN, from, Math.min(n, from + length));
  }
  return x;
}
