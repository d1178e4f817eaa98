// The apply rules for live occupancy (DESIGN.md §3). Pure: the in-process
// store runs this code as is, the Redis store runs a Lua transcription of it
// (server/live/lua/), and the contract and property tests hold both to it.
//
// A lot's occupancy comes from one of three kinds of source, in this order of
// precedence: bay sensors (one per space), else the last absolute count plus
// the gate deltas newer than it, else gate deltas alone (from an empty lot).
// Each kind is ordered on its own (counts by (ts, seq), each space by
// (ts, seq), each gate by its seq window), so the final state does not depend
// on the order events arrive in.

import type { BayKind, KindCounts } from './bay-kinds.ts';
import { tallyBay, tallyKinds } from './live-kinds.ts';
import type { CountEvent, GateEvent, GatewayStatusEvent, HeartbeatEvent, SpaceEvent } from './live-events.ts';

/** One lot's live state, as readers (views, the change feed) see it. */
export interface LiveState {
  /** Effective capacity: the catalog's, or the one the gateway last reported. */
  capacity: number;
  /** Vehicles in the lot, clamped to 0..capacity; null before any data. */
  occupied: number | null;
  /** Sensor time of the newest applied event of any kind (epoch ms); null before any data. */
  ts: number | null;
  /** `seq` of the last applied count event, when the gateway sends one. */
  seq: number | null;
  /** The occupancy the sources add up to was outside 0..capacity and was clamped. */
  clamped: boolean;
  /** When the last applied event was received (epoch ms). */
  receivedAt: number | null;
  // The fields below were added with the whole MQTT contract; absent means null/false.
  /** Sensor time of the newest sign of life (an applied event or a heartbeat): staleness runs from it. */
  aliveAt?: number | null;
  /** A gateway serving the lot went offline (its Last Will) and nothing came from the lot since. */
  offline?: boolean;
  /** Where the occupancy comes from. */
  source?: OccupancySource | null;
  /** The lot's stale transition for the current `aliveAt` has been announced. */
  staleMarked?: boolean;
  /**
   * The declared bays of each kind (domain/bay-kinds.ts) as their sensors
   * report them, tallied in the same step as each bay's state: null until the
   * lot's declaration is taken (applyBayKinds) or a declared bay first reports.
   */
  kinds?: KindCounts | null;
}

export const occupancySources = ['bays', 'count', 'gates'] as const;
export type OccupancySource = (typeof occupancySources)[number];

/** A change as the live store's feed carries it. */
export interface LiveChange extends LiveState {
  id: string;
}

export type { CountEvent, GateEvent, GatewayStatusEvent, HeartbeatEvent, SpaceEvent };
export type { BayKind, KindCounts };

/**
 * What happened to an event: applied; a duplicate; older than what the state
 * already holds (out_of_order); or a gate delta older than the last absolute
 * count, which already reflects it (superseded).
 */
export const applyOutcomes = ['applied', 'duplicate', 'out_of_order', 'superseded'] as const;
export type ApplyOutcome = (typeof applyOutcomes)[number];

export interface ApplyResult {
  outcome: ApplyOutcome;
  /** The state after the event (unchanged unless applied). */
  state: LiveState;
}

/** How many recent seqs per gate are remembered, to recognise duplicates among reordered events. */
export const GATE_SEQ_WINDOW = 1024;
/** How many gate deltas newer than the last count are kept, so a late count can be placed exactly. */
export const GATE_LOG_MAX = 256;

export interface GateCounter {
  /** Highest seq seen in the counter's current run. */
  hi: number;
  /** Newest ts seen in the current run. */
  hiTs: number;
  /** ts of the first event of the current run (the counter restarted then); events older are ignored. */
  runTs: number | null;
  /** Seqs seen in (hi − GATE_SEQ_WINDOW, hi]. */
  seen: Set<number>;
}

export interface GateDelta {
  ts: number;
  /** `<gate>|<seq or #n>|<delta>`: unique, and the tie-break order when ts are equal (as Redis orders a sorted set). */
  member: string;
  delta: number;
}

