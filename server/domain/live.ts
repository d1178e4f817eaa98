// The apply rules for live occupancy. Pure: the in-process store runs this
// code as is, the Redis store runs a Lua transcription of it, and the contract
// and property tests hold both to it.

/** One lot's live state. */
export interface LiveState {
  /** Effective capacity: the catalog's, or the one the gateway last reported. */
  capacity: number;
  /** Vehicles in the lot; null before any data. */
  occupied: number | null;
  /** Sensor time of the last applied event (epoch ms); null before any data. */
  ts: number | null;
  /** `seq` of the last applied count event, when the gateway sends one. */
  seq: number | null;
  /** The last applied count was outside 0..capacity and was clamped. */
  clamped: boolean;
  /** When the last applied event was received (epoch ms). */
  receivedAt: number | null;
}

/** A change as the live store's feed carries it. */
export interface LiveChange extends LiveState {
  id: string;
}

/** An absolute count for a whole lot, validated (see events.ts). */
export interface CountEvent {
  lotId: string;
  /** Sensor time (epoch ms); the time of receipt when the payload had none. */
  ts: number;
  seq: number | null;
  /** Exactly one of occupied and free is set. */
  occupied: number | null;
  free: number | null;
  /** Capacity reported by the gateway, replacing the effective capacity. */
  capacity: number | null;
  receivedAt: number;
}

export const applyOutcomes = ['applied', 'duplicate', 'out_of_order'] as const;
export type ApplyOutcome = (typeof applyOutcomes)[number];

export interface ApplyResult {
  outcome: ApplyOutcome;
  /** The state after the event (unchanged unless applied). */
  state: LiveState;
}

export function emptyLiveState(capacity: number): LiveState {
  return { capacity, occupied: null, ts: null, seq: null, clamped: false, receivedAt: null };
}

/**
 * Where an event stands against the last applied one. Events are ordered by
 * (ts, seq): the newest wins whatever order they arrive in, so a redelivered
 * or late message never moves the count backwards.
 *  - an older ts is out of order;
 *  - the same ts with the same seq, or with no seq on either side, is a duplicate;
 *  - the same ts with a lower seq is out of order.
 * A higher ts wins even with a lower seq (the device restarted its counter).
 */
export function orderAgainst(
  last: { ts: number | null; seq: number | null },
  ts: number,
  seq: number | null,
): ApplyOutcome {
  if (last.ts === null) return 'applied';
  if (ts < last.ts) return 'out_of_order';
  if (ts > last.ts) return 'applied';
  if (seq === null || last.seq === null || seq === last.seq) return 'duplicate';
  return seq < last.seq ? 'out_of_order' : 'applied';
}

export function clamp(value: number, min: number, max: number): number {
  return Math.min(Math.max(value, min), max);
}

/**
 * Applies an absolute count. `lotCapacity` is the catalog's capacity, used
 * when the store has no state for the lot yet.
 */
export function applyCount(current: LiveState | null, lotCapacity: number, event: CountEvent): ApplyResult {
  const state = current ?? emptyLiveState(lotCapacity);
  const outcome = orderAgainst(state, event.ts, event.seq);
  if (outcome !== 'applied') return { outcome, state };

  const capacity = event.capacity ?? state.capacity;
  const reported = event.occupied ?? capacity - (event.free ?? 0);
  const occupied = clamp(reported, 0, capacity);
  return {
    outcome,
    state: {
      capacity,
      occupied,
      ts: event.ts,
      seq: event.seq,
      clamped: occupied !== reported,
      receivedAt: event.receivedAt,
    },
  };
}
