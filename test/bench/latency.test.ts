// The benchmark's latency arithmetic (bench/latency.ts): every event × every
// client, from the event's publication to the first push that client had
// showing the lot at that event or newer.
import assert from 'node:assert/strict';
import { countLatencies, summarize, type PushedLots } from '../../bench/latency.ts';

const never = Number.NaN;

describe('bench: publish→socket latency, every client counted', () => {
  // Two lots; pushes in the order sent, each showing lots at their newest event.
  const pushes: PushedLots[] = [
    [['a', 1000], ['b', 1005]],
    [['a', 1040]],
    [['a', 1080], ['b', 1090]],
  ];
  // a@1000 and a@1020 (coalesced: the push of a@1040 delivers it), b@1005, b@1090.
  const events: [string, number][] = [['a', 1000], ['a', 1020], ['b', 1005], ['b', 1090]];

  it('delivers each event with the first push at it or newer, per client, coalesced events included', () => {
    const counts = countLatencies(events, pushes, [Float64Array.from([1010, 1050, 1100]), Float64Array.from([1030, 1070, 1130])]);
    const latencies = counts.histogram.flatMap(([ms, n]) => Array<number>(n).fill(ms)).sort((x, y) => x - y);
    // client 1: 10, 30, 5, 10; client 2: 30, 50, 25, 40
    assert.deepEqual(latencies, [5, 10, 10, 25, 30, 30, 40, 50]);
    assert.deepEqual([counts.samples, counts.undelivered], [8, 0]);
  });

  it('takes a later push for a client that missed the first one showing the event, and counts what never came', () => {
    const counts = countLatencies(events, pushes, [Float64Array.from([never, 1050, never])]);
    // a@1000 → push 1 (1050), a@1020 → 1050, b@1005 and b@1090: only pushes 0 and 2 show b, never had
    assert.deepEqual(counts.histogram, [[30, 1], [50, 1]]);
    assert.equal(counts.undelivered, 2);
  });

  it('ranks an undelivered event × client above every delivered one', () => {
    const summary = summarize(4, [countLatencies(events, pushes, [Float64Array.from([never, 1050, never])])]);
    assert.deepEqual([summary.p50, summary.p95, summary.max], [50, Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY]);
    const delivered = summarize(4, [{ histogram: [[10, 98], [200, 2]], samples: 100, undelivered: 0 }]);
    assert.deepEqual([delivered.p50, delivered.p99, delivered.max], [10, 200, 200]);
  });

  it('leaves out a push showing the lot older than an earlier one did (it can only make a latency longer)', () => {
    const counts = countLatencies([['a', 1050]], [[['a', 1080]], [['a', 1040]], [['a', 1090]]], [Float64Array.from([never, 1100, 1200])]);
    assert.deepEqual(counts.histogram, [[150, 1]]);
  });
});
