import assert from 'node:assert/strict';
import {
  applyCount, applyGate, applyHeartbeat, applyLotOffline, applySpace, applyStaleMark, emptyLiveState, emptyLotRecord,
  GATE_LOG_MAX, GATE_SEQ_WINDOW, orderAgainst,
  type ApplyOutcome, type CountEvent, type GateEvent, type LotRecord, type SpaceEvent,
} from '../../server/domain/live.ts';

const T0 = Date.parse('2026-11-28T08:00:00Z');

function count(partial: Partial<CountEvent>): CountEvent {
  return { lotId: 'lot-a', ts: T0, seq: null, occupied: null, free: null, capacity: null, receivedAt: T0, ...partial };
}
function gate(partial: Partial<GateEvent>): GateEvent {
  return { lotId: 'lot-a', gate: 'north', delta: 1, ts: T0, sensorTs: true, seq: null, receivedAt: T0, ...partial };
}
function space(partial: Partial<SpaceEvent>): SpaceEvent {
  return { lotId: 'lot-a', spaceId: 's1', occupied: true, ts: T0, seq: null, receivedAt: T0, ...partial };
}

/** A fresh lot with the catalog capacity 32, then `events` applied in order; returns the outcomes. */
function lot(capacity = 32): LotRecord {
  return emptyLotRecord(capacity);
}

function outcomes(record: LotRecord, apply: ((r: LotRecord) => { outcome: ApplyOutcome })[]): ApplyOutcome[] {
  return apply.map((f) => f(record).outcome);
}

describe('domain: applying a count', () => {
  it('applies an occupied count to a lot with no data → free = capacity − occupied', () => {
    const result = applyCount(lot(), count({ occupied: 10 }));
    assert.equal(result.outcome, 'applied');
    assert.deepEqual(result.state, {
      capacity: 32, occupied: 10, ts: T0, seq: null, clamped: false, receivedAt: T0,
      aliveAt: T0, offline: false, source: 'count', staleMarked: false, kinds: null,
    });
  });

  it('applies a free count → occupied = capacity − free', () => {
    assert.equal(applyCount(lot(), count({ free: 15 })).state.occupied, 17);
  });

  it('clamps a count above capacity to capacity and flags it', () => {
    const { state } = applyCount(lot(), count({ occupied: 40 }));
    assert.deepEqual([state.occupied, state.clamped], [32, true]);
  });

  it('clamps a negative count (free above capacity) to 0 and flags it', () => {
    const { state } = applyCount(lot(), count({ free: 35 }));
    assert.deepEqual([state.occupied, state.clamped], [0, true]);
  });

  it('clears the clamped flag when a later count is in range', () => {
    const r = lot();
    applyCount(r, count({ occupied: 40 }));
    assert.equal(applyCount(r, count({ occupied: 5, ts: T0 + 1 })).state.clamped, false);
  });

  it('takes a capacity reported by the gateway and clamps against it', () => {
    const { state } = applyCount(lot(), count({ occupied: 30, capacity: 25 }));
    assert.deepEqual([state.capacity, state.occupied, state.clamped], [25, 25, true]);
  });

  it('keeps the state’s capacity over the catalog’s once it has one', () => {
    const r = lot();
    applyCount(r, count({ occupied: 1, capacity: 20 }));
    assert.equal(applyCount(r, count({ free: 5, ts: T0 + 1 })).state.occupied, 15);
  });

  it('ignores an event older than the last applied one → out_of_order, record unchanged', () => {
    const r = lot();
    applyCount(r, count({ occupied: 10, ts: T0 }));
    const before = structuredClone(r);
    const result = applyCount(r, count({ occupied: 3, ts: T0 - 1 }));
    assert.equal(result.outcome, 'out_of_order');
    assert.deepEqual(r, before);
  });

  it('treats the same ts without seq as a duplicate → state unchanged', () => {
    const r = lot();
    applyCount(r, count({ occupied: 10 }));
    const result = applyCount(r, count({ occupied: 11 }));
    assert.deepEqual([result.outcome, result.state.occupied], ['duplicate', 10]);
  });

  it('orders events with the same ts by seq, and the same seq is a duplicate', () => {
    const r = lot();
    applyCount(r, count({ occupied: 10, seq: 7 }));
    assert.deepEqual(outcomes(r, [
      (x) => applyCount(x, count({ occupied: 10, seq: 7 })),
      (x) => applyCount(x, count({ occupied: 9, seq: 6 })),
      (x) => applyCount(x, count({ occupied: 12, seq: 8 })),
    ]), ['duplicate', 'out_of_order', 'applied']);
    assert.equal(r.state.occupied, 12);
  });

  it('lets a newer ts win over a lower seq (the device restarted its counter)', () => {
    const r = lot();
    applyCount(r, count({ occupied: 10, seq: 500 }));
    assert.equal(applyCount(r, count({ occupied: 4, seq: 1, ts: T0 + 1000 })).state.occupied, 4);
  });

  it('ends at the newest event whatever order the events arrive in', () => {
    const events = [1, 2, 3, 4, 5].map((i) => count({ occupied: i, ts: T0 + i * 1000, seq: i }));
    for (const order of [events, [...events].reverse(), [events[2]!, events[0]!, events[4]!, events[1]!, events[3]!]]) {
      const r = lot();
      for (const e of order) applyCount(r, e);
      assert.equal(r.state.occupied, 5);
    }
  });
});

