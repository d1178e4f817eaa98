// Where the live state lives: one Redis (REDIS_URL), or a Redis Cluster
// (REDIS_CLUSTER_NODES). One place makes the connections, so the live store
// and the catalog sync speak to either the same way.
//
// Commands: with a cluster, ioredis' Cluster client sends each command to the
// master of its key's slot (every key of a lot is hash-tagged `{lot:<id>}`,
// so each script touches one slot) and follows MOVED/ASK during resharding
// and failover.
//
// The change feed and the catalog announcements are classic pub/sub, which a
// Redis Cluster forwards to every node over its bus: a message PUBLISHed by a
// script on any shard reaches a subscriber on any node. Sharded pub/sub
// (SPUBLISH) was not chosen: a shard channel lives in one slot, so a script
// could only announce on a channel of its own lot's slot, and every instance
// (which mirrors every lot) would have to subscribe to a channel per slot on
// every shard — for messages every instance needs anyway. So one subscriber
// connection per instance, to one node; when that node goes away, the next
// node of the list is tried, and readers are told to reload.
import { Cluster, Redis, type RedisOptions } from 'ioredis';

export interface RedisTarget {
  /** One Redis; with `clusterNodes`, only its credentials are used. */
  url?: string | undefined;
  /** Some nodes of a Redis Cluster, `host:port`. */
  clusterNodes?: readonly string[] | undefined;
}

export type RedisClient = Redis | Cluster;

function nodeOf(hostPort: string): { host: string; port: number } {
  const at = hostPort.lastIndexOf(':');
  return { host: hostPort.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(hostPort.slice(at + 1)) };
}

function credentials(url: string | undefined): Pick<RedisOptions, 'username' | 'password'> {
  if (!url) return {};
  const parsed = new URL(url);
  return {
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
  };
}

/** A command connection: a Redis, or a Cluster client whose node connections get `options`. */
export function connectRedis(target: RedisTarget, options: RedisOptions & { enableAutoPipelining?: boolean }): RedisClient {
  if (!target.clusterNodes?.length) {
    if (!target.url) throw new Error('a Redis target needs REDIS_URL or REDIS_CLUSTER_NODES');
    return new Redis(target.url, options);
  }
  const { enableAutoPipelining, enableOfflineQueue, lazyConnect, maxRetriesPerRequest, retryStrategy, ...node } = options;
  return new Cluster(target.clusterNodes.map(nodeOf), {
    enableAutoPipelining: enableAutoPipelining ?? false,
    enableOfflineQueue: enableOfflineQueue ?? true,
    lazyConnect: lazyConnect ?? false,
    scaleReads: 'master',
    // During a failover the slot has no master for a moment: retry there instead of failing at once.
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 200,
    maxRedirections: 16,
    clusterRetryStrategy: (attempt: number) => (retryStrategy ? (retryStrategy(attempt) as number | null) : Math.min(100 * attempt, 2000)),
    redisOptions: { ...node, ...credentials(target.url), ...(maxRetriesPerRequest !== undefined ? { maxRetriesPerRequest } : {}) },
  });
}

/** Whether commands of several keys in one pipeline must share a slot (a cluster). */
export const isCluster = (client: RedisClient): client is Cluster => client instanceof Cluster;

/**
 * One subscriber connection that follows a cluster: to the first node that
 * answers; when it drops, it reconnects (to the same node, or the next one of
 * the list) and calls `onReconnect`, since messages published meanwhile were missed.
 */
export class FeedSubscriber {
  private connection: Redis | undefined;
  private nodeIndex = 0;
  private stopped = false;
  private connectedBefore = false;
  private readonly channels = new Set<string>();

  constructor(
    private readonly target: RedisTarget,
    private readonly handlers: { message: (channel: string, message: string) => void; reconnect: () => void },
  ) {}

  async start(channels: readonly string[]): Promise<void> {
    for (const channel of channels) this.channels.add(channel);
    await this.open();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const connection = this.connection;
    await connection?.quit().catch(() => {});
    connection?.disconnect();
  }

  private urlOfNode(): string {
    const nodes = this.target.clusterNodes ?? [];
    if (nodes.length === 0) return this.target.url!;
    const { host, port } = nodeOf(nodes[this.nodeIndex % nodes.length]!);
    return `redis://${host.includes(':') ? `[${host}]` : host}:${port}`;
  }

  private async open(): Promise<void> {
    const cluster = (this.target.clusterNodes?.length ?? 0) > 0;
    let failures = 0;
    const connection = new Redis(this.urlOfNode(), {
      ...credentials(this.target.url),
      lazyConnect: true,
      // ioredis re-sends SUBSCRIBE itself after a reconnection to the same node.
      enableOfflineQueue: true,
      maxRetriesPerRequest: null,
      retryStrategy: (attempt) => {
        failures = attempt;
        // A cluster node that stays away: move on to the next node instead.
        if (cluster && attempt > 5) return null;
        return Math.min(100 * attempt, 2000);
      },
    });
    connection.on('error', () => {});
    connection.on('message', (channel: string, message: string) => this.handlers.message(channel, message));
    connection.on('ready', () => {
      if (this.connectedBefore) this.handlers.reconnect();
      this.connectedBefore = true;
      failures = 0;
    });
    connection.on('end', () => {
      if (this.stopped || connection !== this.connection) return;
      this.nodeIndex++;
      setTimeout(() => void this.open().catch(() => this.scheduleRetry()), Math.min(100 * failures, 1000)).unref();
    });
    this.connection = connection;
    await connection.connect();
    await connection.subscribe(...this.channels);
  }

  private scheduleRetry(): void {
    if (this.stopped) return;
    this.nodeIndex++;
    setTimeout(() => void this.open().catch(() => this.scheduleRetry()), 1000).unref();
  }
}
