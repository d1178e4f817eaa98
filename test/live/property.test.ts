// Any sequence of MQTT messages for a lot — counts, gate events, bay sensors,
// heartbeats, duplicated, reordered, with garbage mixed in — leaves the same
// state in the embedded store, in Redis, and in a plain reference model
// written independently of the domain code. The messages go through the
// ingest stage as raw topics and payloads, so parsing is part of the property.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Catalog } from '../../server/catalog/catalog.ts';
import { bayKinds, emptyKindCounts, type BayKind, type KindCounts } from '../../server/domain/bay-kinds.ts';
import type { LiveState } from '../../server/domain/live.ts';
import type { LotMeta } from '../../server/domain/lot.ts';
import { Ingest } from '../../server/ingest/ingest.ts';
import type { LiveStore } from '../../server/live/store.ts';
import { createLogger } from '../../server/log.ts';
import { Metrics } from '../../server/metrics.ts';
import { storesUnderTest } from './stores.ts';

const T0 = Date.parse('2026-11-28T08:00:00Z');
const NOW = T0 + 3_600_000;
const CAPACITY = 20;

type Valid =
  | { kind: 'count'; ts: number; seq: number | null; occupied: number | null; free: number | null; capacity: number | null }
  | { kind: 'gate'; gate: string; ts: number; seq: number | null; delta: number }
  | { kind: 'space'; space: string; ts: number; seq: number | null; occupied: boolean }
  | { kind: 'heartbeat'; ts: number };

interface Message {
  /** Where the message goes: a path under the lot's topic, or a whole topic for garbage. */
  path: string;
  payload: string;
  valid?: Valid;
  /** Not a message: the operator declares the lot's bays by kind (store.setBayKinds) at this point. */
  declare?: Map<string, BayKind>;
}

type Expected = Pick<LiveState, 'occupied' | 'capacity' | 'clamped' | 'source' | 'ts' | 'aliveAt'> & { kinds: KindCounts };

const countsOf = (declaration: Map<string, BayKind>) => {
  const declared = { charging: 0, disabled: 0, family: 0, women: 0 };
  for (const kind of declaration.values()) declared[kind]++;
  return declared;
};

/** The tallies per kind as the reference sees them: the last declaration over the bays' final states. */
function referenceKinds(declaration: Map<string, BayKind>, bays: Map<string, { occupied: boolean }>): KindCounts {
  const counts = emptyKindCounts(countsOf(declaration));
  for (const [space, kind] of declaration) {
    const bay = bays.get(space);
    if (!bay) continue;
    counts[kind].reported++;
    if (bay.occupied) counts[kind].occupied++;
  }
  return counts;
}

/** The rules of DESIGN.md §3, written plainly over the whole set of messages. */
function referenceModel(valid: Valid[], declaration: Map<string, BayKind>): Expected | null {
  if (valid.length === 0) return null;
  // Counts: the greatest (ts, seq) wins; on a tie without seqs the first one seen stays.
  let count: Extract<Valid, { kind: 'count' }> | null = null;
  let capacity = CAPACITY;
  let reported = 0;
  for (const e of valid) {
    if (e.kind !== 'count') continue;
    const newer = !count || e.ts > count.ts || (e.ts === count.ts && e.seq !== null && count.seq !== null && e.seq > count.seq);
    if (!newer) continue;
    count = e;
    capacity = e.capacity ?? capacity;
    reported = e.occupied ?? capacity - e.free!;
  }
  // Gates: each (gate, seq) once, every delivery without seq; only what is newer than the count.
  const seen = new Set<string>();
  let gateSum = 0;
  let anyGate = false;
  for (const e of valid) {
    if (e.kind !== 'gate') continue;
    anyGate = true;
    if (count && e.ts <= count.ts) continue;
    if (e.seq !== null) {
      if (seen.has(`${e.gate}|${e.seq}`)) continue;
      seen.add(`${e.gate}|${e.seq}`);
    }
    gateSum += e.delta;
  }
  // Bays: per space the greatest (ts, seq), first seen on a tie.
  const bays = new Map<string, Extract<Valid, { kind: 'space' }>>();
  for (const e of valid) {
    if (e.kind !== 'space') continue;
    const last = bays.get(e.space);
    if (!last || e.ts > last.ts || (e.ts === last.ts && e.seq !== null && last.seq !== null && e.seq > last.seq)) bays.set(e.space, e);
  }

  let raw: number | null = null;
  let source: LiveState['source'] = null;
  if (bays.size > 0 && bays.size >= capacity) {
    source = 'bays';
    raw = [...bays.values()].filter((b) => b.occupied).length;
  } else if (count || anyGate) {
    source = count ? 'count' : 'gates';
    raw = (count ? reported : 0) + gateSum;
  } else if (bays.size > 0) source = 'bays';
  const occupied = raw === null ? null : Math.min(Math.max(raw, 0), capacity);
  const data = valid.filter((e) => e.kind !== 'heartbeat');
  const ts = data.length ? Math.max(...data.map((e) => e.ts)) : null;
  return {
    occupied,
    capacity,
    clamped: raw !== null && occupied !== raw,
    source,
    ts,
    aliveAt: Math.max(...valid.map((e) => e.ts)),
    kinds: referenceKinds(declaration, bays),
  };
}

