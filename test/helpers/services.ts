// The real services the integration tests use, and what happens when one is
// missing: the suite is skipped with a visible reason, except with CI=true,
// where a missing service fails the run.
import { randomBytes } from 'node:crypto';
import { Socket } from 'node:net';
import pg from 'pg';
import { Redis } from 'ioredis';

export const REDIS_TEST_URL = process.env.REDIS_TEST_URL ?? 'redis://127.0.0.1:6379';
export const MQTT_TEST_URL = process.env.MQTT_TEST_URL ?? 'mqtt://127.0.0.1:1883';
export const PG_TEST_URL = process.env.PG_TEST_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const inCI = () => process.env.CI === 'true' || process.env.CI === '1';

export function uniqueName(prefix: string): string {
  return `${prefix}${randomBytes(4).toString('hex')}`;
}

/** Whether something accepts TCP connections at the URL's host and port. */
export async function tcpAnswers(url: string, defaultPort: number): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(Number(port) || defaultPort, hostname, () => done(true));
  });
}

const checks: Record<string, () => Promise<boolean>> = {
  redis: async () => {
    const redis = new Redis(REDIS_TEST_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    redis.on('error', () => {});
    try {
      await redis.connect();
      return (await redis.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      redis.disconnect();
    }
  },
  mosquitto: () => tcpAnswers(MQTT_TEST_URL, 1883),
  postgresql: async () => {
    const client = new pg.Client({ connectionString: PG_TEST_URL, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      await client.query('select 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => {});
    }
  },
};

const answers = new Map<string, Promise<boolean>>();

/**
 * Call in a `before` hook: skips the suite when the service does not answer
 * (failing instead under CI=true).
 */
export async function requireService(ctx: Mocha.Context, name: keyof typeof checks): Promise<void> {
  if (!answers.has(name)) answers.set(name, checks[name]!());
  if (await answers.get(name)!) return;
  const reason = `${name} is not answering (${name === 'redis' ? REDIS_TEST_URL : name === 'mosquitto' ? MQTT_TEST_URL : PG_TEST_URL})`;
  if (inCI()) throw new Error(`${reason}; CI=true requires it`);
  console.warn(`      ⚠ skipped: ${reason}`);
  ctx.skip();
}

/** A fresh PostgreSQL database for one suite; drop() removes it. */
export async function createTestDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = uniqueName('kongwei_test_');
  const admin = new pg.Client({ connectionString: PG_TEST_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(PG_TEST_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: PG_TEST_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** Deletes every Redis key under a test prefix. */
export async function cleanRedisPrefix(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_TEST_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

export interface ProductionEnvironment {
  /** DATABASE_URL, REDIS_URL, REDIS_KEY_PREFIX, MQTT_URL and MQTT_BASE_TOPIC for this suite alone. */
  env: Record<string, string>;
  /** The suite's MQTT base topic. */
  base: string;
  /** The suite's Redis key prefix (with its colon). */
  prefix: string;
  /** Drops the database and the Redis keys. */
  cleanup(): Promise<void>;
}

/**
 * The production parts for one suite (PostgreSQL, Redis, Mosquitto), each
 * answering or the suite skipped (failed under CI=true): a database of its
 * own, a Redis key prefix and an MQTT base topic of its own.
 */
export async function productionEnvironment(ctx: Mocha.Context): Promise<ProductionEnvironment> {
  await requireService(ctx, 'postgresql');
  await requireService(ctx, 'redis');
  await requireService(ctx, 'mosquitto');
  const db = await createTestDatabase();
  const prefix = `${uniqueName('kwtest:')}:`;
  const base = uniqueName('kwtest-');
  return {
    env: { DATABASE_URL: db.url, REDIS_URL: REDIS_TEST_URL, REDIS_KEY_PREFIX: prefix, MQTT_URL: MQTT_TEST_URL, MQTT_BASE_TOPIC: base },
    base,
    prefix,
    cleanup: async () => {
      await db.drop();
      await cleanRedisPrefix(prefix);
    },
  };
}
