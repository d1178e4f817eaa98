// setCapacity (an operator changed a lot's capacity), held to one contract in
// the embedded store and Redis, and to the domain rule.
import assert from 'node:assert/strict';
import type { CountEvent, LiveChange } from '../../server/domain/live.ts';
import { withCapacity } from '../../server/domain/live-capacity.ts';
import type { LiveStore } from '../../server/live/store.ts';
import { eventually } from '../helpers/app.ts';
import { storesUnderTest } from './stores.ts';

const T0 = Date.parse('2026-11-28T08:00:00Z');
const count = (lotId: string, partial: Partial<CountEvent>): CountEvent => ({
  lotId, ts: T0, seq: 3, occupied: null, free: null, capacity: null, receivedAt: T0, ...partial,
});

describe('live capacity rule (domain)', () => {
  const state = { capacity: 32, occupied: 30, ts: T0, seq: 1, clamped: false, receivedAt: T0 };
  it('clamps the count into a lowered capacity and flags it', () => {
    assert.deepEqual(withCapacity(state, 20), { ...state, capacity: 20, occupied: 20, clamped: true });
  });
  it('keeps the count and the flag when the capacity rises', () => {
    assert.deepEqual(withCapacity(state, 50), { ...state, capacity: 50 });
  });
  it('keeps a lot with no data without data', () => {
    assert.deepEqual(withCapacity({ ...state, occupied: null, ts: null }, 5), { ...state, occupied: null, ts: null, capacity: 5 });
  });
});

for (const target of storesUnderTest) {
  describe(`live store setCapacity: ${target.name}`, function () {
    let store: LiveStore;
    before(async function () {
      await target.require(this);
    });
    beforeEach(async () => {
      store = await target.create();
    });
    afterEach(async () => {
      await store?.stop();
    });
    after(() => target.cleanup());

    it('re-clamps the count of a shrunk lot, flags it, and announces it on the feed', async () => {
      const seen: LiveChange[] = [];
      store.on('change', (changes) => seen.push(...changes));
      await store.applyCount(count('shrunk', { occupied: 30 }), 32);
      const state = await store.setCapacity('shrunk', 20);
      const expected = { capacity: 20, occupied: 20, ts: T0, seq: 3, clamped: true, receivedAt: T0 };
      assert.deepEqual(state, expected);
      assert.deepEqual((await store.getMany(['shrunk'])).get('shrunk'), expected);
      const change = await eventually(() => seen.find((c) => c.capacity === 20), 5000, 'the change on the feed');
      assert.deepEqual(change, { id: 'shrunk', ...expected });
    });

    it('keeps the count when the capacity rises, and later counts clamp against the new capacity', async () => {
      await store.applyCount(count('grown', { occupied: 10 }), 32);
      assert.deepEqual(await store.setCapacity('grown', 100), { capacity: 100, occupied: 10, ts: T0, seq: 3, clamped: false, receivedAt: T0 });
      const next = await store.applyCount(count('grown', { free: 5, ts: T0 + 1 }), 32);
      assert.deepEqual([next.state.capacity, next.state.occupied], [100, 95]);
    });

    it('does nothing for a lot with no live state → null', async () => {
      assert.equal(await store.setCapacity('nothing-yet', 10), null);
      assert.equal((await store.getMany(['nothing-yet'])).size, 0);
    });
  });
}
