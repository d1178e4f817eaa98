// Exactly once across failures, with real parts: the service killed with
// SIGKILL in the middle of a burst of gate events, Redis restarted
// mid-stream, the broker restarted mid-stream. Each time the final count is
// exact. The broker (and, for its restart, Redis) are private instances this
// test starts and kills; the machine's shared services are never restarted.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { eventually, getJson, startApp, type TestApp } from '../helpers/app.ts';
import { burst as gateBurst, gateCounter, killed, occupiedIn as occupancy, requirePrograms, startService } from '../helpers/faults.ts';
import { PrivateMosquitto, PrivateRedis } from '../helpers/private-services.ts';
import { cleanRedisPrefix, REDIS_TEST_URL, requireService, uniqueName } from '../helpers/services.ts';
import type { MqttClient } from 'mqtt';

const LOT = 'cruise-port';
const CAPACITY = 100_000;
const burst = (client: MqttClient, base: string, n: number, t0: number) => gateBurst(client, base, n, t0, { lot: LOT, capacity: CAPACITY });
const occupiedIn = (redis: Redis, prefix: string) => occupancy(redis, prefix, LOT);

describe('exactly once across failures (real Mosquitto and Redis)', function () {
  this.timeout(120_000);
  const cleanups: (() => Promise<unknown>)[] = [];
  const later = (cleanup: () => Promise<unknown>) => cleanups.push(cleanup);

  before(async function () {
    requirePrograms(this, ['redis-server', 'mosquitto']);
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
