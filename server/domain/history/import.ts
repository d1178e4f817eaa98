// History imported from an older system (DESIGN.md §7, "Import"): a CSV of
// samples `lot,at,occupied[,capacity]`, each line checked (a bad one named
// by its number), turned into 5-minute buckets by the accumulator's rules —
// a sample holds until the next one of its lot, or until the lot's stale
// threshold after it. Pure; the caller writes only buckets not recorded yet,
// so an import never counts twice what is already there.
import { MIN_TS } from '../events.ts';
import { lotIdSchema, lotMetaSchema } from '../lot.ts';
import { emptyHistoryState, observe, tail, type HistoryLot } from './accumulator.ts';
import { mergeBuckets, type Bucket } from './buckets.ts';

export interface HistorySample {
  lot: string;
  at: number;
  occupied: number;
  capacity: number | null;
}

export interface ImportProblem {
  /** 1-based line of the file (the header is line 1). */
  line: number;
  message: string;
}

/** Lines an import takes at most (a year of one lot every minute is 525,600). */
export const MAX_IMPORT_LINES = 2_000_000;

/** Checks one line's cells (a sample, or what is wrong with it). */
export function sampleOf(cells: { lot: string; at: string; occupied: string; capacity: string }): HistorySample | string {
  const { lot, at: atText, occupied: occText, capacity: capText } = cells;
  if (!lotIdSchema.safeParse(lot).success) return `lot "${lot.slice(0, 80)}" is not a lot id (1–64 of a-z, 0-9 and "-")`;
  const at = /[zZ]|[+-]\d\d:?\d\d$/.test(atText) ? Date.parse(atText) : NaN;
  if (!Number.isFinite(at)) return `at "${atText.slice(0, 40)}" is not an ISO 8601 time with an offset (2026-06-01T08:00:00+08:00)`;
  // As for a sensor's ts: earlier is no real time (and on PostgreSQL a month no partition can hold: a 500 before).
  if (at < MIN_TS) return `at "${atText.slice(0, 40)}" is before 2000`;
  const occupied = Number(occText);
  if (occText === '' || !Number.isInteger(occupied) || occupied < 0) return `occupied "${occText.slice(0, 20)}" is not a whole number ≥ 0`;
  const capacity = capText === '' ? null : Number(capText);
  // At most a lot's capacity: a bucket holds capacity × milliseconds, and 10^20 overflowed PostgreSQL's bigint (a 500).
  if (capacity !== null && !lotMetaSchema.shape.capacity.safeParse(capacity).success) return `capacity "${capText.slice(0, 20)}" is not a whole number from 0 to 100000`;
  return { lot, at, occupied, capacity };
}

/**
 * One lot's samples as buckets: each holds its value from its time until the
 * next sample or the stale threshold (a gap, not a value carried on), clamped
 * to the capacity it had (its own column, else the lot's), up to `until`.
 */
export function bucketsFromSamples(samples: readonly HistorySample[], lotCapacity: number, lot: HistoryLot, until: number): Bucket[] {
  const sorted = [...samples].sort((a, b) => a.at - b.at);
  let state = emptyHistoryState(lotCapacity);
  const parts: Bucket[][] = [];
  for (const sample of sorted) {
    const capacity = sample.capacity ?? lotCapacity;
    const occupied = Math.min(sample.occupied, capacity);
    const live = { capacity, occupied, ts: sample.at, seq: null, clamped: occupied !== sample.occupied, receivedAt: sample.at, aliveAt: sample.at, offline: false, source: 'count' as const, staleMarked: false };
    const step = observe(state, { at: sample.at, sensorTime: true, live, statusOpen: true }, lot);
    state = step.state;
    parts.push(step.parts);
  }
  const last = sorted.at(-1);
  return mergeBuckets(...parts, last ? tail(state, Math.min(until, last.at + lot.staleAfterMs), lot) : []);
}
