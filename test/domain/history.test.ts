// History buckets (server/domain/history/): the accumulator against a
// second-by-second reference, gaps for stale/offline/closed time, out-of-order
// application, roll-ups in local time and the API's points. Fixed clocks only.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  BUCKET_MS, emptyHistoryState, historyPoints, hoursClosedSpans, isFinal, mergeBuckets, observe, rollUp, stretch, tail,
  type Bucket, type HistoryLot,
} from '../../server/domain/history.ts';
import { emptyLiveState } from '../../server/domain/live.ts';
import { isOpenAt } from '../../server/domain/opening-hours.ts';
import { HistoryHarness, type LotInput } from '../helpers/history-harness.ts';
import { referenceBuckets } from '../helpers/history-reference.ts';

const SHANGHAI = 'Asia/Shanghai';
const MIN = 60_000;
const T0 = Date.parse('2026-11-25T10:00:00+08:00'); // a Wednesday
const LOT: HistoryLot = { staleAfterMs: 15 * MIN };

/** Buckets as [minute offset from T0, known seconds, mean occupied], for readable failures. */
const brief = (buckets: readonly Bucket[]) => buckets.map((b) => [(b.start - T0) / MIN, b.knownMs / 1000, Math.round((b.occMs / b.knownMs) * 100) / 100]);

