// Phase 7's paced comparison (bench/recording-phase.ts): what each event cost
// every process on its way, over a side's trials, weighted by their events.
import assert from 'node:assert/strict';
import { pacedSummary } from '../../bench/recording-phase.ts';

describe('bench: phase 7, recording off and on paced alike', () => {
  it('weights each trial by its events and sums the processes per event', () => {
    const side = pacedSummary([
      { events: 100_000, publisher: 10, broker: 8, service: 30, redis: 12 },
      { events: 300_000, publisher: 12, broker: 8, service: 34, redis: 14 },
    ]);
    assert.equal(side.events, 400_000);
    assert.equal(side.publisher, 11.5);
    assert.equal(side.service, 33);
    assert.equal(side.redis, 13.5);
    assert.deepEqual(side.totals, [60, 68]);
    assert.equal(side.total, 66);
    assert.equal(side.total, side.publisher + side.broker + side.service + side.redis);
  });
});
