// The ingest stage on its own: every kind of message, gateway statuses,
// rejections with reasons, and pausing while the live store is down.
import assert from 'node:assert/strict';
import { Bus } from '../../server/bus.ts';
import type { Catalog } from '../../server/catalog/catalog.ts';
import type { CountEvent, GateEvent } from '../../server/domain/live.ts';
import { Ingest, IngestStoppedError, type IngestResult } from '../../server/ingest/ingest.ts';
import { MemoryLiveStore } from '../../server/live/memory-store.ts';
import { LiveStoreRefusal } from '../../server/live/store.ts';
import { createLogger } from '../../server/log.ts';
import { Metrics } from '../../server/metrics.ts';
import { seededCatalog } from '../helpers/catalog.ts';

const NOW = Date.parse('2026-11-28T08:00:00Z');

/** A store that fails while `down` is true, like Redis during an outage. */
class FlakyStore extends MemoryLiveStore {
  down = false;
  refuses = false;
  attempts = 0;
  override async applyCount(event: CountEvent, capacity: number) {
    this.attempts++;
    if (this.refuses) throw new LiveStoreRefusal('ERR user_script:1: attempt to compare number with nil');
    if (this.down) throw new Error('connection is closed');
    return super.applyCount(event, capacity);
  }
  override async applyGate(event: GateEvent, capacity: number) {
    this.attempts++;
    if (this.down) throw new Error('connection is closed');
    return super.applyGate(event, capacity);
  }
}

