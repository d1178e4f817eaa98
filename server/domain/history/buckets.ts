// History buckets: per lot and 5 minutes of sensor time, partial sums that
// add up (so the part of a bucket each applied event closes can be added
// wherever it is written, in any order), their roll-ups to longer steps in
// local time, and the points the API shows. Pure.
import { DAY_MS, HOUR_MS, MINUTE_MS, startOfLocalStep } from '../zone.ts';

/** The recording step: every bucket covers [start, start + BUCKET_MS) of sensor time, start a multiple of it since the epoch. */
export const BUCKET_MS = 5 * MINUTE_MS;

/**
 * One lot's history over one step. Sums are integers (occupancy × ms), so
 * adding the same parts in any order gives the same bucket, bit for bit —
 * in TypeScript and in a Lua script alike (both count in doubles, exact to 2^53).
 */
export interface Bucket {
  /** Start of the step (epoch ms). */
  start: number;
  /** Milliseconds of the step when the lot had live data. */
  knownMs: number;
  /** ∫ occupied dt over the known time (vehicles × ms). */
  occMs: number;
  /** ∫ capacity dt over the known time (spaces × ms). */
  capMs: number;
  /** Fewest and most vehicles at any known moment. */
  min: number;
  max: number;
  /** The largest capacity at any known moment. */
  capacity: number;
}

export const historySteps = ['5m', '15m', '30m', '1h', '1d'] as const;
export type HistoryStep = (typeof historySteps)[number];

export const STEP_MS: Record<HistoryStep, number> = {
  '5m': BUCKET_MS,
  '15m': 15 * MINUTE_MS,
  '30m': 30 * MINUTE_MS,
  '1h': HOUR_MS,
  '1d': DAY_MS,
};

export function bucketStartOf(ms: number): number {
  return ms - (((ms % BUCKET_MS) + BUCKET_MS) % BUCKET_MS);
}

/** A bucket holding one known stretch of `ms` milliseconds at one occupancy and capacity. */
export function stretch(start: number, ms: number, occupied: number, capacity: number): Bucket {
  return { start, knownMs: ms, occMs: occupied * ms, capMs: capacity * ms, min: occupied, max: occupied, capacity };
}

/** Adds `part` into `into` (same start), in place: the one way buckets combine. */
export function addInto(into: Bucket, part: Bucket): Bucket {
  into.knownMs += part.knownMs;
  into.occMs += part.occMs;
  into.capMs += part.capMs;
  into.min = Math.min(into.min, part.min);
  into.max = Math.max(into.max, part.max);
  into.capacity = Math.max(into.capacity, part.capacity);
  return into;
}

/** Buckets with the same start added together, sorted by start; empty ones (no known time) left out. */
export function mergeBuckets(...lists: readonly (readonly Bucket[])[]): Bucket[] {
  const parts: Bucket[] = [];
  let ordered = true;
  for (const list of lists) {
    for (const part of list) {
      if (part.knownMs <= 0) continue;
      if (parts.length && parts[parts.length - 1]!.start > part.start) ordered = false;
      parts.push(part);
    }
  }
  // A stable sort: parts of the same start are added in the order given.
  if (!ordered) parts.sort((a, b) => a.start - b.start);
  const merged: Bucket[] = [];
  for (const part of parts) {
    const last = merged[merged.length - 1];
    if (last && last.start === part.start) addInto(last, part);
    else merged.push({ ...part });
  }
  return merged;
}

/**
 * 5-minute buckets rolled up to `step`, each step starting on the local clock
 * of `timeZone` (an hour at hh:00, a day at local midnight — 23 or 25 hours
 * across a daylight-saving change). Means stay weighted by known time: the
 * sums just add up.
 */
export function rollUp(buckets: readonly Bucket[], step: HistoryStep, timeZone: string): Bucket[] {
  if (step === '5m') return mergeBuckets(buckets);
  const stepMs = STEP_MS[step];
  return mergeBuckets(buckets.map((b) => ({ ...b, start: startOfLocalStep(b.start, stepMs, timeZone) })));
}

