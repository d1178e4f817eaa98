// What forecasts read: a lot's history as one row of 5-minute means (NaN
// where nothing was known), the local calendar of each bucket, and the
// shared interval arithmetic. Pure.
import { BUCKET_MS, type Bucket } from '../history/buckets.ts';
import { DAY_MS, isHolidayDay, weekdayOfDay, zoneOffsetMs } from '../zone.ts';

/** A lot's 5-minute history: occupied[i] is the mean over [start + i·5 min, +5 min); NaN: not known. */
export interface Series {
  start: number;
  occupied: Float64Array;
}

export const SLOTS_PER_DAY = DAY_MS / BUCKET_MS; // 288
export const SLOTS_PER_WEEK = 7 * SLOTS_PER_DAY;
/** Day kinds: Monday 0 … Sunday 6, and public holidays 7. */
export const HOLIDAY = 7;

/** A series of `buckets` (5-minute, any order) over [from, to); from and to are rounded down to a bucket. */
export function seriesFromBuckets(buckets: readonly Bucket[], from: number, to: number): Series {
  const start = from - (((from % BUCKET_MS) + BUCKET_MS) % BUCKET_MS);
  const n = Math.max(0, Math.ceil((to - start) / BUCKET_MS));
  const occupied = new Float64Array(n).fill(NaN);
  for (const b of buckets) {
    const i = (b.start - start) / BUCKET_MS;
    if (Number.isInteger(i) && i >= 0 && i < n && b.knownMs > 0) occupied[i] = b.occMs / b.knownMs;
  }
  return { start, occupied };
}

/**
 * The part of a series observed before `asOf`: the buckets that ended at or
 * before it. Every forecast sees only this (a view, not a copy), so nothing at
 * or after asOf can reach a method.
 */
export function observedBefore(series: Series, asOf: number): Series {
  const n = Math.max(0, Math.min(series.occupied.length, Math.floor((asOf - series.start) / BUCKET_MS)));
  return { start: series.start, occupied: series.occupied.subarray(0, n) };
}

/** The local calendar of buckets from a start: day kind and slot of the local day, per bucket index. */
export interface Calendar {
  kind(i: number): number;
  slot(i: number): number;
  /** Index of the bucket at the same local wall time `days` days later (earlier when negative). */
  shiftDays(i: number, days: number): number;
}

/**
 * Per zone (and phase within a bucket), one table of day kinds, slots and
 * offsets by bucket since the epoch, grown as needed: every series start
 * (each asOf has its own) reads the same table instead of building its own.
 */
interface ZoneTable {
  /** Bucket index (since the epoch, of this phase) of entry 0. */
  first: number;
  kinds: Uint8Array;
  slots: Uint16Array;
  offsets: Int32Array;
}

const zoneTables = new Map<string, ZoneTable>();
/** Buckets a table may span (about 38 years); a wider ask is served by a table of its own range. */
const MAX_TABLE = 4_000_000;

function fillTable(table: ZoneTable, from: number, to: number, phase: number, timeZone: string): void {
  let lastDay = NaN;
  let lastHoliday = false;
  for (let g = from; g < to; g++) {
    const j = g - table.first;
    const ms = g * BUCKET_MS + phase;
    const offset = zoneOffsetMs(ms, timeZone);
    const wall = ms + offset;
    const day = Math.floor(wall / DAY_MS);
    if (day !== lastDay) {
      lastDay = day;
      lastHoliday = isHolidayDay(day);
    }
    table.kinds[j] = lastHoliday ? HOLIDAY : weekdayOfDay(day);
    table.slots[j] = Math.floor((wall - day * DAY_MS) / BUCKET_MS);
    table.offsets[j] = offset / BUCKET_MS;
  }
}

