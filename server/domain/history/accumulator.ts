// The history accumulator: turns a lot's successive live states, as the live
// store applies them, into 5-minute buckets by sensor time. Pure: times are
// passed in, and the step is small enough to transcribe to a Lua script.
//
// How a value holds (the one definition; DESIGN.md §7 says it in words):
//
// * The **cursor** is the newest sensor time the lot was heard at (its
//   `aliveAt`: the ts of the newest applied event or heartbeat). History
//   before the cursor is final: every applied observation with a sensor time
//   `at` after the cursor closes [cursor, at) with the value that held there,
//   adds it to the bucket(s) it spans, and moves the cursor to `at`.
// * A value (occupied, capacity) holds from the cursor until the next sign of
//   life, but **counts** (is "known") at time t only while
//     - t < aliveAt + staleAfter (after that the lot is stale: a gap — not a
//       zero, and not the last value carried on), and
//     - the lot is not *down*: no gateway serving it offline, and its catalog
//       status `open`, and
//     - its opening hours say open at t (closed by its hours: a gap).
// * A change that the live rules apply although it is older than the cursor
//   (a late gate delta or bay sensor: the live state moves, its newest ts does
//   not) takes effect at the cursor: buckets behind it are never rewritten.
// * Changes without a sensor time — a gateway's offline/online status, an
//   operator's capacity or status change — are timed by the service
//   (`sensorTime: false`). They never move the cursor, so a gateway that
//   flushes its buffer after an outage still fills its history where it
//   happened; a new value from them takes effect at the cursor, and the
//   lot is down from such a change's time until the lot is up again — at the
//   sensor time of the first sign of life that revives it, or the service time
//   of an online status. (A buffered backlog older than the offline status thus
//   leaves no gap: the spell ends before it began.)
//
// Exactly once: only applied observations are observed, and each closes an
// interval after every interval closed before it, so no moment is counted
// twice; a duplicate or rejected event is not applied, so it adds nothing.
// The parts returned add up (buckets.ts): a store can add them to its buckets
// in the same atomic step that applies the event, in any order across lots;
// `closed.from` (the cursor before) is unique per lot, a key to make a retried
// write idempotent.
import type { LiveState } from '../live.ts';
import { BUCKET_MS, bucketStartOf, stretch, type Bucket } from './buckets.ts';

/** What the history reads of a lot's live state: the rest (seq, source, bays by kind…) is the live view's. */
export type HistoryLive = Pick<LiveState, 'capacity' | 'occupied' | 'ts' | 'aliveAt' | 'offline'>;

/** Times [from, to) within which a lot is closed by its opening hours, in order. */
export type ClosedSpans = (from: number, to: number) => readonly (readonly [number, number])[];

/** What the accumulator needs to know about the lot besides its live state. */
export interface HistoryLot {
  /** The lot's stale threshold (its own staleAfterS, else STALE_AFTER_S), ms. */
  staleAfterMs: number;
  /** When its opening hours close it (see hoursClosedSpans); absent: never. */
  closed?: ClosedSpans;
}

/** One applied change of a lot, as the recorder sees it. */
export interface HistoryObservation {
  /** When it happened: the applied event's sensor ts, or the service's time for a change without one. */
  at: number;
  /** Whether `at` is a sensor time (an applied event or heartbeat), as opposed to the service's clock. */
  sensorTime: boolean;
  /** The lot's live state after the change, as the store committed it. */
  live: HistoryLive;
  /** The lot's catalog status is `open` (planned, under construction and closed lots are gaps). */
  statusOpen: boolean;
}

/** What the accumulator keeps per lot between observations (small, serialisable as JSON). */
export interface HistoryState {
  /** Sensor time up to which history is final; null before the first sign of life. */
  cursor: number | null;
  /** The value holding from the cursor on; null: none yet. */
  occupied: number | null;
  capacity: number;
  /** The newest sign of life (sensor time): the value counts until aliveAt + staleAfter. */
  aliveAt: number | null;
  /** The lot is down now (a gateway offline, or its status not open). */
  down: boolean;
  /** Down spells [from, to) reaching past the cursor; `to` null while the lot is down. */
  downSpans: [number, number | null][];
}

export function emptyHistoryState(capacity = 0): HistoryState {
  return { cursor: null, occupied: null, capacity, aliveAt: null, down: false, downSpans: [] };
}

export interface ObserveResult {
  state: HistoryState;
  /** The bucket parts this observation closed (known time only), by start. */
  parts: Bucket[];
  /** The sensor-time interval it closed, if any. */
  closed: { from: number; to: number } | null;
}