describe('domain: history buckets — how a value holds', () => {
  it('a value holds from its event until the next sign of life, split over the 5-minute buckets it spans', () => {
    const h = new HistoryHarness(100, LOT);
    h.apply({ kind: 'count', ts: T0 + 1 * MIN, occupied: 10 }, T0 + MIN);
    h.apply({ kind: 'heartbeat', ts: T0 + 3 * MIN }, T0 + 3 * MIN);
    h.apply({ kind: 'count', ts: T0 + 7 * MIN, occupied: 40 }, T0 + 7 * MIN);
    h.apply({ kind: 'count', ts: T0 + 12 * MIN, occupied: 20 }, T0 + 12 * MIN);
    // 10 over [1, 7) min, 40 over [7, 12): bucket 0 has 4 min of 10, bucket 5 has 2 min of 10 and 3 min of 40, bucket 10 2 min of 40.
    assert.deepEqual(brief(h.buckets()), [[0, 240, 10], [5, 300, 28], [10, 120, 40]]);
    const [first, second] = h.buckets();
    assert.deepEqual([second!.min, second!.max, second!.capacity], [10, 40, 100]);
    assert.equal(first!.occMs, 10 * 240_000);
    // The tail (since the last sign of life) is provisional: shown to readers, not final.
    assert.deepEqual(brief(h.buckets(T0 + 15 * MIN)), [[0, 240, 10], [5, 300, 28], [10, 300, 28]]);
    assert.equal(isFinal(T0 + 5 * MIN, h.state), true);
    assert.equal(isFinal(T0 + 10 * MIN, h.state), false);
  });

  it('stale: a value counts only until the stale threshold after the last sign of life; the rest is a gap, not a zero', () => {
    const h = new HistoryHarness(100, LOT);
    h.apply({ kind: 'count', ts: T0, occupied: 30 }, T0);
    h.apply({ kind: 'count', ts: T0 + 60 * MIN, occupied: 50 }, T0 + 60 * MIN);
    // Known 10:00–10:15 at 30, then nothing until 11:00.
    assert.deepEqual(brief(h.buckets()), [[0, 300, 30], [5, 300, 30], [10, 300, 30]]);
    assert.deepEqual(brief(h.buckets(T0 + 90 * MIN)).slice(3), [[60, 300, 50], [65, 300, 50], [70, 300, 50]]);
    const points = historyPoints(h.buckets(), T0, T0 + 30 * MIN, '5m', SHANGHAI);
    assert.deepEqual(points.map((p) => p.occupied), [30, 30, 30, null, null, null]);
    assert.deepEqual(points[3], { at: new Date(T0 + 15 * MIN).toISOString(), occupied: null, occupiedMin: null, occupiedMax: null, free: null, capacity: null, knownS: 0 });
  });

  it('heartbeats keep a value counting; a heartbeat after a stale spell leaves the spell a gap', () => {
    const h = new HistoryHarness(100, LOT);
    h.apply({ kind: 'count', ts: T0, occupied: 5 }, T0);
    for (let m = 10; m <= 30; m += 10) h.apply({ kind: 'heartbeat', ts: T0 + m * MIN }, T0 + m * MIN);
    h.apply({ kind: 'heartbeat', ts: T0 + 60 * MIN }, T0 + 60 * MIN); // stale from 10:45 to 11:00
    const known = h.buckets(T0 + 65 * MIN).map((b) => (b.start - T0) / MIN);
    assert.deepEqual(known, [0, 5, 10, 15, 20, 25, 30, 35, 40, 60]);
  });

  it('offline: a gateway offline is a gap from its status until the next sign of life', () => {
    const h = new HistoryHarness(100, LOT);
    h.apply({ kind: 'count', ts: T0, occupied: 8 }, T0);
    h.apply({ kind: 'offline', online: false }, T0 + 4 * MIN);
    h.apply({ kind: 'count', ts: T0 + 10 * MIN, occupied: 9 }, T0 + 10 * MIN);
    assert.deepEqual(brief(h.buckets(T0 + 15 * MIN)), [[0, 240, 8], [10, 300, 9]]);
  });

  it('offline, then online without data: the gap ends at the online status', () => {
    const h = new HistoryHarness(100, LOT);
    h.apply({ kind: 'count', ts: T0, occupied: 8 }, T0);
    h.apply({ kind: 'offline', online: false }, T0 + 2 * MIN);
    h.apply({ kind: 'offline', online: true }, T0 + 3 * MIN);
    h.apply({ kind: 'heartbeat', ts: T0 + 6 * MIN }, T0 + 6 * MIN);
    assert.deepEqual(brief(h.buckets()), [[0, 240, 8], [5, 60, 8]]);
  });

  it('a buffered backlog published with old ts after an outage lands in the buckets where it happened', () => {
    const truth = (m: number) => 20 + (m % 7) * 3;
    const h = new HistoryHarness(100, LOT);
    for (let m = 0; m <= 15; m++) h.apply({ kind: 'count', ts: T0 + m * MIN, occupied: truth(m) }, T0 + m * MIN);
    h.apply({ kind: 'offline', online: false }, T0 + 20 * MIN); // the Last Will, 5 min after the last delivery
    // Back at 10:50: the buffer, in order, with some messages redelivered; the duplicates are not applied.
    for (let m = 16; m < 60; m++) {
      assert.equal(h.apply({ kind: 'count', ts: T0 + m * MIN, occupied: truth(m) }, T0 + 50 * MIN + m), true);
      if (m % 5 === 0) assert.equal(h.apply({ kind: 'count', ts: T0 + m * MIN, occupied: truth(m) }, T0 + 50 * MIN + m), false);
    }
    const expected: Bucket[] = [];
    for (let m = 0; m < 59; m++) expected.push(stretch(T0 + m * MIN - ((T0 + m * MIN) % BUCKET_MS), MIN, truth(m), 100));
    assert.deepEqual(h.buckets(), mergeBuckets(expected));
    assert.equal(h.buckets().reduce((s, b) => s + b.knownMs, 0), 59 * MIN);
  });

  it('closed by status: planned or closed time is a gap; reopening counts again from then', () => {
    const h = new HistoryHarness(100, { staleAfterMs: 60 * MIN });
    h.apply({ kind: 'count', ts: T0, occupied: 3 }, T0);
    h.apply({ kind: 'status', open: false }, T0 + 5 * MIN);
    h.apply({ kind: 'status', open: true }, T0 + 20 * MIN);
    h.apply({ kind: 'count', ts: T0 + 30 * MIN, occupied: 4 }, T0 + 30 * MIN);
    assert.deepEqual(brief(h.buckets()), [[0, 300, 3], [20, 300, 3], [25, 300, 3]]);
  });

  it('closed by its hours (in TIME_ZONE): the closed time is a gap though the gateway keeps reporting', () => {
    const lot: HistoryLot = { staleAfterMs: 30 * MIN, closed: hoursClosedSpans('Mo-Su 07:00-22:00', SHANGHAI) };
    const h = new HistoryHarness(100, lot);
    const evening = Date.parse('2026-11-25T21:50:00+08:00');
    for (let m = 0; m <= 20; m += 5) h.apply({ kind: 'count', ts: evening + m * MIN, occupied: 10 + m }, evening + m * MIN);
    // 21:50–22:00 known, 22:00–22:10 closed.
    const buckets = h.buckets(evening + 20 * MIN);
    assert.deepEqual(buckets.map((b) => [new Date(b.start).toISOString(), b.knownMs / 1000]), [['2026-11-25T13:50:00.000Z', 300], ['2026-11-25T13:55:00.000Z', 300]]);
    assert.equal(hoursClosedSpans(null, SHANGHAI), undefined);
  });

  it('a late change the live rules still apply (a gate delta older than the newest event) takes effect at the cursor', () => {
    const h = new HistoryHarness(100, LOT);
    h.apply({ kind: 'count', ts: T0, occupied: 10 }, T0);
    h.apply({ kind: 'gate', ts: T0 + 4 * MIN, delta: 1, seq: 2 }, T0 + 4 * MIN);
    // seq 1, 2 min older than the newest event: applied by the live rules, counted from 10:04 on.
    assert.equal(h.apply({ kind: 'gate', ts: T0 + 2 * MIN, delta: 1, seq: 1 }, T0 + 5 * MIN), true);
    h.apply({ kind: 'heartbeat', ts: T0 + 5 * MIN }, T0 + 5 * MIN);
    assert.deepEqual(brief(h.buckets()), [[0, 300, (4 * 10 + 1 * 12) / 5]]);
  });

  it('capacity changes from the catalog take effect at the cursor, and free never exceeds capacity', () => {
    const h = new HistoryHarness(100, LOT);
    h.apply({ kind: 'count', ts: T0, occupied: 90 }, T0);
    h.apply({ kind: 'capacity', capacity: 50 }, T0 + 30_000);
    h.apply({ kind: 'heartbeat', ts: T0 + 5 * MIN }, T0 + 5 * MIN);
    const [point] = historyPoints(h.buckets(), T0, T0 + 5 * MIN, '5m', SHANGHAI);
    assert.deepEqual([point!.occupied, point!.free, point!.capacity], [50, 0, 50]);
  });

  it('observe leaves the state it was given unchanged (a store can keep the old one on failure)', () => {
    const state = emptyHistoryState(10);
    const live = { ...emptyLiveState(10), occupied: 1, ts: T0, aliveAt: T0 };
    const first = observe(state, { at: T0, sensorTime: true, live, statusOpen: true }, LOT);
    const before = structuredClone(first.state);
    observe(first.state, { at: T0 + MIN, sensorTime: true, live: { ...live, offline: true }, statusOpen: true }, LOT);
    assert.deepEqual(first.state, before);
    assert.deepEqual(state, emptyHistoryState(10));
    assert.deepEqual(tail(state, T0, LOT), []);
  });
});