describe('ingest', () => {
  let catalog: Catalog;
  let closeCatalog = async () => {};
  let store: FlakyStore;
  let metrics: Metrics;
  let ingest: Ingest;
  const rejections: { result: IngestResult; publisher: string | undefined }[] = [];
  const appliedLots: string[] = [];
  const assigned = new Map<string, string[]>([['gw-sql', ['hangzhou-rd-7', 'no-longer-in-catalog']]]);

  before(async () => {
    ({ catalog, close: closeCatalog } = await seededCatalog());
  });
  after(() => closeCatalog());
  beforeEach(() => {
    store = new FlakyStore();
    metrics = new Metrics();
    metrics.trackGatewaysOnline(() => store.gatewaysOnline());
    rejections.length = 0;
    appliedLots.length = 0;
    const bus = new Bus();
    bus.on('message.rejected', (result, _payload, publisher) => rejections.push({ result, publisher }));
    bus.on('lot.applied', (lots) => appliedLots.push(...lots.map((lot) => lot.id)));
    ingest = new Ingest({
      baseTopic: 'parking', catalog, store, bus, metrics, log: createLogger('silent'), clock: () => NOW,
      assignedLots: { lotIdsOf: async (gatewayId) => assigned.get(gatewayId) ?? [] },
    });
    ingest.start();
  });

  const handle = (topic: string, payload: string, publisher?: string) => ingest.handle(topic, Buffer.from(payload), publisher);
  const live = async (id: string) => (await store.getMany([id])).get(id);
  const metric = (name: string) => metrics.registry.getSingleMetricAsString(name);

  it('applies a count for a known lot', async () => {
    assert.deepEqual(await handle('parking/lots/hangzhou-rd-7/count', '{"occupied":10}'), { status: 'applied', kind: 'count', lotId: 'hangzhou-rd-7' });
    assert.equal((await store.getMany(['hangzhou-rd-7'])).get('hangzhou-rd-7')!.occupied, 10);
  });

  it('applies gate events, bay sensors and heartbeats, and tells which lots changed', async () => {
    assert.equal((await handle('parking/lots/nanfeng-rd/gate', '{"event":"entry","count":2,"gate":"n","seq":1}')).status, 'applied');
    assert.equal((await handle('parking/lots/nanfeng-rd/gate', '{"event":"entry","count":2,"gate":"n","seq":1}')).status, 'duplicate');
    assert.equal((await live('nanfeng-rd'))!.occupied, 2);
    assert.deepEqual(await handle('parking/lots/cruise-port/spaces/b1', '{"occupied":true}'), { status: 'applied', kind: 'space', lotId: 'cruise-port' });
    // One bay of a 300-space lot with no count: the bay's state is kept, the lot's total is not known.
    assert.deepEqual([(await live('cruise-port'))!.occupied, (await store.getBays('cruise-port')).get('b1')?.occupied], [null, true]);
    assert.equal((await handle('parking/lots/liaocheng-rd/heartbeat', '')).status, 'applied');
    assert.equal((await live('liaocheng-rd'))!.aliveAt, NOW);
    assert.deepEqual(appliedLots, ['nanfeng-rd', 'cruise-port', 'liaocheng-rd']);
    assert.match(await metric('kongwei_events_total'), /kind="gate",outcome="duplicate"\} 1$/m);
    assert.match(await metric('kongwei_ingest_lag_seconds'), /kongwei_ingest_lag_seconds_count 3/);
  });

  it('turns the lots of a gateway that goes offline stale — assigned in SQL or learned from its traffic — and back', async () => {
    await handle('parking/lots/nanfeng-rd/count', '{"occupied":3}', 'gw-sql');
    await handle('parking/lots/hangzhou-rd-7/count', '{"occupied":3}');
    const result = await handle('parking/gateways/gw-sql/status', '{"state":"offline"}');
    assert.deepEqual(result, { status: 'applied', kind: 'status', gatewayId: 'gw-sql', online: false, lotIds: ['hangzhou-rd-7', 'nanfeng-rd'] });
    assert.equal((await live('nanfeng-rd'))!.offline, true);
    assert.equal((await live('hangzhou-rd-7'))!.offline, true);
    await handle('parking/gateways/gw-sql/status', 'online');
    assert.equal((await live('nanfeng-rd'))!.offline, false);
    assert.equal(await store.gatewaysOnline(), 1);
    await handle('parking/gateways/gw-other/status', '{"state":"online"}');
    assert.match(await metric('kongwei_gateways_online'), /kongwei_gateways_online 2/);
    assert.match(await metric('kongwei_events_total'), /kind="status",outcome="applied"\} 3/);
  });

  it('learns only from publishers with a valid gateway id', async () => {
    await handle('parking/lots/nanfeng-rd/count', '{"occupied":3}', 'mqttjs_4f2a');
    assert.deepEqual(await store.gatewayLots('mqttjs_4f2a'), []);
    await handle('parking/lots/nanfeng-rd/heartbeat', '', 'gw-9');
    assert.deepEqual(await store.gatewayLots('gw-9'), ['nanfeng-rd']);
  });

  const bad: [string, string, string][] = [
    ['parking/lots/no-such-lot/count', '{"occupied":1}', 'unknown_lot'],
    ['parking/lots/NOPE/count', '{"occupied":1}', 'malformed_topic'],
    ['parking/lots/hangzhou-rd-7/count', '{"occupied":', 'malformed_payload'],
    ['parking/lots/hangzhou-rd-7/count', '{"occupied":"ten"}', 'invalid_payload'],
    ['parking/lots/hangzhou-rd-7/count', `{"occupied":1,"ts":${NOW + 3_600_000}}`, 'future_timestamp'],
    ['parking/lots/hangzhou-rd-7/gate', '{"event":"entry"}', 'invalid_payload'],
    ['parking/lots/hangzhou-rd-7/spaces/Bay 1', '{"occupied":true}', 'malformed_topic'],
    ['parking/lots/hangzhou-rd-7/availability', '{"free":3}', 'reserved_topic'],
    ['parking/gateways/gw-1/status', '{"state":"asleep"}', 'invalid_payload'],
  ];
  for (const [topic, payload, reason] of bad) {
    it(`rejects ${topic} ${payload} → ${reason}, counted, state unchanged`, async () => {
      const result = await handle(topic, payload, 'gw-1');
      assert.equal(result.status, 'rejected');
      assert.equal((result as { reason: string }).reason, reason);
      assert.deepEqual(rejections.map((r) => r.publisher), ['gw-1']);
      assert.equal(store.attempts, 0);
      const metric = await metrics.registry.getSingleMetricAsString('kongwei_events_rejected_total');
      assert.match(metric, new RegExp(`reason="${reason}"} 1$`, 'm'));
    });
  }

  it('rejects an event the live store refuses for good → store_refused, at once, without retrying', async () => {
    store.refuses = true;
    const result = await handle('parking/lots/nanfeng-rd/count', '{"occupied":42}');
    assert.deepEqual([result.status, (result as { reason: string }).reason], ['rejected', 'store_refused']);
    assert.equal(store.attempts, 1, 'no retries');
    store.refuses = false;
    assert.equal((await handle('parking/lots/nanfeng-rd/count', '{"occupied":43}')).status, 'applied', 'the next event goes through');
  });

  it('pauses while the live store is down and commits once it is back (nothing acknowledged early)', async () => {
    store.down = true;
    let settled = false;
    const pending = handle('parking/lots/nanfeng-rd/count', '{"occupied":42}').then((r) => {
      settled = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(settled, false, 'must not resolve (and so not be acknowledged) while the store is down');
    assert.ok(store.attempts >= 2, 'retries');
    store.down = false;
    assert.deepEqual(await pending, { status: 'applied', kind: 'count', lotId: 'nanfeng-rd' });
    assert.equal((await store.getMany(['nanfeng-rd'])).get('nanfeng-rd')!.occupied, 42);
  });

  it('pauses a gate event too while the store is down, and applies it once', async () => {
    store.down = true;
    const pending = handle('parking/lots/nanfeng-rd/gate', '{"event":"entry","gate":"n","seq":9}');
    await new Promise((r) => setTimeout(r, 200));
    store.down = false;
    assert.equal((await pending).status, 'applied');
    assert.equal((await handle('parking/lots/nanfeng-rd/gate', '{"event":"entry","gate":"n","seq":9}')).status, 'duplicate');
    assert.equal((await live('nanfeng-rd'))!.occupied, 1);
  });

  it('gives up without committing when stopped during an outage → not acknowledged', async () => {
    store.down = true;
    const pending = handle('parking/lots/nanfeng-rd/count', '{"occupied":42}');
    await new Promise((r) => setTimeout(r, 100));
    ingest.stop();
    await assert.rejects(pending, IngestStoppedError);
    assert.equal((await store.getMany(['nanfeng-rd'])).size, 0);
  });
});
