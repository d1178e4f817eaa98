// The history log (DESIGN.md §7): both stores append one numbered record per
// applied change in the same step, none for an ignored event, and let the
// recorder trim what it took; a lease goes to one holder at a time.
import assert from 'node:assert/strict';
import type { CountEvent } from '../../server/domain/live.ts';
import type { LiveStore } from '../../server/live/store.ts';
import { storesUnderTest } from './stores.ts';

const T0 = Date.parse('2026-11-28T08:00:00Z');
const count = (lotId: string, partial: Partial<CountEvent>): CountEvent => ({
  lotId, ts: T0, seq: null, occupied: null, free: null, capacity: null, receivedAt: T0, ...partial,
});

for (const target of storesUnderTest) {
  describe(`live store history log: ${target.name}`, function () {
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

    it('appends a record per applied change, numbered in order, with the state committed and the time it happened', async () => {
      await store.applyCount(count('h', { occupied: 5, ts: T0 }), 20);
      await store.applyCount(count('h', { occupied: 5, ts: T0 }), 20); // a duplicate: no record
      await store.applyCount(count('h', { occupied: 3, ts: T0 - 1000 }), 20); // out of order: no record
      await store.applyHeartbeat({ lotId: 'h', ts: T0 + 1000, receivedAt: T0 + 1000 }, 20);
      await store.setLotOffline('h', true, T0 + 5000, 20);
      await store.setCapacity('h', 30, T0 + 6000);
      await store.noteStatus('h', false, T0 + 7000);
      const records = await store.readHistory('h', 100);
      assert.deepEqual(records.map((r) => [r.kind, r.at, r.kind === 'change' ? r.sensorTime : r.open]), [
        ['change', T0, true], ['change', T0 + 1000, true], ['change', T0 + 5000, false], ['change', T0 + 6000, false], ['status', T0 + 7000, false],
      ]);
      const numbers = records.map((r) => r.n);
      assert.deepEqual(numbers.map((n) => n - numbers[0]!), [0, 1, 2, 3, 4], 'consecutive');
      const first = records[0]!;
      assert.ok(first.kind === 'change' && first.live.occupied === 5 && first.live.capacity === 20);
      const last = records[3]!;
      assert.ok(last.kind === 'change' && last.live.capacity === 30 && last.live.offline === true);
    });

    it('trims the records the recorder took, and numbers on after them', async () => {
      for (let i = 0; i < 4; i++) await store.applyCount(count('t', { occupied: i, ts: T0 + i }), 20);
      const records = await store.readHistory('t', 2);
      assert.equal(records.length, 2);
      await store.trimHistory('t', records[1]!.n);
      await store.trimHistory('t', records[1]!.n); // again: nothing more goes
      const rest = await store.readHistory('t', 10);
      assert.deepEqual(rest.map((r) => r.n), [records[1]!.n + 1, records[1]!.n + 2]);
      await store.applyCount(count('t', { occupied: 9, ts: T0 + 10 }), 20);
      assert.equal((await store.readHistory('t', 10)).at(-1)!.n, records[1]!.n + 3);
    });

    it('has no log for a lot without live state, and forgets the log with the lot', async () => {
      await store.noteStatus('none', true, T0);
      assert.deepEqual(await store.readHistory('none', 10), []);
      await store.applyCount(count('gone', { occupied: 1 }), 20);
      await store.deleteLot('gone');
      assert.deepEqual(await store.readHistory('gone', 10), []);
    });

    it('gives a lease to one holder at a time, and lets its holder renew it', async () => {
      assert.equal(await store.holdLease('job', 'a', 60_000), true);
      assert.equal(await store.holdLease('job', 'b', 60_000), false);
      assert.equal(await store.holdLease('job', 'a', 60_000), true);
      await store.releaseLease('job', 'b'); // not b's to give back
      assert.equal(await store.holdLease('job', 'b', 60_000), false);
      await store.releaseLease('job', 'a');
      assert.equal(await store.holdLease('job', 'b', 60_000), true);
    });
  });
}
