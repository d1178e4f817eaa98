import assert from 'node:assert/strict';
import { applyCount, emptyLiveState, orderAgainst, type CountEvent, type LiveState } from '../../server/domain/live.ts';

const T0 = Date.parse('2026-11-28T08:00:00Z');

function count(partial: Partial<CountEvent>): CountEvent {
  return { lotId: 'lot-a', ts: T0, seq: null, occupied: null, free: null, capacity: null, receivedAt: T0, ...partial };
}

function applied(state: LiveState | null, capacity: number, event: CountEvent): LiveState {
  const result = applyCount(state, capacity, event);
  assert.equal(result.outcome, 'applied');
  return result.state;
}

describe('domain: applying a count', () => {
  it('applies an occupied count to a lot with no data → free = capacity − occupied', () => {
    const result = applyCount(null, 32, count({ occupied: 10 }));
    assert.equal(result.outcome, 'applied');
    assert.deepEqual(result.state, { capacity: 32, occupied: 10, ts: T0, seq: null, clamped: false, receivedAt: T0 });
  });

  it('applies a free count → occupied = capacity − free', () => {
    assert.equal(applied(null, 32, count({ free: 15 })).occupied, 17);
  });

  it('clamps a count above capacity to capacity and flags it', () => {
    const state = applied(null, 32, count({ occupied: 40 }));
    assert.equal(state.occupied, 32);
    assert.equal(state.clamped, true);
  });

  it('clamps a negative count (free above capacity) to 0 and flags it', () => {
    const state = applied(null, 32, count({ free: 35 }));
    assert.equal(state.occupied, 0);
    assert.equal(state.clamped, true);
  });

  it('clears the clamped flag when a later count is in range', () => {
    const first = applied(null, 32, count({ occupied: 40 }));
    assert.equal(applied(first, 32, count({ occupied: 5, ts: T0 + 1 })).clamped, false);
  });

  it('takes a capacity reported by the gateway and clamps against it', () => {
    const state = applied(null, 32, count({ occupied: 30, capacity: 25 }));
    assert.deepEqual([state.capacity, state.occupied, state.clamped], [25, 25, true]);
  });

  it('keeps the state’s capacity over the catalog’s once it has one', () => {
    const first = applied(null, 32, count({ occupied: 1, capacity: 20 }));
    assert.equal(applied(first, 32, count({ free: 5, ts: T0 + 1 })).occupied, 15);
  });

  it('ignores an event older than the last applied one → out_of_order, state unchanged', () => {
    const state = applied(null, 32, count({ occupied: 10, ts: T0 }));
    const result = applyCount(state, 32, count({ occupied: 3, ts: T0 - 1 }));
    assert.equal(result.outcome, 'out_of_order');
    assert.equal(result.state, state);
  });

  it('treats the same ts without seq as a duplicate → state unchanged', () => {
    const state = applied(null, 32, count({ occupied: 10 }));
    const result = applyCount(state, 32, count({ occupied: 11 }));
    assert.equal(result.outcome, 'duplicate');
    assert.equal(result.state.occupied, 10);
  });

  it('treats the same ts and seq as a duplicate', () => {
    const state = applied(null, 32, count({ occupied: 10, seq: 7 }));
    assert.equal(applyCount(state, 32, count({ occupied: 10, seq: 7 })).outcome, 'duplicate');
  });

  it('orders events with the same ts by seq', () => {
    const state = applied(null, 32, count({ occupied: 10, seq: 7 }));
    assert.equal(applyCount(state, 32, count({ occupied: 9, seq: 6 })).outcome, 'out_of_order');
    assert.equal(applied(state, 32, count({ occupied: 12, seq: 8 })).occupied, 12);
  });

  it('lets a newer ts win over a lower seq (the device restarted its counter)', () => {
    const state = applied(null, 32, count({ occupied: 10, seq: 500 }));
    assert.equal(applied(state, 32, count({ occupied: 4, seq: 1, ts: T0 + 1000 })).occupied, 4);
  });

  it('ends at the newest event whatever order the events arrive in', () => {
    const events = [1, 2, 3, 4, 5].map((i) => count({ occupied: i, ts: T0 + i * 1000, seq: i }));
    const orders = [events, [...events].reverse(), [events[2]!, events[0]!, events[4]!, events[1]!, events[3]!]];
    for (const order of orders) {
      let state: LiveState | null = null;
      for (const e of order) state = applyCount(state, 32, e).state;
      assert.equal(state!.occupied, 5);
    }
  });
});

describe('domain: event ordering', () => {
  it('applies anything to a lot with no data', () => {
    assert.equal(orderAgainst(emptyLiveState(1), 0, null), 'applied');
  });
});
