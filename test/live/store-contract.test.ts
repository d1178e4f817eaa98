// One contract, two stores: the embedded store and Redis must behave alike.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { CountEvent, LiveChange } from '../../server/domain/live.ts';
import type { LiveStore } from '../../server/live/store.ts';
import { eventually } from '../helpers/app.ts';
import { storesUnderTest } from './stores.ts';

const T0 = Date.parse('2026-11-28T08:00:00Z');
const count = (lotId: string, partial: Partial<CountEvent>): CountEvent => ({
  lotId, ts: T0, seq: null, occupied: null, free: null, capacity: null, receivedAt: T0, ...partial,
});

for (const target of storesUnderTest) {
  describe(`live store contract: ${target.name}`, function () {
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

    it('applies a first count, derived from free, and reads it back', async () => {
      const result = await store.applyCount(count('a', { free: 15 }), 32);
      assert.equal(result.outcome, 'applied');
      const states = await store.getMany(['a', 'b']);
      assert.deepEqual([...states.keys()], ['a']);
      assert.deepEqual(states.get('a'), { capacity: 32, occupied: 17, ts: T0, seq: null, clamped: false, receivedAt: T0 });
    });

    it('ignores an older event and a duplicate → state unchanged', async () => {
      await store.applyCount(count('a', { occupied: 10, seq: 5 }), 32);
      assert.equal((await store.applyCount(count('a', { occupied: 3, ts: T0 - 1 }), 32)).outcome, 'out_of_order');
      assert.equal((await store.applyCount(count('a', { occupied: 4, seq: 5 }), 32)).outcome, 'duplicate');
      assert.equal((await store.applyCount(count('a', { occupied: 4, seq: 4 }), 32)).outcome, 'out_of_order');
      const result = await store.applyCount(count('a', { occupied: 6, seq: 6 }), 32);
      assert.equal(result.outcome, 'applied');
      assert.equal((await store.getMany(['a'])).get('a')!.occupied, 6);
    });

    it('clamps counts outside 0..capacity and flags them', async () => {
      assert.deepEqual((await store.applyCount(count('a', { occupied: 99 }), 32)).state.occupied, 32);
      const below = await store.applyCount(count('a', { free: 40, ts: T0 + 1 }), 32);
      assert.deepEqual([below.state.occupied, below.state.clamped], [0, true]);
    });

    it('keeps every digit of large ts and seq values', async () => {
      const ts = 8_000_000_000_123;
      const seq = Number.MAX_SAFE_INTEGER - 1;
      await store.applyCount(count('a', { occupied: 1, ts, seq, receivedAt: ts }), 32);
      const state = (await store.getMany(['a'])).get('a')!;
      assert.deepEqual([state.ts, state.seq, state.receivedAt], [ts, seq, ts]);
      assert.equal((await store.applyCount(count('a', { occupied: 2, ts, seq: seq + 1 }), 32)).outcome, 'applied');
    });

    it('announces each applied change on its feed, and nothing for an ignored event', async () => {
      const seen: LiveChange[] = [];
      store.on('change', (changes) => seen.push(...changes));
      const first = once(store, 'change');
      await store.applyCount(count('feed-lot', { occupied: 7 }), 32);
      await first;
      await store.applyCount(count('feed-lot', { occupied: 8 }), 32); // duplicate
      const second = once(store, 'change');
      await store.applyCount(count('feed-lot', { occupied: 9, ts: T0 + 1 }), 32);
      await second;
      assert.deepEqual(seen.map((c) => [c.id, c.occupied]), [['feed-lot', 7], ['feed-lot', 9]]);
    });

    it('applies concurrent events atomically: the newest wins', async () => {
      const events = Array.from({ length: 200 }, (_, i) => count('busy', { occupied: i % 32, ts: T0 + i, seq: i }));
      const shuffled = events.sort(() => Math.random() - 0.5);
      const results = await Promise.all(shuffled.map((e) => store.applyCount(e, 32)));
      assert.ok(results.some((r) => r.outcome === 'applied'));
      const state = (await store.getMany(['busy'])).get('busy')!;
      assert.deepEqual([state.ts, state.occupied], [T0 + 199, 199 % 32]);
    });

    it('forgets a deleted lot', async () => {
      await store.applyCount(count('gone', { occupied: 1 }), 32);
      await store.deleteLot('gone');
      assert.equal((await store.getMany(['gone'])).size, 0);
    });

    it('sets a lower capacity: re-clamps the count, flags it, and announces it on the feed', async () => {
      const seen: LiveChange[] = [];
      store.on('change', (changes) => seen.push(...changes));
      await store.applyCount(count('shrunk', { occupied: 30, seq: 3 }), 32);
      const expected = { capacity: 20, occupied: 20, ts: T0, seq: 3, clamped: true, receivedAt: T0 };
      assert.deepEqual(await store.setCapacity('shrunk', 20), expected);
      assert.deepEqual((await store.getMany(['shrunk'])).get('shrunk'), expected);
      const change = await eventually(() => seen.find((c) => c.capacity === 20), 5000, 'the change on the feed');
      assert.deepEqual(change, { id: 'shrunk', ...expected });
    });

    it('sets a higher capacity: keeps the count, and later counts clamp against it', async () => {
      await store.applyCount(count('grown', { occupied: 10, seq: 3 }), 32);
      assert.deepEqual(await store.setCapacity('grown', 100), { capacity: 100, occupied: 10, ts: T0, seq: 3, clamped: false, receivedAt: T0 });
      const next = await store.applyCount(count('grown', { free: 5, ts: T0 + 1 }), 32);
      assert.deepEqual([next.state.capacity, next.state.occupied], [100, 95]);
    });

    it('sets no capacity for a lot with no live state → null', async () => {
      assert.equal(await store.setCapacity('nothing-yet', 10), null);
      assert.equal((await store.getMany(['nothing-yet'])).size, 0);
    });

    it('reports itself healthy', async () => {
      assert.equal((await store.health()).ok, true);
    });
  });
}
