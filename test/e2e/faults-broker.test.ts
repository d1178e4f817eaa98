// The broker restarted under load (DESIGN.md §3, "Broker restarts"): a
// private Mosquitto with persistence is stopped and started again while a
// gateway publishes bay events at a steady pace (QoS 1, a persistent session
// that resends what was not acknowledged). Each event sets a space of its
// own, so the spaces the live store recorded say exactly which events were
// applied. With a shared subscription across two instances, Mosquitto 2.0
// does not restore the group after its restart: what it acknowledges before
// the instances have subscribed again is dropped. The test measures that
// window and prints it. With one plain connection nothing is lost.
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import mqtt from 'mqtt';
import { eventually, getJson, startApp, type TestApp } from '../helpers/app.ts';
import { faultSuite } from '../helpers/faults.ts';
import { PrivateMosquitto, PrivateRedis } from '../helpers/private-services.ts';
import { uniqueName } from '../helpers/services.ts';

const BASE = 'parking';
const PREFIX = 'kw:';
const LOT = 'cruise-port';
const RATE_PER_S = 200;
const RUN_MS = 8000;
const RESTART_AT_MS = 2500;

interface Sent {
  sentAt: number;
  ackedAt?: number;
}

interface Restart {
  sent: Sent[];
  applied: Set<number>;
  downAt: number;
  upAt: number;
  /** When every instance answered /healthz 200 again (connected; it subscribes on connecting). */
  backAt: number;
}

