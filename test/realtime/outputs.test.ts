// The service's MQTT outputs on their own: the retained availability of each
// lot, and the rate-limited errors topic.
import assert from 'node:assert/strict';
import { Bus } from '../../server/bus.ts';
import type { PublishOptions } from '../../server/ingest/transport.ts';
import { LiveFeed } from '../../server/live/feed.ts';
import { MemoryLiveStore } from '../../server/live/memory-store.ts';
import { createLogger } from '../../server/log.ts';
import { Metrics } from '../../server/metrics.ts';
import { LotViews } from '../../server/query/lot-views.ts';
import { AvailabilityOutput } from '../../server/realtime/availability-output.ts';
import { ErrorFeedbackPublisher } from '../../server/realtime/error-feedback.ts';
import { catalogOf, lotMeta } from '../helpers/catalog.ts';

const T0 = Date.parse('2026-11-28T08:00:00Z');

interface Published {
  topic: string;
  payload: string;
  options: PublishOptions;
}

describe('availability output', () => {
  let store: MemoryLiveStore;
  let published: Published[];
  let failing: boolean;
  let output: AvailabilityOutput;
  let feed: LiveFeed;

  beforeEach(async () => {
    store = new MemoryLiveStore();
    published = [];
    failing = false;
    const catalog = catalogOf([lotMeta('a', { capacity: 10 }), lotMeta('b', { status: 'closed' })]);
    const bus = new Bus();
    feed = new LiveFeed({ store, bus, lotIds: () => catalog.ids(), log: createLogger('silent') });
    await feed.start();
    output = new AvailabilityOutput({
      baseTopic: 'parking', catalog, feed, bus, views: new LotViews({ catalog, store, staleAfterS: 900, clock: () => T0 }),
      publish: async (topic, payload, options) => {
        if (failing) throw new Error('broker away');
        published.push({ topic, payload, options });
      },
      intervalMs: 60_000, log: createLogger('silent'), metrics: new Metrics(),
    });
  });
  afterEach(async () => {
    await output.stop();
    feed.stop();
  });

  it('publishes every lot at start, retained, QoS 1, with the live numbers', async () => {
    output.start();
    await output.flush();
    assert.deepEqual(published.map((p) => [p.topic, p.options]), [
      ['parking/lots/a/availability', { qos: 1, retain: true }],
      ['parking/lots/b/availability', { qos: 1, retain: true }],
    ]);
    assert.deepEqual(JSON.parse(published[0]!.payload), {
      id: 'a', status: 'open', capacity: 10, free: null, occupied: null, availability: 'unknown', stale: false, updatedAt: null, clamped: false,
    });
    assert.equal(JSON.parse(published[1]!.payload).availability, 'closed');
  });

  it('publishes a changed lot, and nothing when its numbers did not change', async () => {
    output.start();
    await output.flush();
    published.length = 0;
    await store.applyCount({ lotId: 'a', ts: T0, seq: null, occupied: 9, free: null, capacity: null, receivedAt: T0 }, 10);
    output.schedule(['a']);
    await output.flush();
    assert.deepEqual(published.map((p) => [p.topic, JSON.parse(p.payload).free, JSON.parse(p.payload).availability]), [
      ['parking/lots/a/availability', 1, 'almost_full'],
    ]);
    output.schedule(['a', 'b']);
    await output.flush();
    assert.equal(published.length, 1, 'unchanged: not published again');
  });

  it('tries again on the next flush when the broker is away', async () => {
    failing = true;
    output.start();
    await output.flush();
    assert.equal(published.length, 0);
    failing = false;
    await output.flush();
    assert.equal(published.length, 2);
  });
});

describe('errors topic', () => {
  let now: number;
  let sent: Published[];
  let metrics: Metrics;
  let feedback: ErrorFeedbackPublisher;
  const rejected = { status: 'rejected' as const, topic: 'parking/lots/a/count', reason: 'malformed_payload' as const, message: 'payload is not valid JSON' };

  beforeEach(() => {
    now = T0;
    sent = [];
    metrics = new Metrics();
    feedback = new ErrorFeedbackPublisher({
      baseTopic: 'parking', metrics, clock: () => now,
      publish: async (topic, payload, options) => void sent.push({ topic, payload, options }),
      perTopic: { ratePerS: 1, burst: 3 }, overall: { ratePerS: 10, burst: 5 },
    });
  });

  it("tells a known publisher on its own errors topic, others on {base}/errors, with the payload's start", () => {
    feedback.report(rejected, Buffer.from('x'.repeat(500)), 'gw-1');
    feedback.report(rejected, Buffer.from('{'), undefined);
    assert.deepEqual(sent.map((s) => [s.topic, s.options]), [
      ['parking/gateways/gw-1/errors', { qos: 0, retain: false }],
      ['parking/errors', { qos: 0, retain: false }],
    ]);
    const body = JSON.parse(sent[0]!.payload);
    assert.deepEqual(Object.keys(body), ['topic', 'reason', 'error', 'payload']);
    assert.deepEqual([body.topic, body.reason, body.error, body.payload.length], ['parking/lots/a/count', 'malformed_payload', 'payload is not valid JSON', 200]);
  });

  it('rate-limits each errors topic and all of them together, counting what it drops', async () => {
    for (let i = 0; i < 10; i++) feedback.report(rejected, Buffer.from('x'), 'gw-1');
    assert.equal(sent.length, 3, 'the burst of one topic');
    for (let i = 0; i < 10; i++) feedback.report(rejected, Buffer.from('x'), `gw-${i + 10}`);
    assert.equal(sent.length, 5, 'the overall burst');
    now += 1000;
    feedback.report(rejected, Buffer.from('x'), 'gw-1');
    assert.equal(sent.length, 6, 'refilled after a second');
    assert.match(await metrics.registry.getSingleMetricAsString('kongwei_error_feedback_dropped_total'), / 15$/);
  });
});
