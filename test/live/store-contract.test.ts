// One contract, two stores: the embedded store and Redis must behave alike,
// for every event kind.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import {
  GATE_LOG_MAX, GATE_SEQ_WINDOW,
  type CountEvent, type GateEvent, type HeartbeatEvent, type LiveChange, type SpaceEvent,
} from '../../server/domain/live.ts';
import { LiveStoreRefusal, type LiveStore } from '../../server/live/store.ts';
import { eventually } from '../helpers/app.ts';
import { storesUnderTest } from './stores.ts';

const T0 = Date.parse('2026-11-28T08:00:00Z');
const count = (lotId: string, partial: Partial<CountEvent>): CountEvent => ({
  lotId, ts: T0, seq: null, occupied: null, free: null, capacity: null, receivedAt: T0, ...partial,
});
const gate = (lotId: string, partial: Partial<GateEvent>): GateEvent => ({
  lotId, gate: 'north', delta: 1, ts: T0, sensorTs: true, seq: null, receivedAt: T0, ...partial,
});
const space = (lotId: string, partial: Partial<SpaceEvent>): SpaceEvent => ({
  lotId, spaceId: 's1', occupied: true, ts: T0, seq: null, receivedAt: T0, ...partial,
});
const heartbeat = (lotId: string, ts: number): HeartbeatEvent => ({ lotId, ts, receivedAt: ts });

/** Resolves with the first change on the store's feed that matches (Redis delivers the feed asynchronously). */
function changeMatching(store: LiveStore, matches: (change: LiveChange) => boolean): Promise<LiveChange> {
  return new Promise((resolve) => {
    const listener = (changes: LiveChange[]) => {
      const found = changes.find(matches);
      if (!found) return;
      store.off('change', listener);
      resolve(found);
    };
    store.on('change', listener);
  });
}

/** The fields of `actual` that `expected` names (the live state has more, e.g. aliveAt). */
function pick(actual: object | null | undefined, expected: object): Record<string, unknown> | null | undefined {
  if (!actual) return actual as null | undefined;
  return Object.fromEntries(Object.keys(expected).map((k) => [k, (actual as Record<string, unknown>)[k]]));
}