/** The zone's table covering buckets [lo, hi) (since the epoch, of this phase). */
function zoneTable(timeZone: string, phase: number, lo: number, hi: number): ZoneTable {
  const key = `${timeZone}|${phase}`;
  const known = zoneTables.get(key);
  if (known && known.first <= lo && known.first + known.kinds.length >= hi) return known;
  // Grown by half again its size on the side that lacks (a backtest asks for a little more at every asOf).
  const pad = known ? Math.ceil(known.kinds.length / 2) : 0;
  let first = known ? Math.min(lo, known.first - (lo < known.first ? pad : 0)) : lo;
  let end = known ? Math.max(hi, known.first + known.kinds.length + (hi > known.first + known.kinds.length ? pad : 0)) : hi;
  const reuse = known !== undefined && end - first <= MAX_TABLE;
  if (!reuse) {
    first = lo;
    end = hi;
  }
  const size = end - first;
  const table: ZoneTable = { first, kinds: new Uint8Array(size), slots: new Uint16Array(size), offsets: new Int32Array(size) };
  if (reuse) {
    const at = known.first - first;
    table.kinds.set(known.kinds, at);
    table.slots.set(known.slots, at);
    table.offsets.set(known.offsets, at);
    fillTable(table, first, known.first, phase, timeZone);
    fillTable(table, known.first + known.kinds.length, end, phase, timeZone);
  } else fillTable(table, first, end, phase, timeZone);
  if (zoneTables.size > 16 && !known) zoneTables.clear();
  zoneTables.set(key, table);
  return table;
}

/** A calendar for buckets from `start` in `timeZone`, valid for indices below `until` (negative ones too, down to −`until`). */
export function calendarFor(start: number, until: number, timeZone: string): Calendar {
  const phase = ((start % BUCKET_MS) + BUCKET_MS) % BUCKET_MS;
  const origin = (start - phase) / BUCKET_MS;
  const { first, kinds, slots, offsets } = zoneTable(timeZone, phase, origin - until, origin + until);
  const base = origin - first;
  const last = kinds.length - 1;
  const at = (i: number) => Math.min(Math.max(i + base, 0), last);
  return {
    kind: (i) => kinds[at(i)]!,
    slot: (i) => slots[at(i)]!,
    shiftDays: (i, days) => {
      const guess = i + days * SLOTS_PER_DAY;
      // Same wall time: correct by the change of offset between the two instants.
      return guess + offsets[at(i)]! - offsets[at(guess)]!;
    },
  };
}