describe('domain: history roll-ups and points', () => {
  const b = (start: number, knownS: number, occupied: number, capacity = 100, min = occupied, max = occupied): Bucket =>
    ({ ...stretch(start, knownS * 1000, occupied, capacity), min, max });

  it('rolls 5 minutes up to 15 min, 30 min, 1 h and 1 d, weighted by known time', () => {
    const buckets = [b(T0, 300, 10), b(T0 + 5 * MIN, 100, 40, 100, 30, 45), b(T0 + 20 * MIN, 300, 20)];
    const [q1, q2] = historyPoints(buckets, T0, T0 + 30 * MIN, '15m', SHANGHAI);
    assert.deepEqual(q1, { at: new Date(T0).toISOString(), occupied: 17.5, occupiedMin: 10, occupiedMax: 45, free: 82.5, capacity: 100, knownS: 400 });
    assert.deepEqual([q2!.occupied, q2!.knownS], [20, 300]);
    const [hour] = historyPoints(buckets, T0, T0 + 60 * MIN, '1h', SHANGHAI);
    assert.deepEqual([hour!.occupied, hour!.knownS], [18.57, 700]);
    const [day] = historyPoints(buckets, Date.parse('2026-11-25T00:00:00+08:00'), Date.parse('2026-11-26T00:00:00+08:00'), '1d', SHANGHAI);
    assert.deepEqual([day!.at, day!.knownS], ['2026-11-24T16:00:00.000Z', 700]);
    // Rolling up a roll-up again changes nothing.
    assert.deepEqual(rollUp(rollUp(buckets, '1h', SHANGHAI), '1h', SHANGHAI), rollUp(buckets, '1h', SHANGHAI));
  });

  it('steps start on the local clock: an hour at hh:00 in a zone half an hour off UTC', () => {
    const kolkata = 'Asia/Kolkata';
    const start = Date.parse('2026-11-25T10:00:00+05:30');
    const points = historyPoints([b(start, 300, 5), b(start + 55 * MIN, 300, 7)], start - 60 * MIN, start + 60 * MIN, '1h', kolkata);
    assert.deepEqual(points.map((p) => [p.at, p.knownS]), [['2026-11-25T03:30:00.000Z', 0], ['2026-11-25T04:30:00.000Z', 600]]);
  });

  it('a day across the end of daylight saving has 25 hours (Europe/Berlin, 2026-10-25)', () => {
    const berlin = 'Europe/Berlin';
    const from = Date.parse('2026-10-24T00:00:00+02:00');
    const buckets: Bucket[] = [];
    for (let at = from; at < from + 72 * 3_600_000; at += BUCKET_MS) buckets.push(b(at, 300, 1));
    const days = historyPoints(buckets, from, Date.parse('2026-10-27T00:00:00+01:00'), '1d', berlin);
    assert.deepEqual(days.map((d) => [d.at, d.knownS / 3600]), [['2026-10-23T22:00:00.000Z', 24], ['2026-10-24T22:00:00.000Z', 25], ['2026-10-25T23:00:00.000Z', 23]]);
  });

  it('free stays within 0…capacity whatever the sums say', () => {
    const odd: Bucket = { start: T0, knownMs: 1000, occMs: -5000, capMs: 500_000, min: 0, max: 0, capacity: 100 };
    const [p] = historyPoints([odd], T0, T0 + BUCKET_MS, '5m', SHANGHAI);
    assert.equal(p!.free, 100);
  });
});