for (const target of storesUnderTest) {
  describe(`live store contract: ${target.name}`, function () {
    let store: LiveStore;
    const occupied = async (id: string) => (await store.getMany([id])).get(id)?.occupied;
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
      assert.deepEqual(states.get('a'), {
        capacity: 32, occupied: 17, ts: T0, seq: null, clamped: false, receivedAt: T0,
        aliveAt: T0, offline: false, source: 'count', staleMarked: false, kinds: null,
      });
      assert.deepEqual(result.state, states.get('a'));
    });

    it('ignores an older event and a duplicate → state unchanged', async () => {
      await store.applyCount(count('a', { occupied: 10, seq: 5 }), 32);
      assert.equal((await store.applyCount(count('a', { occupied: 3, ts: T0 - 1 }), 32)).outcome, 'out_of_order');
      assert.equal((await store.applyCount(count('a', { occupied: 4, seq: 5 }), 32)).outcome, 'duplicate');
      assert.equal((await store.applyCount(count('a', { occupied: 4, seq: 4 }), 32)).outcome, 'out_of_order');
      const result = await store.applyCount(count('a', { occupied: 6, seq: 6 }), 32);
      assert.equal(result.outcome, 'applied');
      assert.equal(await occupied('a'), 6);
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
      assert.deepEqual([state.ts, state.seq, state.receivedAt, state.aliveAt], [ts, seq, ts, ts]);
      assert.equal((await store.applyCount(count('a', { occupied: 2, ts, seq: seq + 1 }), 32)).outcome, 'applied');
      await store.applyGate(gate('g', { seq, ts }), 32);
      assert.equal((await store.applyGate(gate('g', { seq, ts }), 32)).outcome, 'duplicate');
      assert.equal((await store.applyGate(gate('g', { seq: seq + 1, ts }), 32)).outcome, 'applied');
    });

    it('applies gate deltas once per (gate, seq) in any order; superseded by an older-or-equal count', async () => {
      const outcomes = [];
      for (const seq of [3, 1, 2, 3, 1]) outcomes.push((await store.applyGate(gate('g', { seq, ts: T0 + seq }), 32)).outcome);
      assert.deepEqual(outcomes, ['applied', 'applied', 'applied', 'duplicate', 'duplicate']);
      assert.equal((await store.applyGate(gate('g', { gate: 'south', seq: 1, ts: T0 + 1, delta: -1 }), 32)).outcome, 'applied');
      assert.equal(await occupied('g'), 2);
      // A count at T0+2 reflects the deltas up to T0+2; the one at T0+3 stays on top.
      assert.equal((await store.applyCount(count('g', { occupied: 10, ts: T0 + 2 }), 32)).state.occupied, 11);
      assert.equal((await store.applyGate(gate('g', { gate: 'west', seq: 1, ts: T0 + 2 }), 32)).outcome, 'superseded');
      assert.equal(await occupied('g'), 11);
    });

    it('slides the seq window, and recognises a counter restart', async () => {
      await store.applyGate(gate('w', { seq: 1, ts: T0 }), 100_000);
      await store.applyGate(gate('w', { seq: 3, ts: T0 + 3 }), 100_000);
      assert.equal((await store.applyGate(gate('w', { seq: 2, ts: T0 + 2 }), 100_000)).outcome, 'applied');
      await store.applyGate(gate('w', { seq: GATE_SEQ_WINDOW + 2, ts: T0 + 10 }), 100_000);
      assert.equal((await store.applyGate(gate('w', { seq: 2, ts: T0 + 2 }), 100_000)).outcome, 'out_of_order');
      assert.equal((await store.applyGate(gate('w', { seq: 3, ts: T0 + 3 }), 100_000)).outcome, 'duplicate');
      assert.equal((await store.applyGate(gate('w', { seq: 5, ts: T0 + 5 }), 100_000)).outcome, 'applied');
      assert.equal((await store.applyGate(gate('w', { seq: 1, ts: T0 + 20 }), 100_000)).outcome, 'applied', 'restart');
      assert.equal((await store.applyGate(gate('w', { seq: 1, ts: T0 + 20 }), 100_000)).outcome, 'duplicate');
      assert.equal((await store.applyGate(gate('w', { seq: 6, ts: T0 + 6 }), 100_000)).outcome, 'out_of_order', 'before the restart');
      assert.equal(await occupied('w'), 6);
    });

    it('applies every delivery of a gate delta without seq (at least once)', async () => {
      await store.applyGate(gate('n', {}), 32);
      assert.equal((await store.applyGate(gate('n', {}), 32)).outcome, 'applied');
      assert.equal(await occupied('n'), 2);
    });

    it('folds the gate log beyond its bound exactly as the domain does', async () => {
      for (let seq = 1; seq <= GATE_LOG_MAX + 5; seq++) await store.applyGate(gate('f', { seq, ts: T0 + seq, delta: seq % 3 === 0 ? -1 : 1 }), 100_000);
      const before = await occupied('f');
      assert.equal((await store.applyCount(count('f', { occupied: 0, ts: T0 + 4 }), 100_000)).outcome, 'out_of_order');
      const at = await store.applyCount(count('f', { occupied: 1000, ts: T0 + 5 }), 100_000);
      const newer = Array.from({ length: GATE_LOG_MAX }, (_, i) => i + 6).reduce((sum, seq) => sum + (seq % 3 === 0 ? -1 : 1), 0);
      assert.ok(before! > 0);
      assert.deepEqual([at.outcome, at.state.occupied], ['applied', 1000 + newer]);
    });

    it('takes occupancy from bay sensors, ordered per space, over counts and gates, when they cover the lot', async () => {
      await store.applyCount(count('b', { occupied: 20, capacity: 2 }), 32);
      await store.applySpace(space('b', { spaceId: 'x', ts: T0 + 1 }), 32);
      await store.applySpace(space('b', { spaceId: 'y', ts: T0 + 1, seq: 4 }), 32);
      assert.equal((await store.applySpace(space('b', { spaceId: 'y', ts: T0 + 1, seq: 4, occupied: false }), 32)).outcome, 'duplicate');
      assert.equal((await store.applySpace(space('b', { spaceId: 'x', ts: T0, occupied: false }), 32)).outcome, 'out_of_order');
      const result = await store.applySpace(space('b', { spaceId: 'x', ts: T0 + 2, occupied: false }), 32);
      assert.deepEqual([result.state.occupied, result.state.source], [1, 'bays']);
      await store.applyGate(gate('b', { seq: 1, ts: T0 + 3 }), 32);
      assert.equal(await occupied('b'), 1);
      // Each bay's last applied state, for the bay-level feeds (NGSI-LD ParkingSpot).
      assert.deepEqual(Object.fromEntries(await store.getBays('b')), {
        x: { occupied: false, ts: T0 + 2, seq: null },
        y: { occupied: true, ts: T0 + 1, seq: 4 },
      });
      assert.equal((await store.getBays('no-bays')).size, 0);
    });

    it("keeps the count's total where bay sensors cover part of the lot; with bays alone, its total is known once they cover it", async () => {
      await store.applyCount(count('part', { occupied: 20 }), 32);
      const bay = await store.applySpace(space('part', { spaceId: 'ev1', ts: T0 + 1 }), 32);
      assert.deepEqual([bay.state.occupied, bay.state.source], [20, 'count']);
      const entry = await store.applyGate(gate('part', { seq: 1, ts: T0 + 2 }), 32);
      assert.deepEqual([entry.state.occupied, entry.state.source], [21, 'count']);
      assert.equal((await store.getBays('part')).get('ev1')?.occupied, true);
      // Bays alone that do not cover the lot: its total is not known (not its free bays among 32).
      const alone = await store.applySpace(space('bays-only', { spaceId: 'a', ts: T0 }), 32);
      assert.deepEqual([alone.state.occupied, alone.state.source], [null, 'bays']);
      // Its capacity lowered to the bays heard from: now they cover it.
      const covered = await store.setCapacity('bays-only', 1, T0);
      assert.deepEqual([covered?.occupied, covered?.source], [1, 'bays']);
    });

    it('keeps a lot alive with heartbeats, without changing its counts', async () => {
      await store.applyCount(count('h', { occupied: 5 }), 32);
      const result = await store.applyHeartbeat(heartbeat('h', T0 + 1000), 32);
      assert.equal(result.outcome, 'applied');
      assert.deepEqual([result.state.occupied, result.state.ts, result.state.aliveAt], [5, T0, T0 + 1000]);
      assert.equal((await store.applyHeartbeat(heartbeat('h', T0 + 1000), 32)).outcome, 'duplicate');
      assert.equal((await store.applyHeartbeat(heartbeat('h', T0), 32)).outcome, 'out_of_order');
      const fresh = await store.applyHeartbeat(heartbeat('only-heartbeats', T0), 32);
      assert.deepEqual([fresh.state.occupied, fresh.state.aliveAt, fresh.state.source], [null, T0, null]);
    });

    it('turns a lot offline and back, announcing each change; only what was received after the offline brings it back', async () => {
      await store.applyCount(count('o', { occupied: 5 }), 32);
      const announced = changeMatching(store, (c) => c.id === 'o' && c.offline === true);
      assert.equal((await store.setLotOffline('o', true, T0 + 10, 32)).outcome, 'applied');
      await announced;
      assert.equal((await store.setLotOffline('o', true, T0 + 11, 32)).outcome, 'duplicate');
      assert.equal((await store.getMany(['o'])).get('o')!.offline, true);
      assert.equal((await store.setLotOffline('never-seen', false, T0, 32)).outcome, 'duplicate');
      assert.equal((await store.getMany(['never-seen'])).size, 0);
      await store.applyCount(count('o', { occupied: 6, ts: T0 + 1, receivedAt: T0 + 9 }), 32);
      assert.equal((await store.applyHeartbeat({ lotId: 'o', ts: T0 + 1, receivedAt: T0 + 10 }, 32)).outcome, 'duplicate');
      assert.equal((await store.getMany(['o'])).get('o')!.offline, true, 'received before the offline status');
      assert.equal((await store.applyHeartbeat({ lotId: 'o', ts: T0 + 1, receivedAt: T0 + 12 }, 32)).outcome, 'applied');
      assert.equal((await store.getMany(['o'])).get('o')!.offline, false);
      await store.setLotOffline('o', true, T0 + 20, 32);
      assert.equal((await store.setLotOffline('o', false, T0 + 21, 32)).state.offline, false);
    });

    it('lets one caller claim a stale transition per sign of life, and announces it', async () => {
      await store.applyCount(count('s', { occupied: 5 }), 32);
      assert.equal(await store.markStale('nothing-here', T0), false);
      assert.equal(await store.markStale('s', T0 - 1), false);
      const announced = changeMatching(store, (c) => c.id === 's' && c.staleMarked === true);
      const claims = await Promise.all([store.markStale('s', T0), store.markStale('s', T0), store.markStale('s', T0)]);
      assert.deepEqual(claims.filter(Boolean).length, 1);
      await announced;
      await store.applyHeartbeat(heartbeat('s', T0 + 1), 32);
      assert.equal(await store.markStale('s', T0 + 1), true);
    });

    it('remembers the lots a gateway publishes for, and how many gateways are online', async () => {
      await store.addGatewayLot('gw-1', 'b');
      await store.addGatewayLot('gw-1', 'a');
      await store.addGatewayLot('gw-1', 'a');
      assert.deepEqual(await store.gatewayLots('gw-1'), ['a', 'b']);
      assert.deepEqual(await store.gatewayLots('gw-2'), []);
      await store.setGatewayStatus('gw-1', true);
      await store.setGatewayStatus('gw-2', true);
      await store.setGatewayStatus('gw-2', false);
      assert.equal(await store.gatewaysOnline(), 1);
    });

    it("forgets a deleted lot's learned gateways: the lot is no longer the gateway's, its other lots still are", async () => {
      await store.addGatewayLot('gw-old', 'reused');
      await store.addGatewayLot('gw-old', 'kept');
      await store.addGatewayLot('gw-other', 'reused');
      await store.deleteLot('reused');
      assert.deepEqual(await store.gatewayLots('gw-old'), ['kept']);
      assert.deepEqual(await store.gatewayLots('gw-other'), []);
      // Learned again after the deletion (a new owner's gateway), it counts again.
      await store.addGatewayLot('gw-new', 'reused');
      assert.deepEqual(await store.gatewayLots('gw-new'), ['reused']);
      assert.deepEqual(await store.gatewayLots('gw-old'), ['kept']);
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

    it('applies concurrent events atomically: the newest count wins, every gate seq counts once', async () => {
      const events = Array.from({ length: 200 }, (_, i) => count('busy', { occupied: i % 32, ts: T0 + i, seq: i }));
      const shuffled = events.sort(() => Math.random() - 0.5);
      const results = await Promise.all(shuffled.map((e) => store.applyCount(e, 32)));
      assert.ok(results.some((r) => r.outcome === 'applied'));
      const state = (await store.getMany(['busy'])).get('busy')!;
      assert.deepEqual([state.ts, state.occupied], [T0 + 199, 199 % 32]);

      const gates = Array.from({ length: 300 }, (_, i) => gate('gates', { seq: i % 150, ts: T0 + (i % 150) }));
      await Promise.all(gates.sort(() => Math.random() - 0.5).map((e) => store.applyGate(e, 1000)));
      assert.equal(await occupied('gates'), 150);
    });

    it('forgets a deleted lot, gates and bays included', async () => {
      await store.applyCount(count('gone', { occupied: 1 }), 32);
      await store.applyGate(gate('gone', { seq: 1, ts: T0 + 1 }), 32);
      await store.applySpace(space('gone', { ts: T0 + 1 }), 32);
      await store.deleteLot('gone');
      assert.equal((await store.getMany(['gone'])).size, 0);
      assert.equal((await store.getBays('gone')).size, 0);
      assert.equal((await store.applyGate(gate('gone', { seq: 1, ts: T0 + 1 }), 32)).outcome, 'applied', 'its seqs are forgotten too');
    });

    it('sets a lower capacity: re-clamps the count, flags it, and announces it on the feed', async () => {
      const seen: LiveChange[] = [];
      store.on('change', (changes) => seen.push(...changes));
      await store.applyCount(count('shrunk', { occupied: 30, seq: 3 }), 32);
      const expected = { capacity: 20, occupied: 20, ts: T0, seq: 3, clamped: true, receivedAt: T0, source: 'count' };
      assert.deepEqual(pick(await store.setCapacity('shrunk', 20, 0), expected), expected);
      assert.deepEqual(pick((await store.getMany(['shrunk'])).get('shrunk'), expected), expected);
      const change = await eventually(() => seen.find((c) => c.capacity === 20), 5000, 'the change on the feed');
      assert.deepEqual(pick(change, { id: 'shrunk', ...expected }), { id: 'shrunk', ...expected });
    });

    it('restores the count the sources report when the capacity is raised again', async () => {
      await store.applyCount(count('breathing', { occupied: 30, seq: 3 }), 32);
      await store.setCapacity('breathing', 20, 0);
      const raised = await store.setCapacity('breathing', 40, 0);
      assert.deepEqual([raised?.occupied, raised?.clamped], [30, false]);
    });

    it('sets a higher capacity: keeps the count, and later counts clamp against it', async () => {
      await store.applyCount(count('grown', { occupied: 10, seq: 3 }), 32);
      const expected = { capacity: 100, occupied: 10, ts: T0, seq: 3, clamped: false, receivedAt: T0 };
      assert.deepEqual(pick(await store.setCapacity('grown', 100, 0), expected), expected);
      const next = await store.applyCount(count('grown', { free: 5, ts: T0 + 1 }), 32);
      assert.deepEqual([next.state.capacity, next.state.occupied], [100, 95]);
    });

    it('sets no capacity for a lot with no live state → null', async () => {
      assert.equal(await store.setCapacity('nothing-yet', 10, 0), null);
      assert.equal((await store.getMany(['nothing-yet'])).size, 0);
    });

    it('tallies the declared bays by kind with each bay event, and counts again when the declaration changes', async () => {
      const kinds = new Map([['c1', 'charging'], ['c2', 'charging'], ['d1', 'disabled']] as const);
      // Declared before any state: kept for the first event, nothing announced.
      assert.equal(await store.setBayKinds('kinds', kinds, 'v1', T0), null);
      await store.applySpace(space('kinds', { spaceId: 'x9', occupied: true }), 32); // a bay of no kind
      assert.equal((await store.getMany(['kinds'])).get('kinds')!.kinds, null);
      const first = await store.applySpace(space('kinds', { spaceId: 'c1', occupied: true }), 32);
      assert.deepEqual(first.state.kinds, {
        charging: { bays: 2, reported: 1, occupied: 1 }, disabled: { bays: 1, reported: 0, occupied: 0 },
        family: { bays: 0, reported: 0, occupied: 0 }, women: { bays: 0, reported: 0, occupied: 0 },
      });
      await store.applySpace(space('kinds', { spaceId: 'c2', occupied: false, ts: T0 + 1 }), 32);
      await store.applySpace(space('kinds', { spaceId: 'c1', occupied: false, ts: T0 + 2 }), 32);
      assert.equal((await store.applySpace(space('kinds', { spaceId: 'c1', occupied: true, ts: T0 + 1 }), 32)).outcome, 'out_of_order');
      assert.deepEqual((await store.getMany(['kinds'])).get('kinds')!.kinds!.charging, { bays: 2, reported: 2, occupied: 0 });
      // The same declaration again changes nothing; a new one is counted from the bays' states, and announced.
      assert.deepEqual((await store.setBayKinds('kinds', kinds, 'v1', T0 + 5))!.kinds!.charging, { bays: 2, reported: 2, occupied: 0 });
      const announced = changeMatching(store, (c) => c.id === 'kinds' && c.kinds?.women.bays === 1);
      const redeclared = await store.setBayKinds('kinds', new Map([['c1', 'disabled'], ['x9', 'women']] as const), 'v2', T0 + 6);
      assert.deepEqual(redeclared!.kinds, {
        charging: { bays: 0, reported: 0, occupied: 0 }, disabled: { bays: 1, reported: 1, occupied: 0 },
        family: { bays: 0, reported: 0, occupied: 0 }, women: { bays: 1, reported: 1, occupied: 1 },
      });
      assert.deepEqual((await announced).kinds, redeclared!.kinds);
      // None declared: no tallies; a deleted lot forgets its declaration.
      assert.equal((await store.setBayKinds('kinds', new Map(), '', T0 + 7))!.kinds, null);
      await store.setBayKinds('kinds', kinds, 'v3', T0 + 8);
      await store.deleteLot('kinds');
      await store.applySpace(space('kinds', { spaceId: 'c1' }), 32);
      assert.equal((await store.getMany(['kinds'])).get('kinds')!.kinds, null);
    });

    it('counts 2,000 declared bays in one step (more than Lua unpacks at once)', async () => {
      const kinds = new Map(Array.from({ length: 2000 }, (_, i) => [`b${i}`, i % 2 ? 'charging' : 'women'] as const));
      await store.applySpace(space('big', { spaceId: 'b1', occupied: true }), 3000);
      const state = await store.setBayKinds('big', kinds, 'big', T0);
      assert.deepEqual(state!.kinds!.charging, { bays: 1000, reported: 1, occupied: 1 });
      assert.deepEqual(state!.kinds!.women, { bays: 1000, reported: 0, occupied: 0 });
    });

    // Not a number where the rules need one: the Lua script fails on it (Redis answers ERR).
    if (target.name !== 'memory') it('refuses an event its script cannot apply with a LiveStoreRefusal, and stays usable', async () => {
      await assert.rejects(store.applyGate(gate('odd', { seq: 1, ts: Number.NaN }), 32), LiveStoreRefusal);
      assert.equal((await store.applyCount(count('odd', { occupied: 3 }), 32)).outcome, 'applied');
    });

    // Redis applies events that arrive together in one batch call (apply-batch.lua).
    if (target.name !== 'memory') it('refuses only the event that fails among events sent together; the others apply as alone', async () => {
      const results = await Promise.allSettled([
        store.applyGate(gate('mixed', { seq: 1, ts: T0 }), 32),
        store.applyGate(gate('mixed', { seq: 2, ts: Number.NaN }), 32),
        store.applyGate(gate('mixed', { seq: 3, ts: T0 + 2 }), 32),
        store.applyCount(count('mixed-other', { occupied: 4 }), 32),
      ]);
      assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
      assert.ok((results[1] as PromiseRejectedResult).reason instanceof LiveStoreRefusal);
      assert.deepEqual([await occupied('mixed'), await occupied('mixed-other')], [2, 4]);
    });

    it('applies events for many lots sent together (on a cluster: many slots and nodes)', async () => {
      const ids = Array.from({ length: 60 }, (_, i) => `many-${i}`);
      const results = await Promise.all(ids.map((id, i) => store.applyCount(count(id, { occupied: i % 30 }), 32)));
      assert.deepEqual(results.map((r) => r.outcome), Array(60).fill('applied'));
      const states = await store.getMany(ids);
      assert.deepEqual(ids.map((id) => states.get(id)?.occupied), ids.map((_, i) => i % 30));
    });

    if (target.name !== 'memory') it('announces a lot changed by several events sent together once, with its last state', async () => {
      const seen: LiveChange[] = [];
      const listener = (changes: LiveChange[]) => seen.push(...changes.filter((c) => c.id.startsWith('together-')));
      store.on('change', listener);
      const last = changeMatching(store, (c) => c.id === 'together-a' && c.occupied === 9);
      const results = await Promise.all([
        ...Array.from({ length: 10 }, (_, i) => store.applyCount(count('together-a', { occupied: i, ts: T0 + i, seq: i }), 32)),
        store.applyCount(count('together-b', { occupied: 1 }), 32),
      ]);
      await last;
      await new Promise((resolve) => setTimeout(resolve, 50));
      store.off('change', listener);
      assert.deepEqual(results.map((r) => r.outcome), Array(11).fill('applied'));
      assert.deepEqual(results.slice(0, 10).map((r) => r.state.occupied), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      // Sent in one turn of the event loop, to one node: one batch (a cluster splits it by slot).
      const a = seen.filter((c) => c.id === 'together-a');
      assert.ok(a.length >= 1 && a.length < 10, `together-a announced ${a.length} times`);
      assert.deepEqual([a.at(-1)!.occupied, seen.filter((c) => c.id === 'together-b').length], [9, 1]);
    });

    it('reports itself healthy', async () => {
      assert.equal((await store.health()).ok, true);
    });
  });
}
