// Exactly once across failures, with real parts: the service killed with
// SIGKILL in the middle of a burst of gate events, Redis restarted
// mid-stream, the broker restarted mid-stream. Each time the final count is
// exact. The broker (and, for its restart, Redis) are private instances this
// test starts and kills; the machine's shared services are never restarted.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import mqtt, { type MqttClient } from 'mqtt';
import { eventually, getJson, startApp, type TestApp } from '../helpers/app.ts';
import { installed, PrivateMosquitto, PrivateRedis } from '../helpers/private-services.ts';
import { cleanRedisPrefix, REDIS_TEST_URL, requireService, uniqueName } from '../helpers/services.ts';

const LOT = 'cruise-port';
const CAPACITY = 100_000;

function requirePrograms(ctx: Mocha.Context, ...programs: string[]): void {
  const missing = programs.filter((p) => !installed(p));
  if (missing.length === 0) return;
  const reason = `${missing.join(' and ')} not installed (apt-get install -y redis-server mosquitto)`;
  if (process.env.CI === 'true' || process.env.CI === '1') throw new Error(`${reason}; CI=true requires it`);
  console.warn(`      ⚠ skipped: ${reason}`);
  ctx.skip();
}

/** A gate counter that keeps its session and resends what the broker has not acknowledged. */
async function gateCounter(url: string): Promise<MqttClient> {
  return mqtt.connectAsync(url, { clientId: uniqueName('gate-counter-'), clean: false, reconnectPeriod: 100, connectTimeout: 5000 });
}

interface Burst {
  /** Resolves when the broker has acknowledged every event. */
  sent: Promise<void>;
  expected: number;
}

/**
 * A calibrating count of 0, then `n` gate events (4 entries for each exit, two
 * gates, each with its own increasing seq), sent in small batches on a steady
 * pace so the failure lands in the middle of the stream.
 */
async function burst(client: MqttClient, base: string, n: number, t0: number): Promise<Burst> {
  await client.publishAsync(`${base}/lots/${LOT}/count`, JSON.stringify({ occupied: 0, capacity: CAPACITY, ts: t0, seq: 1 }), { qos: 1 });
  let expected = 0;
  const acks: Promise<unknown>[] = [];
  const sent = (async () => {
    for (let i = 1; i <= n; i++) {
      const exit = i % 5 === 0;
      expected += exit ? -1 : 1;
      const payload = { event: exit ? 'exit' : 'entry', gate: i % 2 ? 'north' : 'south', ts: t0 + i, seq: i };
      acks.push(client.publishAsync(`${base}/lots/${LOT}/gate`, JSON.stringify(payload), { qos: 1 }));
      if (i % 50 === 0) await new Promise((r) => setTimeout(r, 25));
    }
    await Promise.all(acks);
  })();
  return { sent, expected: n - 2 * Math.floor(n / 5) };
}

/** The lot's occupancy, straight from Redis. */
async function occupiedIn(redis: Redis, prefix: string): Promise<number> {
  return Number((await redis.hget(`${prefix}{lot:${LOT}}`, 'occ').catch(() => null)) ?? 0);
}

