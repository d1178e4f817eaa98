// The rule for a capacity an operator changes (domain/live-capacity.ts); the
// stores are held to it in test/live/store-contract.test.ts.
import assert from 'node:assert/strict';
import { withCapacity } from '../../server/domain/live-capacity.ts';

const T0 = Date.parse('2026-11-28T08:00:00Z');
const state = { capacity: 32, occupied: 30, ts: T0, seq: 1, clamped: false, receivedAt: T0 };

describe('live capacity rule', () => {
  it('clamps the count into a lowered capacity and flags it', () => {
    assert.deepEqual(withCapacity(state, 20), { ...state, capacity: 20, occupied: 20, clamped: true });
  });
  it('keeps the count and the flag when the capacity rises', () => {
    assert.deepEqual(withCapacity(state, 50), { ...state, capacity: 50 });
    assert.deepEqual(withCapacity({ ...state, clamped: true }, 50), { ...state, capacity: 50, clamped: true });
  });
  it('keeps a lot with no data without data', () => {
    assert.deepEqual(withCapacity({ ...state, occupied: null, ts: null }, 5), { ...state, occupied: null, ts: null, capacity: 5 });
  });
});