describe('domain: gate events', () => {
  it('counts entries and exits from an empty lot when there is no count', () => {
    const r = lot();
    applyGate(r, gate({ delta: 3, seq: 1 }));
    const { state } = applyGate(r, gate({ delta: -1, seq: 2, ts: T0 + 1 }));
    assert.deepEqual([state.occupied, state.source, state.ts], [2, 'gates', T0 + 1]);
  });

  it('adds deltas newer than the last count to it', () => {
    const r = lot();
    applyCount(r, count({ occupied: 10 }));
    applyGate(r, gate({ delta: 1, seq: 1, ts: T0 + 1 }));
    assert.deepEqual([r.state.occupied, r.state.source], [11, 'count']);
  });

  it('ignores a delta as old as the last count or older → superseded (the count already reflects it)', () => {
    const r = lot();
    applyCount(r, count({ occupied: 10, ts: T0 + 5 }));
    assert.deepEqual(outcomes(r, [
      (x) => applyGate(x, gate({ ts: T0 + 5, seq: 1 })),
      (x) => applyGate(x, gate({ ts: T0 + 4, seq: 2 })),
    ]), ['superseded', 'superseded']);
    assert.equal(r.state.occupied, 10);
  });

  it('places a late count exactly: deltas newer than it stay applied on top', () => {
    const r = lot();
    applyGate(r, gate({ delta: 1, seq: 1, ts: T0 + 1 }));
    applyGate(r, gate({ delta: 1, seq: 2, ts: T0 + 3 }));
    // The count at T0+2 already reflects the first entry, not the second.
    applyCount(r, count({ occupied: 20, ts: T0 + 2 }));
    assert.equal(r.state.occupied, 21);
  });

  it('applies each seq of a gate once, whatever the order → duplicates recognised exactly', () => {
    const r = lot();
    const seqs = [5, 3, 4, 5, 1, 3, 2, 2];
    const got = seqs.map((seq) => applyGate(r, gate({ seq, ts: T0 + seq })).outcome);
    assert.deepEqual(got, ['applied', 'applied', 'applied', 'duplicate', 'applied', 'duplicate', 'applied', 'duplicate']);
    assert.equal(r.state.occupied, 5);
  });

  it('keeps seqs per gate: the same seq at another gate is another vehicle', () => {
    const r = lot();
    applyGate(r, gate({ gate: 'north', seq: 1 }));
    assert.equal(applyGate(r, gate({ gate: 'south', seq: 1 })).outcome, 'applied');
    assert.equal(r.state.occupied, 2);
  });

  it('ignores a seq further back than the window → out_of_order', () => {
    const r = lot(100_000);
    applyGate(r, gate({ seq: GATE_SEQ_WINDOW + 10, ts: T0 + 10 }));
    assert.equal(applyGate(r, gate({ seq: 10, ts: T0 })).outcome, 'out_of_order');
    assert.equal(applyGate(r, gate({ seq: 11, ts: T0 })).outcome, 'applied');
  });

  it('recognises a counter restart (lower seq, newer sensor ts) and ignores stragglers from before it', () => {
    const r = lot();
    for (let seq = 1; seq <= 5; seq++) applyGate(r, gate({ seq, ts: T0 + seq }));
    assert.equal(applyGate(r, gate({ seq: 1, ts: T0 + 100 })).outcome, 'applied', 'restarted at 1');
    assert.equal(applyGate(r, gate({ seq: 1, ts: T0 + 100 })).outcome, 'duplicate');
    assert.equal(applyGate(r, gate({ seq: 2, ts: T0 + 101 })).outcome, 'applied');
    assert.equal(applyGate(r, gate({ seq: 4, ts: T0 + 4 })).outcome, 'out_of_order', 'from the run before the restart');
    assert.equal(r.state.occupied, 7);
  });

  it('takes the newest seq sent again with a later ts for a duplicate, not a restart', () => {
    const r = lot();
    applyGate(r, gate({ seq: 1, ts: T0 }));
    applyGate(r, gate({ seq: 2, ts: T0 + 1 }));
    assert.equal(applyGate(r, gate({ seq: 2, ts: T0 + 5000 })).outcome, 'duplicate');
    assert.equal(r.state.occupied, 2);
  });

  it('never takes a redelivery without a sensor ts for a restart (its ts is the time of receipt)', () => {
    const r = lot();
    applyGate(r, gate({ seq: 2, ts: T0, sensorTs: false }));
    applyGate(r, gate({ seq: 3, ts: T0, sensorTs: false }));
    assert.equal(applyGate(r, gate({ seq: 2, ts: T0 + 60_000, sensorTs: false })).outcome, 'duplicate');
    assert.equal(r.state.occupied, 2);
  });

  it('applies every delivery of a delta without seq (at least once)', () => {
    const r = lot();
    applyGate(r, gate({}));
    assert.equal(applyGate(r, gate({})).outcome, 'applied');
    assert.equal(r.state.occupied, 2);
  });

  it('keeps the sum of deltas unclamped, and clamps and flags what it shows', () => {
    const r = lot(2);
    for (let seq = 1; seq <= 4; seq++) applyGate(r, gate({ seq, ts: T0 + seq }));
    assert.deepEqual([r.state.occupied, r.state.clamped], [2, true]);
    applyGate(r, gate({ seq: 5, ts: T0 + 5, delta: -1 }));
    assert.deepEqual([r.state.occupied, r.state.clamped], [2, true], '4 − 1 = 3, still above 2');
    applyGate(r, gate({ seq: 6, ts: T0 + 6, delta: -2 }));
    assert.deepEqual([r.state.occupied, r.state.clamped], [1, false]);
  });

  it('folds the oldest deltas when the log is full; a count older than the fold is then out_of_order', () => {
    const r = lot(100_000);
    for (let seq = 1; seq <= GATE_LOG_MAX + 3; seq++) applyGate(r, gate({ seq, ts: T0 + seq }));
    assert.equal(r.log.length, GATE_LOG_MAX);
    assert.equal(r.foldTs, T0 + 3);
    assert.equal(r.state.occupied, GATE_LOG_MAX + 3);
    assert.equal(applyCount(r, count({ occupied: 0, ts: T0 + 2 })).outcome, 'out_of_order');
    assert.equal(applyCount(r, count({ occupied: 0, ts: T0 + 3 })).state.occupied, GATE_LOG_MAX);
  });
});

