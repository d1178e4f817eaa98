// The ingest stage on its own: rejections with reasons, and pausing while the
// live store is down.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Knex } from 'knex';
import { seedLots } from '../../db/seed.ts';
import { Catalog } from '../../server/catalog/catalog.ts';
import { createDatabase, migrate } from '../../server/catalog/db.ts';
import type { CountEvent } from '../../server/domain/live.ts';
import { Ingest, IngestStoppedError, type IngestResult } from '../../server/ingest/ingest.ts';
import { MemoryLiveStore } from '../../server/live/memory-store.ts';
import { createLogger } from '../../server/log.ts';
import { Metrics } from '../../server/metrics.ts';

const NOW = Date.parse('2026-11-28T08:00:00Z');

/** A store that fails while `down` is true, like Redis during an outage. */
class FlakyStore extends MemoryLiveStore {
  down = false;
  attempts = 0;
  override async applyCount(event: CountEvent, capacity: number) {
    this.attempts++;
    if (this.down) throw new Error('connection is closed');
    return super.applyCount(event, capacity);
  }
}

describe('ingest', () => {
  let dir: string;
  let db: Knex;
  let catalog: Catalog;
  let store: FlakyStore;
  let metrics: Metrics;
  let ingest: Ingest;
  const rejections: IngestResult[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kongwei-ingest-'));
    db = createDatabase({ dataDir: dir });
    await migrate(db);
    catalog = new Catalog(db);
    await catalog.start(seedLots());
  });
  after(async () => {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    store = new FlakyStore();
    metrics = new Metrics();
    rejections.length = 0;
    ingest = new Ingest({
      baseTopic: 'parking', catalog, store, metrics, log: createLogger('silent'), clock: () => NOW,
      onRejected: (r) => rejections.push(r),
    });
    ingest.start();
  });

  const handle = (topic: string, payload: string) => ingest.handle(topic, Buffer.from(payload));

  it('applies a count for a known lot', async () => {
    assert.deepEqual(await handle('parking/lots/hangzhou-rd-7/count', '{"occupied":10}'), { status: 'applied', kind: 'count', lotId: 'hangzhou-rd-7' });
    assert.equal((await store.getMany(['hangzhou-rd-7'])).get('hangzhou-rd-7')!.occupied, 10);
  });

  const bad: [string, string, string][] = [
    ['parking/lots/no-such-lot/count', '{"occupied":1}', 'unknown_lot'],
    ['parking/lots/NOPE/count', '{"occupied":1}', 'malformed_topic'],
    ['parking/lots/hangzhou-rd-7/count', '{"occupied":', 'malformed_payload'],
    ['parking/lots/hangzhou-rd-7/count', '{"occupied":"ten"}', 'invalid_payload'],
    ['parking/lots/hangzhou-rd-7/count', `{"occupied":1,"ts":${NOW + 3_600_000}}`, 'future_timestamp'],
  ];
  for (const [topic, payload, reason] of bad) {
    it(`rejects ${topic} ${payload} → ${reason}, counted, state unchanged`, async () => {
      const result = await handle(topic, payload);
      assert.equal(result.status, 'rejected');
      assert.equal((result as { reason: string }).reason, reason);
      assert.equal(rejections.length, 1);
      assert.equal(store.attempts, 0);
      const metric = await metrics.registry.getSingleMetricAsString('kongwei_events_rejected_total');
      assert.match(metric, new RegExp(`reason="${reason}"} 1`));
    });
  }

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

  it('gives up without committing when stopped during an outage → not acknowledged', async () => {
    store.down = true;
    const pending = handle('parking/lots/nanfeng-rd/count', '{"occupied":42}');
    await new Promise((r) => setTimeout(r, 100));
    ingest.stop();
    await assert.rejects(pending, IngestStoppedError);
    assert.equal((await store.getMany(['nanfeng-rd'])).size, 0);
  });
});