export interface BayState {
  occupied: boolean;
  ts: number;
  seq: number | null;
}

/** Everything the apply rules keep for one lot (the Redis store keeps the same in a few keys). */
export interface LotRecord {
  state: Required<LiveState>;
  /** The last applied count: its order and the occupancy it reported, unclamped. */
  count: { ts: number; seq: number | null; reported: number } | null;
  /** Gate deltas older than the log's reach, folded into one number, and the newest ts folded. */
  folded: number;
  foldTs: number | null;
  /** Applied gate deltas newer than the last count (and the fold point), oldest first. */
  log: GateDelta[];
  /** Sum of the log's deltas. */
  logSum: number;
  /** Numbers gate deltas without seq, so each has its own log member. */
  unnumbered: number;
  /** A gate delta was applied (a lot fed by gates alone starts from empty). */
  gatesApplied: boolean;
  gates: Map<string, GateCounter>;
  bays: Map<string, BayState>;
  baysOccupied: number;
  /** Each declared bay's kind (the catalog's declaration, as applyBayKinds last took it), and that declaration's digest. */
  bayKinds: Map<string, BayKind>;
  bayKindsDigest: string;
  /** When the service received the offline status that set `state.offline` (its clock). */
  offlineAt: number | null;
}

export function emptyLiveState(capacity: number): Required<LiveState> {
  return {
    capacity, occupied: null, ts: null, seq: null, clamped: false, receivedAt: null,
    aliveAt: null, offline: false, source: null, staleMarked: false, kinds: null,
  };
}