/** The q-quantile (0…1) of numbers, sorted in place. */
export function quantile(sorted: Float64Array | number[], q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const pos = (n - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/**
 * The k-th smallest (from 0) of a[left..right], selected in place (Wirth's
 * quickselect): afterwards a[k] holds it, with nothing greater before it in
 * [left, k) and nothing smaller after it in (k, right].
 */
function select(a: Float64Array, k: number, left: number, right: number): number {
  while (left < right) {
    const pivot = a[k]!;
    let i = left;
    let j = right;
    do {
      while (a[i]! < pivot) i++;
      while (pivot < a[j]!) j--;
      if (i <= j) {
        const swap = a[i]!;
        a[i] = a[j]!;
        a[j] = swap;
        i++;
        j--;
      }
    } while (i <= j);
    if (j < k) left = i;
    if (k < i) right = j;
  }
  return a[k]!;
}

/** The q1- and q2-quantiles (q1 ≤ q2) of a[0..n) (no NaN), as `quantile` of the sorted numbers gives them; reorders a. */
export function quantilesOf(a: Float64Array, n: number, q1: number, q2: number): [number, number] {
  if (n === 0) return [NaN, NaN];
  const at = (q: number, from: number): number => {
    const pos = (n - 1) * q;
    const lo = Math.floor(pos);
    const low = select(a, lo, from, n - 1);
    // The next order statistic: the least of what lies after it.
    let high = low;
    if (lo + 1 < n) {
      high = a[lo + 1]!;
      for (let i = lo + 2; i < n; i++) if (a[i]! < high) high = a[i]!;
    }
    return low + (high - low) * (pos - lo);
  };
  const first = at(q1, 0);
  return [first, at(q2, Math.floor((n - 1) * q1))];
}

/** Horizons (in buckets ahead of the origin) at which interval widths are measured; others interpolate. */
export const HORIZON_GRID = [1, 2, 3, 6, 12, 24, 48, 96, 144, 288, 576, 1152, 2016, 2304];

export interface Spread {
  /** 10 % and 90 % quantiles of actual − forecast, per grid horizon; NaN where too few. */
  lo: number[];
  hi: number[];
  /** The grid indices where lo/hi are measured (made once, read at every target). */
  measured?: number[];
}

const MIN_RESIDUALS = 20;

/**
 * The empirical 80 % spread of a method's errors by horizon: its own
 * forecasts at past origins (every `every` buckets from `firstOrigin` on,
 * targets before `n`), each using data before its origin, against what happened.
 * `point(o, t)` forecasts bucket t from origin o (data below o).
 */
export function measureSpread(
  x: Float64Array, n: number, maxHorizon: number, firstOrigin: number, every: number,
  point: (o: number, t: number) => number,
): Spread {
  const lo: number[] = [];
  const hi: number[] = [];
  // Measured up to the first grid horizon that reaches maxHorizon; the rest is not needed.
  const last = HORIZON_GRID.findIndex((g) => g >= maxHorizon);
  const first = Math.max(0, firstOrigin);
  const residuals = new Float64Array(Math.max(0, Math.ceil((n - first) / every)) + 1);
  for (const [k, h] of HORIZON_GRID.entries()) {
    if (last >= 0 && k > last) {
      lo.push(NaN);
      hi.push(NaN);
      continue;
    }
    let count = 0;
    for (let o = n - h; o >= first; o -= every) {
      const t = o + h - 1;
      const actual = x[t]!;
      if (Number.isNaN(actual)) continue;
      const forecast = point(o, t);
      if (!Number.isNaN(forecast)) residuals[count++] = actual - forecast;
    }
    if (count < MIN_RESIDUALS) {
      lo.push(NaN);
      hi.push(NaN);
      continue;
    }
    // Only two quantiles are needed: their order statistics are selected, not the whole array sorted.
    const [q10, q90] = quantilesOf(residuals, count, 0.1, 0.9);
    lo.push(q10);
    hi.push(q90);
  }
  return { lo, hi, measured: HORIZON_GRID.map((_, k) => k).filter((k) => !Number.isNaN(lo[k]!)) };
}

/** The spread at horizon h (buckets), interpolated between grid horizons; the nearest measured one beyond the ends. */
export function spreadAt(spread: Spread, h: number): [number, number] | null {
  const grid = HORIZON_GRID;
  const measured = spread.measured ?? grid.map((_, k) => k).filter((k) => !Number.isNaN(spread.lo[k]!));
  if (measured.length === 0) return null;
  let below = -1;
  let above = -1;
  for (const k of measured) {
    if (grid[k]! <= h) below = k;
    if (grid[k]! >= h && above < 0) above = k;
  }
  if (below < 0) return [spread.lo[above]!, spread.hi[above]!];
  if (above < 0 || above === below) return [spread.lo[below]!, spread.hi[below]!];
  const f = (Math.log(h) - Math.log(grid[below]!)) / (Math.log(grid[above]!) - Math.log(grid[below]!));
  return [
    spread.lo[below]! + f * (spread.lo[above]! - spread.lo[below]!),
    spread.hi[below]! + f * (spread.hi[above]! - spread.hi[below]!),
  ];
}

/** The index of the last known bucket below `o`, looking back at most `maxAge` buckets; −1 if none. */
export function lastKnown(x: Float64Array, o: number, maxAge: number): number {
  for (let i = o - 1; i >= 0 && i >= o - maxAge; i--) if (!Number.isNaN(x[i]!)) return i;
  return -1;
}