describe('domain: bay sensors and precedence', () => {
  it('takes occupancy from the bays that cover the lot, ordered per space by (ts, seq)', () => {
    const r = lot(2);
    applySpace(r, space({ spaceId: 'a', occupied: true }));
    applySpace(r, space({ spaceId: 'b', occupied: true }));
    applySpace(r, space({ spaceId: 'a', occupied: false, ts: T0 + 1 }));
    assert.equal(applySpace(r, space({ spaceId: 'a', occupied: true, ts: T0 - 1 })).outcome, 'out_of_order');
    assert.equal(applySpace(r, space({ spaceId: 'b', occupied: false })).outcome, 'duplicate');
    assert.deepEqual([r.state.occupied, r.state.source], [1, 'bays']);
  });

  it('prefers bays that cover the lot over counts and gates, whatever arrives', () => {
    const r = lot(2);
    applyCount(r, count({ occupied: 2 }));
    applySpace(r, space({ spaceId: 'a', ts: T0 + 1 }));
    applySpace(r, space({ spaceId: 'b', ts: T0 + 1, occupied: false }));
    applyCount(r, count({ occupied: 0, ts: T0 + 2 }));
    applyGate(r, gate({ seq: 1, ts: T0 + 3 }));
    assert.deepEqual([r.state.occupied, r.state.source, r.state.ts], [1, 'bays', T0 + 3]);
  });

  it('keeps counts and gates over bays that cover only part of the lot (its EV bays, say)', () => {
    const r = lot();
    applyCount(r, count({ occupied: 20 }));
    applySpace(r, space({ spaceId: 'a', ts: T0 + 1 }));
    applyGate(r, gate({ seq: 1, ts: T0 + 3 }));
    assert.deepEqual([r.state.occupied, r.state.source], [21, 'count']);
  });

  it('does not know the total of a lot counted by nothing but bays that do not cover it', () => {
    const r = lot(10);
    const { state } = applySpace(r, space({ spaceId: 'a' }));
    assert.deepEqual([state.occupied, state.source, state.ts], [null, 'bays', T0]);
  });

  it('clamps bays above the capacity and flags it', () => {
    const r = lot(1);
    applySpace(r, space({ spaceId: 'a' }));
    const { state } = applySpace(r, space({ spaceId: 'b' }));
    assert.deepEqual([state.occupied, state.clamped], [1, true]);
  });
});

