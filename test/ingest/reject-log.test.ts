// A flood of bad MQTT messages is counted in full but logged in samples: the
// first lines of each interval, then one summary line with the count.
import assert from 'node:assert/strict';
import { Bus } from '../../server/bus.ts';
import { Ingest } from '../../server/ingest/ingest.ts';
import { MemoryLiveStore } from '../../server/live/memory-store.ts';
import { Metrics } from '../../server/metrics.ts';
import { catalogOf, lotMeta } from '../helpers/catalog.ts';
import { captureLogs, LEVELS } from '../helpers/logs.ts';

describe('ingest: logging rejected messages', () => {
  it('logs the first 20 rejections of an interval one by one, then one summary line with the count (the metric counts all)', async () => {
    let now = Date.parse('2026-11-28T08:00:00Z');
    const { log, lines } = captureLogs();
    const metrics = new Metrics();
    const ingest = new Ingest({ baseTopic: 'parking', catalog: catalogOf([lotMeta('a')]), store: new MemoryLiveStore(), bus: new Bus(), metrics, log, clock: () => now });
    ingest.start();
    for (let i = 0; i < 2000; i++) await ingest.handle(i % 2 ? 'parking/lots/a/count' : 'parking/lots/nope/count', Buffer.from(i % 2 ? 'not json' : '{"occupied":1}'));
    const warnings = () => lines.filter((line) => line.level === LEVELS.warn);
    assert.equal(warnings().length, 20, 'the first 20 of the interval');
    assert.ok(warnings().every((line) => line.msg.startsWith('rejected MQTT message:')));

    now += 10_000; // the next interval: its first rejection brings the summary of the last
    await ingest.handle('parking/lots/a/count', Buffer.from('still not json'));
    const summary = warnings().find((line) => typeof line.suppressed === 'number');
    assert.ok(summary, 'a summary line');
    assert.equal(summary.suppressed, 1980);
    assert.deepEqual(summary.byKind, { unknown_lot: 990, malformed_payload: 990 });
    assert.match(summary.msg, /1980 more rejected MQTT messages not logged/);
    assert.equal(warnings().length, 22, 'the summary, and the new interval\'s first rejection');
    assert.match(await metrics.registry.metrics(), /kongwei_events_rejected_total\{reason="malformed_payload"\} 1001/);
    ingest.stop();
  });
});
