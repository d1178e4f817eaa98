// Lots turn stale with time: the watch notices without anyone reading, and of
// several instances exactly one announces each transition.
import assert from 'node:assert/strict';
import type { LiveChange } from '../../server/domain/live.ts';
import { Bus } from '../../server/bus.ts';
import { StaleWatch } from '../../server/clock/stale-watch.ts';
import { LiveFeed } from '../../server/live/feed.ts';
import { MemoryLiveStore } from '../../server/live/memory-store.ts';
import { createLogger } from '../../server/log.ts';
import { Metrics } from '../../server/metrics.ts';
import { catalogOf, lotMeta } from '../helpers/catalog.ts';

const T0 = Date.parse('2026-11-28T08:00:00Z');

describe('stale watch', () => {
  let now: number;
  let store: MemoryLiveStore;
  let changes: LiveChange[];
  const catalog = catalogOf([lotMeta('a'), lotMeta('quick', { staleAfterS: 60 })]);
  /** A watch as one instance runs it: its own bus and its own follower of the store's feed. */
  const watch = (claimed: string[]) => {
    const bus = new Bus();
    bus.on('stale.claimed', (ids) => claimed.push(...ids));
    const feed = new LiveFeed({ store, bus, lotIds: () => catalog.ids(), log: createLogger('silent') });
    const w = new StaleWatch({ catalog, store, feed, bus, staleAfterS: 900, metrics: new Metrics(), clock: () => now, intervalMs: 60_000 });
    return {
      start: async () => {
        await feed.start();
        w.start();
      },
      tick: () => w.tick(),
      stop: () => {
        w.stop();
        feed.stop();
      },
    };
  };

  beforeEach(async () => {
    now = T0;
    store = new MemoryLiveStore();
    changes = [];
    store.on('change', (c) => changes.push(...c));
    await store.applyCount({ lotId: 'a', ts: T0, seq: null, occupied: 3, free: null, capacity: null, receivedAt: T0 }, 32);
    await store.applyCount({ lotId: 'quick', ts: T0, seq: null, occupied: 3, free: null, capacity: null, receivedAt: T0 }, 32);
  });

  it('announces a lot going stale once its threshold passes (per-lot override first), and only once', async () => {
    const claimed: string[] = [];
    const w = watch(claimed);
    await w.start();
    try {
      now = T0 + 60_000;
      await w.tick();
      assert.deepEqual(claimed, [], 'not yet: exactly at the threshold');
      now = T0 + 61_000;
      await w.tick();
      assert.deepEqual(claimed, ['quick']);
      now = T0 + 901_000;
      await w.tick();
      await w.tick();
      assert.deepEqual(claimed, ['quick', 'a']);
      assert.deepEqual(changes.filter((c) => c.staleMarked).map((c) => c.id), ['quick', 'a'], 'each announced on the feed');
    } finally {
      w.stop();
    }
  });

  it('starts over after the lot is heard from again (a heartbeat)', async () => {
    const claimed: string[] = [];
    const w = watch(claimed);
    await w.start();
    try {
      now = T0 + 61_000;
      await w.tick();
      await store.applyHeartbeat({ lotId: 'quick', ts: now, receivedAt: now }, 32);
      await w.tick();
      assert.deepEqual(claimed, ['quick']);
      now += 61_000;
      await w.tick();
      assert.deepEqual(claimed, ['quick', 'quick']);
    } finally {
      w.stop();
    }
  });

  it('lets one of several instances announce each transition', async () => {
    const claimed: string[][] = [[], [], []];
    const watches = claimed.map((list) => watch(list));
    for (const w of watches) await w.start();
    try {
      now = T0 + 901_000;
      await Promise.all(watches.map((w) => w.tick()));
      assert.deepEqual(claimed.flat().sort(), ['a', 'quick']);
    } finally {
      for (const w of watches) w.stop();
    }
  });
});
