// The live stores under test: the embedded one, and Redis with a key prefix of its own.
import { MemoryLiveStore } from '../../server/live/memory-store.ts';
import { RedisLiveStore } from '../../server/live/redis-store.ts';
import type { LiveStore } from '../../server/live/store.ts';
import { sharedCluster } from '../helpers/cluster.ts';
import { cleanRedisPrefix, REDIS_TEST_URL, requireService, uniqueName } from '../helpers/services.ts';

export interface StoreUnderTest {
  name: 'memory' | 'redis' | 'redis-cluster';
  /** Skips (or, under CI, fails) when the store's service is missing. */
  require(ctx: Mocha.Context): Promise<void>;
  create(): Promise<LiveStore>;
  cleanup(): Promise<void>;
}

export const storesUnderTest: StoreUnderTest[] = [
  {
    name: 'memory',
    require: async () => {},
    create: async () => {
      const store = new MemoryLiveStore();
      await store.start();
      return store;
    },
    cleanup: async () => {},
  },
  (() => {
    const prefix = uniqueName('kwtest:');
    return {
      name: 'redis' as const,
      require: (ctx: Mocha.Context) => requireService(ctx, 'redis'),
      create: async () => {
        const store = new RedisLiveStore({ url: REDIS_TEST_URL, keyPrefix: `${uniqueName(prefix)}:` });
        await store.start();
        return store;
      },
      cleanup: () => cleanRedisPrefix(prefix),
    };
  })(),
  (() => {
    const cluster = sharedCluster();
    return {
      name: 'redis-cluster' as const,
      require: (ctx: Mocha.Context) => cluster.acquire(ctx),
      create: async () => {
        const store = new RedisLiveStore({ clusterNodes: cluster.addresses, keyPrefix: `${uniqueName('kwtest:')}:` });
        await store.start();
        return store;
      },
      cleanup: () => cluster.release(),
    };
  })(),
];