describe('the broker restarted under load (private Mosquitto; two instances or one)', function () {
  this.timeout(120_000);
  const suite = faultSuite();
  const { later } = suite;

  /** Starts the instances, publishes at a steady pace, restarts the broker in the middle, and says which events were applied. */
  async function restartUnderLoad(instanceEnv: Record<string, string>[]): Promise<Restart> {
    const redis = new PrivateRedis({ durable: false });
    const broker = new PrivateMosquitto();
    later(() => redis.remove());
    later(() => broker.remove());
    const [databaseUrl] = await Promise.all([suite.postgres.createDatabase(uniqueName('kwbroker_')), redis.start(), broker.start()]);
    const common = { DATABASE_URL: databaseUrl, REDIS_URL: redis.url, REDIS_KEY_PREFIX: PREFIX, MQTT_URL: broker.url, MQTT_BASE_TOPIC: BASE };
    const instances: TestApp[] = [];
    for (const env of instanceEnv) {
      const t = await startApp({ ...common, MQTT_CLIENT_ID: uniqueName('kwbroker-'), ...env });
      later(() => t.stop());
      instances.push(t);
    }
    const store = new Redis(redis.url);
    later(async () => store.disconnect());

    const gateway = await mqtt.connectAsync(broker.url, { clientId: uniqueName('bay-gateway-'), clean: false, reconnectPeriod: 100, connectTimeout: 5000 });
    later(() => gateway.endAsync(true));
    const t0 = Date.now() - 60_000;
    await gateway.publishAsync(`${BASE}/lots/${LOT}/count`, JSON.stringify({ occupied: 0, capacity: 100_000, ts: t0 }), { qos: 1 });
    const sent: Sent[] = [];
    const startedAt = Date.now();
    const publishing = new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const elapsed = Date.now() - startedAt;
        const due = Math.min(Math.floor((elapsed * RATE_PER_S) / 1000), (RUN_MS * RATE_PER_S) / 1000);
        while (sent.length < due) {
          const i = sent.length;
          const event: Sent = { sentAt: Date.now() };
          sent.push(event);
          // Queued by the client while the broker is away, and resent until acknowledged.
          gateway.publish(`${BASE}/lots/${LOT}/spaces/s${i}`, JSON.stringify({ occupied: true, ts: t0 + 1 + i }), { qos: 1 }, (err) => {
            if (!err) event.ackedAt = Date.now();
          });
        }
        if (elapsed >= RUN_MS) {
          clearInterval(timer);
          resolve();
        }
      }, 5);
    });

    await eventually(() => Date.now() - startedAt >= RESTART_AT_MS, RESTART_AT_MS + 1000, 'the restart point');
    const downAt = Date.now();
    await broker.kill('SIGTERM'); // a clean stop: Mosquitto saves its sessions and their queues
    await broker.start();
    const upAt = Date.now();
    for (const t of instances) await eventually(async () => (await getJson(t.app.httpUrl, '/healthz')).status === 200, 30_000, 'reconnected to the broker');
    const backAt = Date.now();
    await publishing;
    await eventually(() => sent.every((e) => e.ackedAt !== undefined), 30_000, 'every event acknowledged by the broker');

    // What is not lost arrives: wait until the recorded spaces stop changing.
    const bays = async () => new Set((await store.hkeys(`${PREFIX}{lot:${LOT}}:bays`)).map((space) => Number(space.slice(1))));
    let applied = await bays();
    let steadySince = Date.now();
    await eventually(async () => {
      const now = await bays();
      if (now.size !== applied.size) [applied, steadySince] = [now, Date.now()];
      return applied.size === sent.length || Date.now() - steadySince >= 2000;
    }, 30_000, 'the applied events to settle');
    // The lot's tally of occupied bays (its own count rules its total: a few bays do not cover it).
    const occupied = Number(await store.hget(`${PREFIX}{lot:${LOT}}`, 'bocc'));
    assert.equal(occupied, applied.size, 'each applied event counted once');
    return { sent, applied, downAt, upAt, backAt };
  }

  const ms = (t: number, from: number) => `${t - from >= 0 ? '+' : ''}${t - from} ms`;

  it('with a shared subscription across two instances: measures the loss window, and loses nothing outside it', async () => {
    const shared = { MQTT_SHARED_GROUP: 'kongwei', MQTT_INGEST_CONNECTIONS: '2' };
    const { sent, applied, downAt, upAt, backAt } = await restartUnderLoad([shared, shared]);
    const lost = sent.flatMap((e, i) => (applied.has(i) ? [] : [{ i, ...e }]));
    const during = sent.filter((e) => e.sentAt >= downAt && e.sentAt <= backAt).length;
    const window = lost.length ? `acknowledged by the broker from ${ms(lost[0]!.ackedAt!, upAt)} to ${ms(lost.at(-1)!.ackedAt!, upAt)} after it was back: a window of ${lost.at(-1)!.ackedAt! - lost[0]!.ackedAt!} ms` : 'none';
    console.log(
      `      broker restart, shared subscription, two instances: ${lost.length} of ${sent.length} events lost ` +
        `(${during} published between the stop and both instances back, ${((100 * lost.length) / Math.max(1, during)).toFixed(0)} % of those); ` +
        `broker down ${upAt - downAt} ms, instances back ${backAt - upAt} ms after it; lost events ${window}`,
    );
    for (const event of lost) {
      assert.ok(event.ackedAt! >= upAt, `lost only what the broker acknowledged after its restart (event ${event.i}, ${ms(event.ackedAt!, upAt)})`);
      assert.ok(event.sentAt <= backAt + 2000, `nothing sent well after both instances were back is lost (event ${event.i} sent ${ms(event.sentAt, backAt)})`);
    }
    const before = sent.filter((e) => e.ackedAt! < downAt).length;
    assert.ok(before > 0 && sent.slice(0, before).every((_, i) => applied.has(i)), 'everything acknowledged before the restart applied');
  });

  it('with one plain connection (MQTT_INGEST_CONNECTIONS=1, no shared group): loses nothing', async () => {
    const { sent, applied, downAt, upAt, backAt } = await restartUnderLoad([{ MQTT_INGEST_CONNECTIONS: '1' }]);
    const lost = sent.filter((_, i) => !applied.has(i)).length;
    const during = sent.filter((e) => e.sentAt >= downAt && e.sentAt <= backAt).length;
    console.log(`      broker restart, one plain connection: ${lost} of ${sent.length} events lost (${during} published between the stop and the instance back; broker down ${upAt - downAt} ms, instance back ${backAt - upAt} ms after it)`);
    assert.equal(lost, 0);
    assert.equal(applied.size, sent.length);
  });
});
