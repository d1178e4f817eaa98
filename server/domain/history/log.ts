// The history log and its fold (DESIGN.md §7, "Recording"). The live store
// appends one record per applied change of a lot, in the same atomic step
// that applies it, numbered per lot; the recorder folds the records it has
// not taken yet through the accumulator and writes the buckets they close.
// Pure: the store, the SQL and the clock stay outside.
//
// Exactly once rests on the numbers: the recorder's saved state says the
// number of the last record it took, and it skips any record up to it, so a
// fold repeated after a crash (records read again, buckets written again)
// gives the same buckets and the same state — and a bucket is written whole
// (its full sums), so writing it twice changes nothing.
import { emptyHistoryState, observe, type HistoryLive, type HistoryLot, type HistoryState } from './accumulator.ts';
import { bucketStartOf, mergeBuckets, type Bucket } from './buckets.ts';

/**
 * The most records a lot's log keeps while the recorder does not take them:
 * at one change a second, more than a day of a recorder outage. Past it the
 * oldest go (the recorder counts the records lost, and the history has a gap).
 */
export const HISTORY_LOG_MAX = 100_000;

/** One entry of a lot's history log. */
export type HistoryRecord =
  /** An applied change: the live state committed; `at` the event's sensor ts (`sensorTime`), or the service's time. */
  | { n: number; kind: 'change'; at: number; sensorTime: boolean; live: HistoryLive }
  /** The lot's catalog status changed (open or not), at the service's time. */
  | { n: number; kind: 'status'; at: number; open: boolean };

/** What the recorder keeps per lot between folds (JSON). */
export interface RecorderState {
  /** The number of the last record taken (0: none yet). */
  n: number;
  history: HistoryState;
  /** The bucket holding the cursor, with what is known of it so far (not final). */
  open: Bucket | null;
  /** The lot's catalog status is `open`, as the last status record (or the catalog, at the first fold) said. */
  statusOpen: boolean;
  /** The live state of the last change taken (a status record keeps it and changes only the status). */
  live: HistoryLive | null;
  /** Records the log dropped before they were taken (it was full). */
  lost: number;
}

export function emptyRecorderState(capacity: number, statusOpen: boolean): RecorderState {
  return { n: 0, history: emptyHistoryState(capacity), open: null, statusOpen, live: null, lost: 0 };
}

export interface FoldResult {
  state: RecorderState;
  /**
   * Buckets to write, whole: every bucket the fold closed (final), and the
   * open one (provisional, so readers see the current bucket fill).
   */
  buckets: Bucket[];
}

/** Folds the records after `saved.n` (in number order) into the state; the input is not changed. */
export function foldRecords(saved: RecorderState, records: readonly HistoryRecord[], lot: HistoryLot): FoldResult {
  let history = saved.history;
  let statusOpen = saved.statusOpen;
  let n = saved.n;
  let lost = saved.lost;
  let live = saved.live;
  const parts: Bucket[][] = [];
  for (const record of [...records].sort((a, b) => a.n - b.n)) {
    if (record.n <= n) continue; // taken before: a fold repeated after a crash
    // A gap in the numbers: the log was full and let its oldest go. (A log begun
    // anew — the store lost its data — numbers from its clock, far past: no count.)
    if (n > 0 && record.n > n + 1 && record.n - n <= HISTORY_LOG_MAX * 10) lost += record.n - n - 1;
    n = record.n;
    if (record.kind === 'status') {
      if (record.open === statusOpen) continue;
      statusOpen = record.open;
      // The live state is unchanged: its value goes on, the lot is down (or up) from now.
      if (live) history = observe(history, { at: record.at, sensorTime: false, live, statusOpen }, lot).state;
      continue;
    }
    live = record.live;
    const result = observe(history, { at: record.at, sensorTime: record.sensorTime, live: record.live, statusOpen }, lot);
    history = result.state;
    if (result.parts.length) parts.push(result.parts);
  }
  const merged = parts.length ? mergeBuckets(saved.open ? [saved.open] : [], ...parts) : [];
  const openStart = history.cursor === null ? null : bucketStartOf(history.cursor);
  const open = parts.length ? (merged.find((b) => b.start === openStart) ?? null) : saved.open && saved.open.start === openStart ? saved.open : null;
  return { state: { n, history, open, statusOpen, live, lost }, buckets: merged };
}
