// Catalog sync across instances: a lot another instance changed is read
// again from SQL; a read that fails (SQL down or restarting) is tried again
// until it succeeds, so the cache catches up by itself (DESIGN.md §2).
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { Bus } from '../../server/bus.ts';
import type { Catalog } from '../../server/catalog/catalog.ts';
import { CatalogSync } from '../../server/catalog/sync.ts';
import { createLogger } from '../../server/log.ts';
import { eventually } from '../helpers/app.ts';
import { cleanRedisPrefix, REDIS_TEST_URL, requireService, uniqueName } from '../helpers/services.ts';

describe('catalog sync (real Redis)', function () {
  this.timeout(20_000);
  before(async function () {
    await requireService(this, 'redis');
  });

  it('reads a lot another instance announced again and again while SQL fails, until it succeeds', async () => {
    const prefix = `${uniqueName('kwtest:')}:`;
    const reads: string[] = [];
    let failures = 3;
    const catalog = {
      resync: async () => 0,
      syncLot: async (id: string) => {
        reads.push(id);
        if (failures-- > 0) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
      },
    } as unknown as Catalog;
    const log = createLogger('silent');
    const sync = new CatalogSync({ url: REDIS_TEST_URL, keyPrefix: prefix, catalog, bus: new Bus(log), log });
    const peer = new Redis(REDIS_TEST_URL);
    try {
      await sync.start();
      await peer.publish(`${prefix}catalog`, JSON.stringify({ origin: 'another-instance', id: 'hangzhou-rd-7' }));
      await eventually(() => reads.length === 4, 10_000, 'three failed reads, then one that succeeds');
      assert.deepEqual(reads, ['hangzhou-rd-7', 'hangzhou-rd-7', 'hangzhou-rd-7', 'hangzhou-rd-7']);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(reads.length, 4, 'and no more once it succeeded');
    } finally {
      await sync.stop();
      peer.disconnect();
      await cleanRedisPrefix(prefix);
    }
  });

  it('stops retrying when it stops', async () => {
    const prefix = `${uniqueName('kwtest:')}:`;
    let reads = 0;
    const catalog = {
      resync: async () => 0,
      syncLot: async () => {
        reads++;
        throw new Error('Connection terminated unexpectedly');
      },
    } as unknown as Catalog;
    const log = createLogger('silent');
    const sync = new CatalogSync({ url: REDIS_TEST_URL, keyPrefix: prefix, catalog, bus: new Bus(log), log });
    const peer = new Redis(REDIS_TEST_URL);
    try {
      await sync.start();
      await peer.publish(`${prefix}catalog`, JSON.stringify({ origin: 'another-instance', id: 'nanfeng-rd' }));
      await eventually(() => reads >= 2, 10_000, 'retrying');
      await sync.stop();
      const atStop = reads;
      await new Promise((r) => setTimeout(r, 1000));
      assert.equal(reads, atStop);
    } finally {
      await sync.stop();
      peer.disconnect();
      await cleanRedisPrefix(prefix);
    }
  });
});
