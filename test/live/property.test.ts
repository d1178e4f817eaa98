// Any sequence of count events — duplicated, reordered — leaves the same
// state in the embedded store, in Redis, and in a plain reference model
// written independently of the domain code.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { CountEvent, LiveState } from '../../server/domain/live.ts';
import type { LiveStore } from '../../server/live/store.ts';
import { storesUnderTest } from './stores.ts';

const T0 = Date.parse('2026-11-28T08:00:00Z');
const CAPACITY = 20;

/** The reference: the event with the greatest (ts, seq) wins; ties keep the first seen. */
function referenceModel(events: CountEvent[]): Pick<LiveState, 'occupied' | 'capacity' | 'clamped'> | null {
  let best: CountEvent | null = null;
  let capacity = CAPACITY;
  let result: Pick<LiveState, 'occupied' | 'capacity' | 'clamped'> | null = null;
  for (const e of events) {
    const newer =
      best === null ||
      e.ts > best.ts ||
      (e.ts === best.ts && e.seq !== null && best.seq !== null && e.seq > best.seq);
    if (!newer) continue;
    best = e;
    capacity = e.capacity ?? capacity;
    const reported = e.occupied !== null ? e.occupied : capacity - e.free!;
    const occupied = reported < 0 ? 0 : reported > capacity ? capacity : reported;
    result = { occupied, capacity, clamped: occupied !== reported };
  }
  return result;
}

const eventArb: fc.Arbitrary<CountEvent> = fc
  .record({
    ts: fc.integer({ min: 0, max: 30 }),
    seq: fc.option(fc.integer({ min: 0, max: 10 }), { nil: null }),
    useFree: fc.boolean(),
    value: fc.integer({ min: -5, max: 30 }),
    capacity: fc.option(fc.integer({ min: 0, max: 25 }), { nil: null, freq: 5 }),
  })
  .map(({ ts, seq, useFree, value, capacity }) => ({
    lotId: 'p',
    ts: T0 + ts * 1000,
    seq,
    occupied: useFree ? null : value,
    free: useFree ? value : null,
    capacity,
    receivedAt: T0,
  }));

/** A sequence plus its replay: duplicates, in a shuffled order. */
const scenarioArb = fc
  .array(eventArb, { minLength: 1, maxLength: 25 })
  .chain((events) => fc.tuple(fc.constant(events), fc.shuffledSubarray(events), fc.nat()))
  .map(([events, extra, salt]) => {
    const all = [...events, ...extra];
    // Deterministic shuffle, so a failure replays exactly.
    return all.map((e, i) => ({ e, k: (i * 7919 + salt) % 1009 })).sort((a, b) => a.k - b.k).map(({ e }) => e);
  });

describe('live stores: property — same final state as the reference model', function () {
  this.timeout(120_000);
  const stores: LiveStore[] = [];

  before(async function () {
    for (const target of storesUnderTest) await target.require(this);
  });
  after(async () => {
    for (const store of stores) await store.stop();
    for (const target of storesUnderTest) await target.cleanup();
  });

  it('for any sequence with duplicates and reordering', async () => {
    const live = await Promise.all(storesUnderTest.map((t) => t.create()));
    stores.push(...live);
    let run = 0;
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (events) => {
        const lotId = `p${run++}`;
        const expected = referenceModel(events);
        for (const store of live) {
          for (const e of events) await store.applyCount({ ...e, lotId }, CAPACITY);
          const state = (await store.getMany([lotId])).get(lotId) ?? null;
          const actual = state && { occupied: state.occupied, capacity: state.capacity, clamped: state.clamped };
          assert.deepEqual(actual, expected, `${store.kind} store`);
        }
      }),
      { numRuns: 300 },
    );
  });
});
