// The rule for a capacity an operator changes (applyCapacity in
// domain/live.ts); the stores are held to it in test/live/store-contract.test.ts.
import assert from 'node:assert/strict';
import { applyCapacity, applyCount, applyGate, emptyLotRecord, type CountEvent } from '../../server/domain/live.ts';

const T0 = Date.parse('2026-11-28T08:00:00Z');
const count = (occupied: number): CountEvent => ({ lotId: 'a', ts: T0, seq: 1, occupied, free: null, capacity: null, receivedAt: T0 });

describe('domain: the live capacity rule', () => {
  it('clamps the count into a lowered capacity and flags it', () => {
    const record = emptyLotRecord(32);
    applyCount(record, count(30));
    const result = applyCapacity(record, 20);
    assert.deepEqual([result.outcome, result.state.capacity, result.state.occupied, result.state.clamped], ['applied', 20, 20, true]);
  });

  it('restores what the sources report when the capacity rises again', () => {
    const record = emptyLotRecord(32);
    applyCount(record, count(30));
    applyCapacity(record, 20);
    const result = applyCapacity(record, 50);
    assert.deepEqual([result.state.capacity, result.state.occupied, result.state.clamped], [50, 30, false]);
  });

  it('clamps gate-fed occupancy the same way', () => {
    const record = emptyLotRecord(10);
    for (let seq = 1; seq <= 8; seq++) applyGate(record, { lotId: 'a', gate: 'n', delta: 1, ts: T0 + seq, sensorTs: true, seq, receivedAt: T0 });
    assert.equal(applyCapacity(record, 5).state.occupied, 5);
  });

  it('is a duplicate when the capacity does not change', () => {
    const record = emptyLotRecord(32);
    assert.equal(applyCapacity(record, 32).outcome, 'duplicate');
  });

  it('keeps a lot with no data without data', () => {
    const record = emptyLotRecord(32);
    const result = applyCapacity(record, 5);
    assert.deepEqual([result.state.capacity, result.state.occupied], [5, null]);
  });
});
