// The production mode on this machine's real services: PostgreSQL, Redis and
// Mosquitto. Each run uses its own database, Redis key prefix, base topic and
// MQTT client id, so runs never see each other's data.
import assert from 'node:assert/strict';
import type { MqttClient } from 'mqtt';
import { Redis } from 'ioredis';
import type { LotView } from '../../server/domain/lot.ts';
import { collectUpdates, connectMqtt, connectSocket, eventually, getJson, publish, startApp, subscribe, type TestApp } from '../helpers/app.ts';
import { clearRetained } from '../helpers/mqtt.ts';
import { MQTT_TEST_URL, productionEnvironment, REDIS_TEST_URL, uniqueName, type ProductionEnvironment } from '../helpers/services.ts';

describe('end to end: production mode (PostgreSQL, Redis, Mosquitto)', function () {
  this.timeout(30_000);
  let env: Record<string, string>;
  let production: ProductionEnvironment | undefined;
  let t: TestApp | undefined;
  let gateway: MqttClient;
  let prefix = '';
  let base = '';
  const lot = async (id: string) => (await getJson<LotView>(t!.app.httpUrl, `/api/lots/${id}`)).body;

  before(async function () {
    production = await productionEnvironment(this);
    ({ prefix, base } = production);
    env = { ...production.env, MQTT_CLIENT_ID: uniqueName('kongwei-test-') };
    t = await startApp(env);
    gateway = await connectMqtt(MQTT_TEST_URL);
  });
  after(async () => {
    await gateway?.endAsync();
    await t?.stop();
    await production?.cleanup();
    await clearRetained(MQTT_TEST_URL, base); // the service's retained availability outputs
  });

  it('reports PostgreSQL, Redis and the external broker on /healthz', async () => {
    const { status, body } = await getJson<{ dependencies: Record<string, { kind: string }> }>(t!.app.httpUrl, '/healthz');
    assert.equal(status, 200);
    assert.deepEqual(Object.values(body.dependencies).map((d) => d.kind), ['postgresql', 'redis', 'external']);
  });

  it('applies a count from Mosquitto into Redis, the API and a socket', async () => {
    const socket = await connectSocket(t!.app.httpUrl);
    try {
      await subscribe(socket, { ids: ['hangzhou-rd-7'] });
      const updates = collectUpdates(socket);
      await publish(gateway, `${base}/lots/hangzhou-rd-7/count`, { occupied: 10 });
      await eventually(async () => (await lot('hangzhou-rd-7')).free === 22, 3000, 'free = 22 in the API');
      const redis = new Redis(REDIS_TEST_URL);
      try {
        assert.equal(await redis.hget(`${prefix}{lot:hangzhou-rd-7}`, 'occ'), '10', 'the live state is in Redis');
      } finally {
        redis.disconnect();
      }
      const pushed = await eventually(() => updates.flat().find((l) => l.id === 'hangzhou-rd-7'), 3000, 'lots:update');
      assert.equal(pushed.free, 22);
    } finally {
      socket.disconnect();
    }
  });

  it('gets the messages published while it was down once it is back (persistent session)', async () => {
    await t!.app.stop();
    t = undefined;
    const ts = Date.now();
    await publish(gateway, `${base}/lots/nanfeng-rd/count`, { occupied: 77, ts, seq: 1 });
    t = await startApp(env);
    const view = await eventually(async () => {
      const v = await lot('nanfeng-rd');
      return v.occupied === 77 ? v : undefined;
    }, 5000, 'the queued message');
    assert.equal(view.updatedAt, new Date(ts).toISOString());
    assert.equal(t.app.catalog.size, 9, 'the PostgreSQL catalog was not seeded twice');
  });
});