export function emptyLotRecord(capacity: number): LotRecord {
  return {
    state: emptyLiveState(capacity),
    count: null,
    folded: 0,
    foldTs: null,
    log: [],
    logSum: 0,
    unnumbered: 0,
    gatesApplied: false,
    gates: new Map(),
    bays: new Map(),
    baysOccupied: 0,
    bayKinds: new Map(),
    bayKindsDigest: '',
    offlineAt: null,
  };
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

const maxOf = (a: number | null, b: number): number => (a === null ? b : Math.max(a, b));

/** Recomputes the derived occupancy from the sources, by precedence: bays, then count + gates, then gates. */
function settle(record: LotRecord): void {
  const { state } = record;
  let raw: number | null = null;
  const counted = record.count !== null || record.gatesApplied;
  // Bays make the total when they cover the lot (as many heard from as its
  // capacity). Sensors on a few of its bays (the EV bays, say) do not: the lot's
  // count or gates make it, and with neither its total is not known.
  if (record.bays.size > 0 && record.bays.size >= state.capacity) {
    state.source = 'bays';
    raw = record.baysOccupied;
  } else if (counted) {
    state.source = record.count ? 'count' : 'gates';
    raw = (record.count?.reported ?? 0) + record.folded + record.logSum;
  } else state.source = record.bays.size > 0 ? 'bays' : null;
  state.occupied = raw === null ? null : clamp(raw, 0, state.capacity);
  state.clamped = raw !== null && state.occupied !== raw;
}

/** Marks an applied event: newest data and life, the lot is heard from again. */
function touch(record: LotRecord, ts: number, receivedAt: number): void {
  const { state } = record;
  state.ts = maxOf(state.ts, ts);
  noteLife(record, ts, receivedAt);
  state.receivedAt = receivedAt;
}

/**
 * A sign of life at sensor time `ts`. It ends an offline spell only if it was
 * received after the offline status: events received before it but applied
 * after it (several in flight at once) do not bring the lot back.
 */
function noteLife(record: LotRecord, ts: number, receivedAt: number): void {
  const { state } = record;
  if (state.aliveAt === null || ts > state.aliveAt) {
    state.aliveAt = ts;
    state.staleMarked = false;
  }
  if (state.offline && (record.offlineAt === null || receivedAt > record.offlineAt)) {
    state.offline = false;
    record.offlineAt = null;
  }
}

function done(outcome: ApplyOutcome, record: LotRecord): ApplyResult {
  return { outcome, state: { ...record.state } };
}

/**
 * Applies an absolute count. Like every apply rule here, it changes the record
 * in place, and only when the outcome is `applied`.
 */
export function applyCount(record: LotRecord, event: CountEvent): ApplyResult {
  const last = record.count ?? { ts: null, seq: null };
  let outcome = orderAgainst(last, event.ts, event.seq);
  // Deltas newer than this count were folded together with older ones: it cannot be placed exactly.
  if (outcome === 'applied' && record.foldTs !== null && event.ts < record.foldTs) outcome = 'out_of_order';
  if (outcome !== 'applied') return done(outcome, record);

  const capacity = event.capacity ?? record.state.capacity;
  record.state.capacity = capacity;
  record.state.seq = event.seq;
  record.count = { ts: event.ts, seq: event.seq, reported: event.occupied ?? capacity - (event.free ?? 0) };
  // The count reflects every gate delta up to its ts: keep only the newer ones.
  record.log = record.log.filter((d) => d.ts > event.ts);
  record.logSum = record.log.reduce((sum, d) => sum + d.delta, 0);
  record.folded = 0;
  record.foldTs = null;
  touch(record, event.ts, event.receivedAt);
  settle(record);
  return done(outcome, record);
}

/** Where a gate event stands against its gate's counter: the seq window, with counter restarts. */
function gateOrder(counter: GateCounter | undefined, event: GateEvent): { outcome: ApplyOutcome; restart: boolean } {
  if (event.seq === null || !counter) return { outcome: 'applied', restart: false };
  const { seq, ts } = event;
  if (counter.runTs !== null && ts < counter.runTs) return { outcome: 'out_of_order', restart: false };
  // A lower seq with a newer sensor ts: the counter restarted. (A resend keeps its
  // original seq and ts; one of the newest seq that was re-stamped is still a duplicate.)
  if (seq < counter.hi && event.sensorTs && ts > counter.hiTs) return { outcome: 'applied', restart: true };
  if (seq > counter.hi) return { outcome: 'applied', restart: false };
  if (seq <= counter.hi - GATE_SEQ_WINDOW) return { outcome: 'out_of_order', restart: false };
  return { outcome: counter.seen.has(seq) ? 'duplicate' : 'applied', restart: false };
}

function noteGateSeq(record: LotRecord, event: GateEvent, restart: boolean): void {
  if (event.seq === null) return;
  const { seq, ts } = event;
  const counter = record.gates.get(event.gate);
  if (!counter || restart) {
    record.gates.set(event.gate, { hi: seq, hiTs: ts, runTs: restart ? ts : null, seen: new Set([seq]) });
    return;
  }
  counter.seen.add(seq);
  counter.hiTs = Math.max(counter.hiTs, ts);
  if (seq > counter.hi) {
    counter.hi = seq;
    for (const s of counter.seen) if (s <= seq - GATE_SEQ_WINDOW) counter.seen.delete(s);
  }
}

const byTsThenMember = (a: GateDelta, b: GateDelta) => a.ts - b.ts || (a.member < b.member ? -1 : a.member > b.member ? 1 : 0);

/**
 * Applies vehicles passing a gate. A delta older than (or as old as) the last
 * count is already reflected in it (superseded); with a seq, each (lot, gate)
 * applies each seq once, whatever the order; without one, every delivery is
 * applied (at least once).
 */
export function applyGate(record: LotRecord, event: GateEvent): ApplyResult {
  if (record.count && event.ts <= record.count.ts) return done('superseded', record);
  const { outcome, restart } = gateOrder(record.gates.get(event.gate), event);
  if (outcome !== 'applied') return done(outcome, record);

  noteGateSeq(record, event, restart);
  record.gatesApplied = true;
  if (record.foldTs !== null && event.ts <= record.foldTs) {
    record.folded += event.delta;
  } else {
    const id = event.seq === null ? `#${++record.unnumbered}` : String(event.seq);
    record.log.push({ ts: event.ts, member: `${event.gate}|${id}|${event.delta}`, delta: event.delta });
    record.logSum += event.delta;
    if (record.log.length > GATE_LOG_MAX) {
      record.log.sort(byTsThenMember);
      for (const oldest of record.log.splice(0, record.log.length - GATE_LOG_MAX)) {
        record.folded += oldest.delta;
        record.logSum -= oldest.delta;
        record.foldTs = maxOf(record.foldTs, oldest.ts);
      }
    }
  }
  touch(record, event.ts, event.receivedAt);
  settle(record);
  return done(outcome, record);
}

/** Applies one bay sensor's state, ordered per space by (ts, seq). */
export function applySpace(record: LotRecord, event: SpaceEvent): ApplyResult {
  const last = record.bays.get(event.spaceId);
  const outcome = orderAgainst(last ?? { ts: null, seq: null }, event.ts, event.seq);
  if (outcome !== 'applied') return done(outcome, record);
  record.baysOccupied += Number(event.occupied) - Number(last?.occupied ?? false);
  tallyBay(record, event.spaceId, last, event.occupied);
  record.bays.set(event.spaceId, { occupied: event.occupied, ts: event.ts, seq: event.seq });
  touch(record, event.ts, event.receivedAt);
  settle(record);
  return done(outcome, record);
}

/**
 * The operator declared the lot's bays by kind (or changed the declaration):
 * the tallies are counted again from the bays' states, in the same step. A
 * declaration already taken (the same digest) changes nothing.
 */
export function applyBayKinds(record: LotRecord, kindOf: ReadonlyMap<string, BayKind>, digest: string): ApplyResult {
  if (record.bayKindsDigest === digest) return done('duplicate', record);
  record.bayKinds = new Map(kindOf);
  record.bayKindsDigest = digest;
  record.state.kinds = record.bayKinds.size > 0 ? tallyKinds(record.bayKinds, record.bays) : null;
  return done('applied', record);
}

/** A heartbeat keeps the lot fresh without changing its counts (and ends an offline spell, like any sign of life). */
export function applyHeartbeat(record: LotRecord, event: HeartbeatEvent): ApplyResult {
  const { aliveAt, offline } = record.state;
  const newer = aliveAt === null || event.ts > aliveAt;
  const revives = offline && (record.offlineAt === null || event.receivedAt > record.offlineAt);
  if (!newer && !revives) return done(event.ts < aliveAt! ? 'out_of_order' : 'duplicate', record);
  noteLife(record, event.ts, event.receivedAt);
  return done('applied', record);
}

/**
 * A gateway serving the lot went offline (the lot turns stale at once) or came
 * back, as told by a status the service received at `receivedAt`. Gateway
 * statuses carry no usable time (a Last Will is written when the gateway
 * connects), so they apply in the order they arrive (ingest keeps that order).
 */
export function applyLotOffline(record: LotRecord, offline: boolean, receivedAt: number): ApplyResult {
  if (record.state.offline === offline) return done('duplicate', record);
  record.state.offline = offline;
  record.offlineAt = offline ? receivedAt : null;
  return done('applied', record);
}

/**
 * Claims a lot's stale transition, once per sign of life: applied only if
 * nothing was heard from the lot since `aliveAt` and no one claimed it yet,
 * so of several instances noticing it, one announces it.
 */
export function applyStaleMark(record: LotRecord, aliveAt: number): ApplyResult {
  if (record.state.aliveAt !== aliveAt || record.state.staleMarked) return done('duplicate', record);
  record.state.staleMarked = true;
  return done('applied', record);
}

/**
 * An operator changed the lot's capacity in the catalog: the occupancy the
 * sources add up to is clamped into the new range (and flagged), so a lot
 * shrunk under its cars shows full, never "-3 free"; raising the capacity
 * again restores the count the sources report.
 */
export function applyCapacity(record: LotRecord, capacity: number): ApplyResult {
  if (record.state.capacity === capacity) return done('duplicate', record);
  record.state.capacity = capacity;
  settle(record);
  return done('applied', record);
}

/** When the lot was last heard from (sensor time): staleness runs from here. */
export function lastHeardAt(state: LiveState): number | null {
  return state.aliveAt ?? state.ts;
}