const json = (value: object) => JSON.stringify(value);
const at = (seconds: number) => T0 + seconds * 1000;

const countArb: fc.Arbitrary<Message> = fc
  .record({
    ts: fc.integer({ min: 0, max: 30 }),
    seq: fc.option(fc.integer({ min: 0, max: 10 }), { nil: null }),
    useFree: fc.boolean(),
    value: fc.integer({ min: -5, max: 30 }),
    capacity: fc.option(fc.integer({ min: 0, max: 25 }), { nil: null, freq: 5 }),
  })
  .map(({ ts, seq, useFree, value, capacity }) => {
    const valid: Valid = { kind: 'count', ts: at(ts), seq, occupied: useFree ? null : value, free: useFree ? value : null, capacity };
    const payload = { [useFree ? 'free' : 'occupied']: value, ts: at(ts), ...(seq === null ? {} : { seq }), ...(capacity === null ? {} : { capacity }) };
    return { path: 'count', payload: json(payload), valid };
  });

/** One gate counter's stream as the device sends it: seq 1, 2, 3… with time moving forward. */
const gateStreamArb = (gate: string): fc.Arbitrary<Message[]> =>
  fc
    .array(fc.record({ step: fc.integer({ min: 0, max: 3 }), delta: fc.constantFrom(1, 1, -1, 2), withSeq: fc.integer({ min: 0, max: 9 }).map((n) => n > 0) }), { maxLength: 15 })
    .map((steps) => {
      let seconds = 0;
      return steps.map(({ step, delta, withSeq }, i) => {
        seconds += step;
        const seq = withSeq ? i + 1 : null;
        const valid: Valid = { kind: 'gate', gate, ts: at(seconds), seq, delta };
        const payload = { event: delta > 0 ? 'entry' : 'exit', count: Math.abs(delta), gate, ts: at(seconds), ...(seq === null ? {} : { seq }) };
        return { path: 'gate', payload: json(payload), valid };
      });
    });

const spaceArb: fc.Arbitrary<Message> = fc
  .record({
    space: fc.constantFrom('a', 'b', 'c', 'd'),
    ts: fc.integer({ min: 0, max: 30 }),
    seq: fc.option(fc.integer({ min: 0, max: 5 }), { nil: null }),
    occupied: fc.boolean(),
  })
  .map(({ space, ts, seq, occupied }) => ({
    path: `spaces/${space}`,
    payload: json({ occupied, ts: at(ts), ...(seq === null ? {} : { seq }) }),
    valid: { kind: 'space', space, ts: at(ts), seq, occupied },
  }));

const heartbeatArb: fc.Arbitrary<Message> = fc
  .integer({ min: 0, max: 40 })
  .map((ts) => ({ path: 'heartbeat', payload: json({ ts: at(ts) }), valid: { kind: 'heartbeat', ts: at(ts) } }));

/** An operator's declaration of the bays by kind: some of the spaces, each of a kind. */
const declarationArb: fc.Arbitrary<Message> = fc
  .record({ a: fc.option(fc.constantFrom(...bayKinds), { nil: null }), b: fc.option(fc.constantFrom(...bayKinds), { nil: null }), c: fc.option(fc.constantFrom(...bayKinds), { nil: null }), d: fc.constantFrom('charging' as const, null) })
  .map((kinds) => ({ path: '#declare', payload: '', declare: new Map(Object.entries(kinds).filter(([, kind]) => kind !== null) as [string, BayKind][]) }));