/** `npm start` as a child process, so it can be killed with SIGKILL. */
function startService(env: Record<string, string>): { child: ChildProcess; ready: Promise<string>; output: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr!.on('data', (d) => (output += d));
  const ready = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the service did not start:\n${output}`)), 30_000);
    child.stdout!.on('data', (d) => {
      output += d;
      const match = /the map is at (http:\/\/localhost:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once('exit', (code) => reject(new Error(`the service exited (${code}):\n${output}`)));
  });
  ready.catch(() => {});
  return { child, ready, output: () => output };
}

function killed(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

describe('exactly once across failures (real Mosquitto and Redis)', function () {
  this.timeout(120_000);
  const cleanups: (() => Promise<unknown>)[] = [];
  const later = (cleanup: () => Promise<unknown>) => cleanups.push(cleanup);

  before(async function () {
    requirePrograms(this, 'redis-server', 'mosquitto');
    await requireService(this, 'redis');
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
  });
  const privateBroker = async () => {
    const broker = new PrivateMosquitto();
    later(() => broker.remove());
    await broker.start();
    return broker;
  };
  /** A Redis key prefix of the shared Redis, removed after the test. */
  const freshPrefix = () => {
    const prefix = `${uniqueName('kwtest:')}:`;
    later(() => cleanRedisPrefix(prefix));
    return prefix;
  };

  it('counts every gate event once when the service is killed (SIGKILL) in the middle of a burst and restarted', async () => {
    const broker = await privateBroker();
    const prefix = freshPrefix();
    const dataDir = mkdtempSync(join(tmpdir(), 'kongwei-crash-'));
    later(async () => rmSync(dataDir, { recursive: true, force: true }));
    const env = {
      DATA_DIR: dataDir, REDIS_URL: REDIS_TEST_URL, REDIS_KEY_PREFIX: prefix, MQTT_URL: broker.url,
      MQTT_CLIENT_ID: uniqueName('kongwei-crash-'), MQTT_INGEST_CONNECTIONS: '2',
    };
    const redis = new Redis(REDIS_TEST_URL);
    later(async () => redis.disconnect());

    let service = startService(env);
    later(() => killed(service.child, 'SIGKILL'));
    await service.ready;
    const counter = await gateCounter(broker.url);
    later(() => counter.endAsync(true));
    const { sent, expected } = await burst(counter, 'parking', 3000, Date.now() - 60_000);

    await eventually(async () => (await occupiedIn(redis, prefix)) >= 300, 30_000, 'the first events applied');
    await killed(service.child, 'SIGKILL');
    const atKill = await occupiedIn(redis, prefix);
    assert.ok(atKill < expected, `killed in the middle (${atKill} of ${expected} applied)`);

    await sent; // the broker holds what the dead service did not acknowledge
    service = startService(env);
    const url = await service.ready;
    await eventually(async () => (await occupiedIn(redis, prefix)) === expected, 60_000, `occupied = ${expected}`);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(await occupiedIn(redis, prefix), expected, 'and it stays exact: nothing applied twice');
    const { body } = await getJson<{ occupied: number; clamped: boolean }>(url, `/api/lots/${LOT}`);
    assert.deepEqual([body.occupied, body.clamped], [expected, false]);
    await killed(service.child, 'SIGTERM');
  });

  it('pauses ingestion while Redis restarts mid-stream, then resumes with nothing lost or doubled', async () => {
    const store = new PrivateRedis();
    const broker = new PrivateMosquitto();
    later(() => store.remove());
    later(() => broker.remove());
    await Promise.all([store.start(), broker.start()]);
    const prefix = 'kw:';
    const t: TestApp = await startApp({ REDIS_URL: store.url, REDIS_KEY_PREFIX: prefix, MQTT_URL: broker.url, MQTT_CLIENT_ID: uniqueName('kongwei-redis-') });
    later(() => t.stop());
    const redis = new Redis(store.url, { retryStrategy: () => 100, maxRetriesPerRequest: 1 });
    redis.on('error', () => {});
    later(async () => redis.disconnect());
    const counter = await gateCounter(broker.url);
    later(() => counter.endAsync(true));
    const { sent, expected } = await burst(counter, 'parking', 2000, Date.now() - 60_000);

    await eventually(async () => (await occupiedIn(redis, prefix)) >= 300, 30_000, 'the first events applied');
    await store.kill('SIGKILL');
    await eventually(async () => (await getJson(t.app.httpUrl, '/healthz')).status === 503, 10_000, '/healthz reporting Redis down');
    await new Promise((r) => setTimeout(r, 1000));
    await store.start();

    await sent;
    await eventually(async () => (await occupiedIn(redis, prefix)) === expected, 60_000, `occupied = ${expected}`);
    const metrics = await (await fetch(`${t.app.httpUrl}/metrics`)).text();
    assert.match(metrics, /kongwei_live_store_retries_total [1-9]/, 'ingestion paused and retried');
    assert.equal((await getJson(t.app.httpUrl, '/healthz')).status, 200);
  });

  it('reconnects after the broker restarts mid-stream and goes on, with nothing lost or doubled', async () => {
    const broker = await privateBroker();
    const prefix = freshPrefix();
    // One connection, plain subscriptions: Mosquitto restores them with the
    // session (shared ones it drops on a restart: see DESIGN.md §3).
    const t: TestApp = await startApp({
      REDIS_URL: REDIS_TEST_URL, REDIS_KEY_PREFIX: prefix, MQTT_URL: broker.url, MQTT_CLIENT_ID: uniqueName('kongwei-broker-'),
    });
    later(() => t.stop());
    const redis = new Redis(REDIS_TEST_URL);
    later(async () => redis.disconnect());
    const counter = await gateCounter(broker.url);
    later(() => counter.endAsync(true));
    const { sent, expected } = await burst(counter, 'parking', 2000, Date.now() - 60_000);

    await eventually(async () => (await occupiedIn(redis, prefix)) >= 300, 30_000, 'the first events applied');
    await broker.kill('SIGTERM'); // a clean restart: Mosquitto saves its sessions and queues
    await eventually(async () => (await getJson(t.app.httpUrl, '/healthz')).status === 503, 10_000, '/healthz reporting the broker down');
    await broker.start();

    await sent;
    await eventually(async () => (await occupiedIn(redis, prefix)) === expected, 60_000, `occupied = ${expected}`);
    await eventually(async () => (await getJson(t.app.httpUrl, '/healthz')).status === 200, 10_000, 'reconnected');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(await occupiedIn(redis, prefix), expected);
  });
});