/** One point of `GET /api/lots/{id}/history` (DESIGN.md §4). */
export interface HistoryPoint {
  /** Start of the step, ISO 8601. */
  at: string;
  /** Mean vehicles over the known time of the step; null: nothing known. */
  occupied: number | null;
  occupiedMin: number | null;
  occupiedMax: number | null;
  /** Mean free spaces over the known time, within 0…capacity. */
  free: number | null;
  capacity: number | null;
  /** Seconds of the step with live data (0 … the step's length). */
  knownS: number;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);
let isoDay = NaN;
let isoDayPrefix = '';

/**
 * `new Date(ms).toISOString()`, made from the day's date (kept from the last
 * call: a history asks for thousands of instants of the same few days) and
 * the time of day — a history of a week names 2,016 instants.
 */
export function isoOf(ms: number): string {
  const day = Math.floor(ms / DAY_MS);
  const inDay = ms - day * DAY_MS;
  if (!Number.isInteger(ms) || day < 0 || day >= 2_932_897) return new Date(ms).toISOString(); // outside 1970…9999
  if (day !== isoDay) {
    isoDay = day;
    isoDayPrefix = new Date(day * DAY_MS).toISOString().slice(0, 11);
  }
  const milli = inDay % 1000;
  const second = Math.floor(inDay / 1000);
  return `${isoDayPrefix}${pad2(Math.floor(second / 3600))}:${pad2(Math.floor(second / 60) % 60)}:${pad2(second % 60)}.${milli < 10 ? `00${milli}` : milli < 100 ? `0${milli}` : milli}Z`;
}

export function pointOf(start: number, bucket: Bucket | undefined): HistoryPoint {
  const at = isoOf(start);
  if (!bucket || bucket.knownMs <= 0) return { at, occupied: null, occupiedMin: null, occupiedMax: null, free: null, capacity: null, knownS: 0 };
  const occupied = bucket.occMs / bucket.knownMs;
  const free = Math.min(bucket.capacity, Math.max(0, (bucket.capMs - bucket.occMs) / bucket.knownMs));
  return {
    at,
    occupied: round2(occupied),
    occupiedMin: bucket.min,
    occupiedMax: bucket.max,
    free: Math.min(bucket.capacity, round2(free)),
    capacity: bucket.capacity,
    knownS: round2(bucket.knownMs / 1000),
  };
}

/** The starts of the local steps that begin in [from, to), in order. */
export function stepStarts(from: number, to: number, step: HistoryStep, timeZone: string): number[] {
  const stepMs = STEP_MS[step];
  const starts: number[] = [];
  let at = startOfLocalStep(from, stepMs, timeZone);
  if (at < from) at = next(at, step, timeZone);
  for (; at < to; at = next(at, step, timeZone)) starts.push(at);
  return starts;
}

function next(at: number, step: HistoryStep, timeZone: string): number {
  if (step !== '1d') return at + STEP_MS[step];
  // The next local midnight: 26 h on lands in the next day whatever the day's length.
  return startOfLocalStep(at + 26 * HOUR_MS, DAY_MS, timeZone);
}

/**
 * The API's points for [from, to) at `step`: one per step start, with
 * `occupied: null` (and knownS 0) where nothing was known. `buckets` are
 * 5-minute buckets (or already at `step`: rolling up again changes nothing).
 */
export function historyPoints(buckets: readonly Bucket[], from: number, to: number, step: HistoryStep, timeZone: string): HistoryPoint[] {
  // Already 5-minute buckets, merged and in order (as the views give them): nothing to roll up.
  const rolled = step === '5m' && isMerged(buckets) ? buckets : rollUp(buckets, step, timeZone);
  // Both in order: walked side by side.
  let j = 0;
  return stepStarts(from, to, step, timeZone).map((start) => {
    while (j < rolled.length && rolled[j]!.start < start) j++;
    return pointOf(start, rolled[j]?.start === start ? rolled[j] : undefined);
  });
}

/** Whether buckets are in strictly increasing order of start, each with known time (as mergeBuckets leaves them). */
function isMerged(buckets: readonly Bucket[]): boolean {
  for (let i = 0; i < buckets.length; i++) {
    if (!(buckets[i]!.knownMs > 0) || (i > 0 && buckets[i - 1]!.start >= buckets[i]!.start)) return false;
  }
  return true;
}