/**
 * The known part of [from, to) for a state: until its value turns stale,
 * outside its down spells and the lot's closed hours; as [start, end) pieces.
 */
function knownPieces(state: HistoryState, from: number, to: number, lot: HistoryLot): [number, number][] {
  if (state.occupied === null || state.aliveAt === null) return [];
  const end = Math.min(to, state.aliveAt + lot.staleAfterMs);
  if (end <= from) return [];
  let pieces: [number, number][] = [[from, end]];
  for (const [a, b] of state.downSpans) pieces = cutOut(pieces, a, b ?? Infinity);
  if (lot.closed) for (const [a, b] of lot.closed(from, end)) pieces = cutOut(pieces, a, b);
  return pieces;
}

/** Pieces without [a, b). (A function of the module: the recorder calls this for every record.) */
function cutOut(pieces: readonly [number, number][], a: number, b: number): [number, number][] {
  const out: [number, number][] = [];
  for (const [s, e] of pieces) {
    if (b <= s || a >= e) out.push([s, e]);
    else {
      if (a > s) out.push([s, a]);
      if (b < e) out.push([b, e]);
    }
  }
  return out;
}

/** The bucket parts of the known part of [from, to) at the state's value. */
function partsOf(state: HistoryState, from: number, to: number, lot: HistoryLot): Bucket[] {
  const parts: Bucket[] = [];
  for (const [s, e] of knownPieces(state, from, to, lot)) {
    for (let at = s; at < e; ) {
      const start = bucketStartOf(at);
      const until = Math.min(e, start + BUCKET_MS);
      const last = parts[parts.length - 1];
      const part = stretch(start, until - at, state.occupied!, state.capacity);
      if (last && last.start === start) {
        last.knownMs += part.knownMs;
        last.occMs += part.occMs;
        last.capMs += part.capMs;
      } else parts.push(part);
      at = until;
    }
  }
  return parts;
}

/**
 * Applies one observation: closes the interval since the cursor (when it is
 * a sign of life newer than the cursor) and takes the new value. Returns the
 * new state (the old one is not changed) and the bucket parts to add.
 */
export function observe(state: HistoryState, obs: HistoryObservation, lot: HistoryLot): ObserveResult {
  let parts: Bucket[] = [];
  let closed: ObserveResult['closed'] = null;
  let cursor = state.cursor;
  if (obs.sensorTime) {
    if (cursor !== null && obs.at > cursor) {
      parts = partsOf(state, cursor, obs.at, lot);
      closed = { from: cursor, to: obs.at };
    }
    cursor = cursor === null ? obs.at : Math.max(cursor, obs.at);
  }

  const down = Boolean(obs.live.offline) || !obs.statusOpen;
  let downSpans = state.downSpans.length ? state.downSpans.map((span): [number, number | null] => [span[0], span[1]]) : [];
  if (down && !state.down) downSpans.push([obs.at, null]);
  if (!down && state.down) {
    const open = downSpans.find((span) => span[1] === null);
    if (open) open[1] = Math.max(open[0], obs.at);
  }
  // Spells over before the cursor can no longer cut anything.
  if (cursor !== null && downSpans.length) downSpans = downSpans.filter(([, to]) => to === null || to > cursor!);

  const aliveAt = obs.live.aliveAt ?? obs.live.ts;
  return {
    state: {
      cursor,
      occupied: obs.live.occupied,
      capacity: obs.live.capacity,
      aliveAt: aliveAt === null ? state.aliveAt : Math.max(aliveAt, state.aliveAt ?? aliveAt),
      down,
      downSpans,
    },
    parts,
    closed,
  };
}

/**
 * The provisional parts from the cursor up to `upTo`: what the history shows
 * for the time since the last sign of life (the value, until it turns stale).
 * Not final — the next sign of life may change them — so a reader adds them
 * to the recorded buckets and a recorder does not store them.
 */
export function tail(state: HistoryState, upTo: number, lot: HistoryLot): Bucket[] {
  if (state.cursor === null || upTo <= state.cursor) return [];
  return partsOf(state, state.cursor, upTo, lot);
}

/**
 * Buckets that no later observation can change: those ending at or before the
 * cursor. A recorder writes these once and keeps the rest in its working set.
 */
export function isFinal(bucketStart: number, state: HistoryState): boolean {
  return state.cursor !== null && bucketStart + BUCKET_MS <= state.cursor;
}