describe('domain: heartbeats, gateways offline, stale marks', () => {
  it('keeps a lot alive with a heartbeat without changing its counts', () => {
    const r = lot();
    applyCount(r, count({ occupied: 10 }));
    const result = applyHeartbeat(r, { lotId: 'lot-a', ts: T0 + 60_000, receivedAt: T0 + 60_000 });
    assert.equal(result.outcome, 'applied');
    assert.deepEqual([result.state.occupied, result.state.ts, result.state.aliveAt], [10, T0, T0 + 60_000]);
    assert.equal(applyHeartbeat(r, { lotId: 'lot-a', ts: T0, receivedAt: T0 }).outcome, 'out_of_order');
  });

  it('marks a lot offline, and any applied event or heartbeat received after that brings it back', () => {
    const r = lot();
    applyCount(r, count({ occupied: 10 }));
    assert.equal(applyLotOffline(r, true, T0 + 10).outcome, 'applied');
    assert.equal(applyLotOffline(r, true, T0 + 11).outcome, 'duplicate');
    assert.equal(applyHeartbeat(r, { lotId: 'lot-a', ts: T0, receivedAt: T0 + 20 }).outcome, 'applied', 'same ts, but clears offline');
    assert.equal(r.state.offline, false);
    applyLotOffline(r, true, T0 + 30);
    applyCount(r, count({ occupied: 11, ts: T0 + 1, receivedAt: T0 + 31 }));
    assert.equal(r.state.offline, false);
    assert.equal(applyLotOffline(r, false, T0 + 40).outcome, 'duplicate', 'already back');
  });

  it('keeps a lot offline when an event received before the offline status is applied after it', () => {
    const r = lot();
    applyLotOffline(r, true, T0 + 10);
    assert.equal(applyCount(r, count({ occupied: 3, ts: T0, receivedAt: T0 + 9 })).outcome, 'applied');
    assert.equal(applyHeartbeat(r, { lotId: 'lot-a', ts: T0, receivedAt: T0 + 5 }).outcome, 'duplicate');
    assert.deepEqual([r.state.offline, r.state.occupied], [true, 3]);
    assert.equal(applyLotOffline(r, false, T0 + 12).outcome, 'applied', 'the online status brings it back');
  });

  it('claims a stale transition once per sign of life', () => {
    const r = lot();
    applyCount(r, count({ occupied: 10 }));
    assert.equal(applyStaleMark(r, T0 - 1).outcome, 'duplicate', 'heard from since');
    assert.equal(applyStaleMark(r, T0).outcome, 'applied');
    assert.equal(applyStaleMark(r, T0).outcome, 'duplicate', 'already claimed');
    applyHeartbeat(r, { lotId: 'lot-a', ts: T0 + 1, receivedAt: T0 + 1 });
    assert.equal(r.state.staleMarked, false);
    assert.equal(applyStaleMark(r, T0 + 1).outcome, 'applied');
  });
});

describe('domain: event ordering', () => {
  it('applies anything to a lot with no data', () => {
    assert.equal(orderAgainst(emptyLiveState(1), 0, null), 'applied');
  });
});
