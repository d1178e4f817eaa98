// The one follower of the live store's feed: the in-memory mirror that searches, snapshots and the stale watch read.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Knex } from 'knex';
import { seedLots } from '../../db/seed.ts';
import { Bus } from '../../server/bus.ts';
import { Catalog } from '../../server/catalog/catalog.ts';
import { createDatabase, migrate } from '../../server/catalog/db.ts';
import type { CountEvent, LiveState } from '../../server/domain/live.ts';
import { LiveFeed } from '../../server/live/feed.ts';
import { MemoryLiveStore } from '../../server/live/memory-store.ts';
import { createLogger } from '../../server/log.ts';

const T0 = Date.parse('2026-11-28T08:00:00Z');
const count = (lotId: string, occupied: number, ts = T0): CountEvent => ({ lotId, ts, seq: null, occupied, free: null, capacity: null, receivedAt: ts });

/** A store whose reads can be held back, to change things while the mirror is reading. */
class SlowStore extends MemoryLiveStore {
  gate: Promise<void> | undefined;
  override async getMany(ids: readonly string[]): Promise<Map<string, LiveState>> {
    const snapshot = await super.getMany(ids);
    await this.gate;
    return snapshot;
  }
}

describe('live: the feed and its mirror', () => {
  let dir: string;
  let db: Knex;
  let catalog: Catalog;
  let bus: Bus;
  let store: SlowStore;
  let mirror: LiveFeed;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kongwei-mirror-'));
    db = createDatabase({ dataDir: dir });
    await migrate(db);
    bus = new Bus();
    catalog = new Catalog({ db, bus, seed: seedLots() });
    await catalog.start();
    store = new SlowStore();
  });
  afterEach(async () => {
    mirror?.stop();
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const occupied = async (id: string) => (await mirror.getMany([id])).get(id)?.occupied;

  it('starts from the store and follows its feed', async () => {
    await store.applyCount(count('nanfeng-rd', 10), 150);
    mirror = new LiveFeed({ store, bus, lotIds: () => catalog.ids(), log: createLogger('silent') });
    await mirror.start();
    assert.equal(await occupied('nanfeng-rd'), 10);
    await store.applyCount(count('nanfeng-rd', 11, T0 + 1), 150);
    assert.equal(await occupied('nanfeng-rd'), 11);
    assert.equal((await mirror.getMany(['cruise-port'])).size, 0, 'no state, no entry');
  });

  it('keeps a change the feed brought while it was reading the store', async () => {
    await store.applyCount(count('nanfeng-rd', 10), 150);
    mirror = new LiveFeed({ store, bus, lotIds: () => catalog.ids(), log: createLogger('silent') });
    await mirror.start();
    let release!: () => void;
    store.gate = new Promise((r) => (release = r));
    const reloading = mirror.reload();
    await store.applyCount(count('nanfeng-rd', 12, T0 + 1), 150); // after the read, before it lands
    release();
    await reloading;
    assert.equal(await occupied('nanfeng-rd'), 12);
  });

  it('forgets a lot deleted from the catalog, and what the store lost on a reload', async () => {
    await store.applyCount(count('nanfeng-rd', 10), 150);
    await store.applyCount(count('cruise-port', 5), 300);
    mirror = new LiveFeed({ store, bus, lotIds: () => catalog.ids(), log: createLogger('silent') });
    await mirror.start();
    catalog.apply({ kind: 'removed', lot: catalog.get('nanfeng-rd')! });
    assert.equal(await occupied('nanfeng-rd'), undefined);
    await store.deleteLot('cruise-port'); // as if Redis had lost it
    store.emit('resync');
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(await occupied('cruise-port'), undefined);
  });
});
