// One private Redis Cluster (three masters, three replicas) shared by the
// suites that run the live store on it: started by the first suite that needs
// it, removed when the last one is done. Skipped with a visible reason where
// redis-server or redis-cli is missing, except under CI=true.
import { installed, PrivateRedisCluster } from './private-services.ts';

const inCI = () => process.env.CI === 'true' || process.env.CI === '1';

export interface SharedCluster {
  /** Call in a `before` hook: starts the cluster (or skips the suite). */
  acquire(ctx: Mocha.Context): Promise<void>;
  /** Call in the matching `after` hook. */
  release(): Promise<void>;
  readonly addresses: string[];
  readonly cluster: PrivateRedisCluster | undefined;
}

let users = 0;
let started: Promise<PrivateRedisCluster> | undefined;
let current: PrivateRedisCluster | undefined;

export function sharedCluster(): SharedCluster {
  let acquired = false;
  return {
    async acquire(ctx) {
      if (!installed('redis-server') || !installed('redis-cli')) {
        const reason = 'redis-server and redis-cli are needed for the Redis Cluster tests (apt-get install redis-server)';
        if (inCI()) throw new Error(`${reason}; CI=true requires them`);
        console.warn(`      ⚠ skipped: ${reason}`);
        ctx.skip();
      }
      users++;
      acquired = true;
      started ??= (async () => {
        const cluster = new PrivateRedisCluster();
        try {
          await cluster.start();
        } catch (err) {
          await cluster.remove();
          throw err;
        }
        return cluster;
      })();
      ctx.timeout(60_000);
      current = await started;
    },
    async release() {
      if (!acquired) return;
      acquired = false;
      users--;
      if (users > 0 || !started) return;
      const cluster = await started.catch(() => undefined);
      started = undefined;
      current = undefined;
      await cluster?.remove();
    },
    get addresses() {
      if (!current) throw new Error('the shared Redis Cluster is not started (call acquire() in a before hook)');
      return current.addresses;
    },
    get cluster() {
      return current;
    },
  };
}
