// Who holds which MQTT ingest session, in Redis (DESIGN.md §3, "An instance
// that stops"): every instance in a shared group registers its client id and
// holds a lease on it while it runs. A session whose lease has run out
// belongs to an instance that stopped; another instance may take the lease
// and drain it. Keys: `<prefix>{ingest}:sessions` (hash: client id → its number
// of connections) and `<prefix>{ingest}:lease:<client id>` (the holder, with a
// TTL), hash-tagged into one slot so the scripts and MGET work on a Redis Cluster too.
import { randomUUID } from 'node:crypto';
import { connectRedis, type RedisClient, type RedisTarget } from '../redis.ts';

export interface SessionRegistryOptions extends RedisTarget {
  keyPrefix: string;
  /** How long a lease lasts without a refresh. */
  leaseMs: number;
}

/** A registered session: its base client id and how many connections (`id`, `id#2`, …) it has. */
export interface RegisteredSession {
  clientId: string;
  connections: number;
}

// Only the holder may extend or drop a lease; only the holder of a lease may retire its session.
const EXTEND = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0";
const RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";
const RETIRE = "if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) return redis.call('HDEL', KEYS[2], ARGV[2]) end return 0";

export class SessionRegistry {
  /** This instance, as lease holder. */
  readonly holder = randomUUID();
  private redis: RedisClient | undefined;
  private readonly sessionsKey: string;

  constructor(private readonly options: SessionRegistryOptions) {
    this.sessionsKey = `${options.keyPrefix}{ingest}:sessions`;
  }

  private leaseKey(clientId: string): string {
    return `${this.options.keyPrefix}{ingest}:lease:${clientId}`;
  }

  private get client(): RedisClient {
    if (!this.redis) throw new Error('session registry not started');
    return this.redis;
  }

  async start(): Promise<void> {
    this.redis = connectRedis(this.options, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: (attempt: number) => Math.min(100 * attempt, 2000) });
    this.redis.on('error', () => {});
    await this.redis.connect();
  }

  async stop(): Promise<void> {
    await this.redis?.quit().catch(() => {});
    this.redis?.disconnect();
  }

  /** Registers this instance's own session and takes its lease, whoever held it (an owner always wins it back). */
  async own(session: RegisteredSession): Promise<void> {
    await this.client.multi().set(this.leaseKey(session.clientId), this.holder, 'PX', this.options.leaseMs).hset(this.sessionsKey, session.clientId, String(session.connections)).exec();
  }

  /** Takes the lease of a session nobody holds; false if someone does. */
  async take(clientId: string): Promise<boolean> {
    return (await this.client.set(this.leaseKey(clientId), this.holder, 'PX', this.options.leaseMs, 'NX')) === 'OK';
  }

  /** Extends a lease this instance holds; false if it no longer holds it. */
  async extend(clientId: string): Promise<boolean> {
    return (await this.client.eval(EXTEND, 1, this.leaseKey(clientId), this.holder, String(this.options.leaseMs))) === 1;
  }

  /** Drops a lease this instance holds (stopping, or giving up a session). */
  async release(clientId: string): Promise<void> {
    await this.client.eval(RELEASE, 1, this.leaseKey(clientId), this.holder);
  }

  /** Forgets a drained session (the broker has discarded it): only while this instance holds its lease. */
  async retire(clientId: string): Promise<boolean> {
    return (await this.client.eval(RETIRE, 2, this.leaseKey(clientId), this.sessionsKey, this.holder, clientId)) === 1;
  }

  /** Registered sessions nobody holds a lease on. */
  async unheld(): Promise<RegisteredSession[]> {
    const sessions = await this.client.hgetall(this.sessionsKey);
    const ids = Object.keys(sessions);
    if (ids.length === 0) return [];
    const holders = await this.client.mget(ids.map((id) => this.leaseKey(id)));
    return ids.filter((_, i) => holders[i] === null).map((clientId) => ({ clientId, connections: Math.max(1, Number(sessions[clientId]) || 1) }));
  }
}