describe('domain: history property — the accumulator equals the reference', () => {
  const SECOND = 1000;
  /** Inputs over about three hours around the lot's closing time, in whole seconds. */
  const inputs = fc.array(
    fc.oneof(
      { arbitrary: fc.record({ kind: fc.constant('count' as const), t: fc.integer({ min: 0, max: 10_800 }), occupied: fc.integer({ min: 0, max: 60 }) }), weight: 5 },
      { arbitrary: fc.record({ kind: fc.constant('gate' as const), t: fc.integer({ min: 0, max: 10_800 }), delta: fc.integer({ min: -3, max: 3 }), seq: fc.integer({ min: 1, max: 40 }) }), weight: 3 },
      { arbitrary: fc.record({ kind: fc.constant('heartbeat' as const), t: fc.integer({ min: 0, max: 10_800 }) }), weight: 2 },
      { arbitrary: fc.record({ kind: fc.constant('offline' as const), t: fc.integer({ min: 0, max: 10_800 }), online: fc.boolean() }), weight: 1 },
      { arbitrary: fc.record({ kind: fc.constant('capacity' as const), t: fc.integer({ min: 0, max: 10_800 }), capacity: fc.integer({ min: 20, max: 60 }) }), weight: 1 },
      { arbitrary: fc.record({ kind: fc.constant('status' as const), t: fc.integer({ min: 0, max: 10_800 }), open: fc.boolean() }), weight: 1 },
    ),
    { minLength: 1, maxLength: 60 },
  );
  const evening = Date.parse('2026-11-25T20:30:00+08:00');
  const hours = 'Mo-Su 07:00-22:00';
  const lot: HistoryLot = { staleAfterMs: 600 * SECOND, closed: hoursClosedSpans(hours, SHANGHAI) };
  const reference = { staleAfterMs: lot.staleAfterMs, openAt: (ms: number) => isOpenAt(hours, ms, SHANGHAI) };

  type Generated = { t: number } & ({ kind: 'count'; occupied: number } | { kind: 'gate'; delta: number; seq: number } | { kind: 'heartbeat' } | { kind: 'offline'; online: boolean } | { kind: 'capacity'; capacity: number } | { kind: 'status'; open: boolean });
  const toInput = (i: Generated): LotInput => {
    const ts = evening + i.t * SECOND;
    switch (i.kind) {
      case 'count': return { kind: 'count', ts, occupied: i.occupied };
      case 'gate': return { kind: 'gate', ts, delta: i.delta, seq: i.seq };
      case 'heartbeat': return { kind: 'heartbeat', ts };
      case 'offline': return { kind: 'offline', online: i.online };
      case 'capacity': return { kind: 'capacity', capacity: i.capacity };
      default: return { kind: 'status', open: i.open };
    }
  };

  it('for any events, arriving in any order, each duplicated or not: history = the second-by-second reference, however the parts are merged', () => {
    fc.assert(
      fc.property(inputs, fc.array(fc.nat(), { maxLength: 60 }), fc.array(fc.nat(), { maxLength: 30 }), (generated, arrivalKeys, splits) => {
        // Arrival order: by ts, then shuffled by the keys (bounded displacement keeps it a realistic reordering); duplicates repeat a message.
        const messages = generated.map((g, i) => ({ g, key: g.t + ((arrivalKeys[i] ?? 0) % 1800) }));
        for (const [i, k] of arrivalKeys.entries()) if (k % 4 === 0 && messages[i]) messages.push({ ...messages[i]!, key: messages[i]!.key + (k % 97) });
        messages.sort((a, b) => a.key - b.key);
        const h = new HistoryHarness(40, lot);
        messages.forEach((m, i) => h.apply(toInput(m.g), evening + (m.key + i) * SECOND));
        const end = evening + 12_000 * SECOND;
        const expected = referenceBuckets(h.observations, reference, end);
        assert.deepEqual(h.buckets(end), expected);
        // The parts add up to the same buckets in any grouping and order (as a store adding them one by one would).
        const flat = [...h.parts.flat(), ...tail(h.state, end, lot)];
        const groups: Bucket[][] = [[], [], []];
        flat.forEach((part, i) => groups[(splits[i] ?? i) % 3]!.push(part));
        assert.deepEqual(mergeBuckets(mergeBuckets(groups[2]!), ...groups.slice(0, 2).reverse()), expected);
      }),
      { numRuns: 300 },
    );
  });

  it('events in sensor order with redeliveries: history = the truth, second by second', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ gap: fc.integer({ min: 1, max: 400 }), occupied: fc.integer({ min: 0, max: 40 }), resend: fc.boolean() }), { minLength: 2, maxLength: 40 }), (steps) => {
        const h = new HistoryHarness(40, { staleAfterMs: 900 * SECOND });
        let t = evening - 3 * 3_600_000; // 17:30: open all along
        const truth: Bucket[] = [];
        let previous: { t: number; occupied: number } | null = null;
        for (const s of steps) {
          if (previous) {
            const known = Math.min(t, previous.t + 900 * SECOND);
            for (let x = previous.t; x < known; x += SECOND) truth.push(stretch(x - (x % BUCKET_MS), SECOND, previous.occupied, 40));
          }
          h.apply({ kind: 'count', ts: t, occupied: s.occupied }, t);
          if (s.resend) assert.equal(h.apply({ kind: 'count', ts: t, occupied: s.occupied }, t + 5), false);
          previous = { t, occupied: s.occupied };
          t += s.gap * SECOND;
        }
        assert.deepEqual(h.buckets(), mergeBuckets(truth));
      }),
      { numRuns: 200 },
    );
  });
});