/** Messages the service must reject, changing nothing. */
const garbageArb: fc.Arbitrary<Message> = fc.oneof(
  fc.record({ path: fc.constantFrom('count', 'gate', 'spaces/a', 'heartbeat'), payload: fc.string({ maxLength: 30 }) })
    .filter(({ path, payload }) => !(path === 'heartbeat' && /^\s*(\{\s*\})?\s*$/.test(payload))),
  fc.constant({ path: 'count', payload: json({ occupied: 3, ts: NOW + 3_600_000 }) }),
  fc.constant({ path: 'gate', payload: json({ event: 'in', gate: 'n', seq: 1 }) }),
  fc.constant({ path: 'spaces/A!', payload: json({ occupied: true }) }),
  fc.constant({ path: '/parking/lots/zz-unknown/count', payload: json({ occupied: 1 }) }),
);

const scenarioArb = fc
  .record({
    counts: fc.array(countArb, { maxLength: 8 }),
    north: gateStreamArb('n'),
    south: gateStreamArb('s'),
    spaces: fc.oneof({ weight: 2, arbitrary: fc.constant([] as Message[]) }, { weight: 1, arbitrary: fc.array(spaceArb, { maxLength: 8 }) }),
    heartbeats: fc.array(heartbeatArb, { maxLength: 3 }),
    garbage: fc.array(garbageArb, { maxLength: 6 }),
    declarations: fc.array(declarationArb, { maxLength: 2 }),
  })
  .chain(({ counts, north, south, spaces, heartbeats, garbage, declarations }) => {
    const messages = [...counts, ...north, ...south, ...spaces, ...heartbeats, ...declarations];
    return fc.tuple(fc.constant(messages), fc.shuffledSubarray(messages), fc.constant(garbage), fc.nat());
  })
  .map(([messages, replayed, garbage, salt]) => {
    const all = [...messages, ...replayed, ...garbage];
    // Deterministic shuffle, so a failure replays exactly.
    return all.map((m, i) => ({ m, k: (i * 7919 + salt) % 1009 })).sort((a, b) => a.k - b.k).map(({ m }) => m);
  });

/** A catalog with every lot `p<n>` of capacity CAPACITY, so each run has a fresh lot. */
const catalog = {
  get: (id: string) => (/^p\d+$/.test(id) ? ({ id, capacity: CAPACITY } as LotMeta) : undefined),
} as unknown as Catalog;

describe('live stores: property — same final state as the reference model, for every event kind', function () {
  this.timeout(180_000);
  const stores: LiveStore[] = [];

  before(async function () {
    for (const target of storesUnderTest) await target.require(this);
  });
  after(async () => {
    for (const store of stores) await store.stop();
    for (const target of storesUnderTest) await target.cleanup();
  });

  it('for any messages with duplicates, reordering and garbage', async () => {
    const live = await Promise.all(storesUnderTest.map((t) => t.create()));
    stores.push(...live);
    const ingests = live.map((store) => {
      const ingest = new Ingest({ baseTopic: 'parking', catalog, store, metrics: new Metrics(), log: createLogger('silent'), clock: () => NOW });
      ingest.start();
      return ingest;
    });
    let run = 0;
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (messages) => {
        const lotId = `p${run++}`;
        const declarations = messages.filter((m) => m.declare);
        const declaration = declarations.at(-1)?.declare ?? new Map<string, BayKind>();
        const expected = referenceModel(messages.flatMap((m) => m.valid ?? []), declaration);
        const rawKinds: unknown[] = [];
        for (const [i, store] of live.entries()) {
          for (const m of messages) {
            if (m.declare) {
              // The digest names the declaration (as bay-kinds.ts's does the lists): a new one each time but the same map twice.
              const digest = m.declare.size === 0 ? '' : JSON.stringify([...m.declare]);
              await store.setBayKinds(lotId, m.declare, digest, NOW);
              continue;
            }
            const topic = m.path.startsWith('/') ? m.path.slice(1) : `parking/lots/${lotId}/${m.path}`;
            const result = await ingests[i]!.handle(topic, Buffer.from(m.payload));
            assert.equal(result.status === 'rejected', m.valid === undefined, `${topic} ${m.payload} → ${JSON.stringify(result)}`);
          }
          const state = (await store.getMany([lotId])).get(lotId) ?? null;
          // A lot whose tallies were never needed has none (null): as every declared bay unreported.
          const actual = state && {
            occupied: state.occupied, capacity: state.capacity, clamped: state.clamped,
            source: state.source, ts: state.ts, aliveAt: state.aliveAt,
            kinds: state.kinds ?? emptyKindCounts(countsOf(declaration)),
          };
          assert.deepEqual(actual, expected, `${store.kind} store`);
          rawKinds.push(state?.kinds ?? null);
        }
        for (const kinds of rawKinds.slice(1)) assert.deepEqual(kinds, rawKinds[0], 'the stores tally the kinds alike');
      }),
      { numRuns: 250 },
    );
  });
});
