// Webhooks with two instances on one PostgreSQL, Redis and Mosquitto
// (DESIGN.md §4, "Alerts"): both instances see every lot's transitions on
// the live store's feed and every gateway status from the broker, and both
// offer each to the outbox — yet each reaches the webhook once, and each
// delivery is attempted by one instance.
import assert from 'node:assert/strict';
import type { MqttClient } from 'mqtt';
import type { NewGatewayAnswer } from '../../server/domain/operator-api.ts';
import { ADMIN_TOKEN, api, createOperator, newLot } from '../helpers/api.ts';
import { connectMqtt, eventually, startApp, type TestApp } from '../helpers/app.ts';
import { ingestPost } from '../helpers/ingest.ts';
import { MQTT_TEST_URL, productionEnvironment, uniqueName, type ProductionEnvironment } from '../helpers/services.ts';
import { webhookReceiver, type Receiver } from '../helpers/webhook-receiver.ts';

const SECRET = 'two-instances-secret-0123456789';

async function metric(t: TestApp, pattern: RegExp): Promise<number> {
  const text = await (await fetch(`${t.app.httpUrl}/metrics`)).text();
  return [...text.matchAll(pattern)].reduce((sum, m) => sum + Number(m[1]), 0);
}

describe('scale-out: webhooks with two instances on one PostgreSQL, Redis and Mosquitto', function () {
  this.timeout(60_000);
  const instances: TestApp[] = [];
  let production: ProductionEnvironment | undefined;
  let receiver: Receiver;
  let broker: MqttClient;
  let gateway: NewGatewayAnswer;
  let lotId: string;

  const told = async (count: number) => {
    await eventually(async () => {
      for (const t of instances) {
        await t.app.alerts.flush();
        await t.app.webhookDispatcher.tick();
      }
      return receiver.deliveries().length >= count;
    }, 15_000, `${count} deliveries`);
    // Anything more would come now: both instances have written and sent what they heard.
    for (const t of instances) await t.app.alerts.flush();
    for (const t of instances) await t.app.webhookDispatcher.tick();
    return receiver.deliveries().sort((a, b) => a.body.sequence - b.body.sequence).map((d) => `${d.event} ${d.body.data.state ?? d.body.data.change}`);
  };

  before(async function () {
    production = await productionEnvironment(this);
    receiver = await webhookReceiver({ secret: () => SECRET });
    const shared = {
      ...production.env, ADMIN_TOKEN, WRITE_RATE_LIMIT: '100000', HTTP_INGEST_RATE_LIMIT: '100000',
      WEBHOOK_ALLOW_PRIVATE: '127.0.0.1/32', WEBHOOK_POLL_MS: '600000',
      // Each instance has its own DATA_DIR: the key sealing the secrets must be the same on both.
      WEBHOOK_SECRET_KEY: 'the-same-key-on-every-instance-0123456789',
    };
    for (const name of ['a', 'b']) instances.push(await startApp({ ...shared, MQTT_CLIENT_ID: uniqueName(`kwtest-${name}-`) }));
    broker = await connectMqtt(MQTT_TEST_URL);
  });
  after(async () => {
    await broker?.endAsync();
    for (const t of instances) await t.stop();
    await receiver?.close();
    await production?.cleanup();
  });

  it('queues and delivers each transition once, whichever instance wrote, applied or heard it', async () => {
    const [a, b] = instances as [TestApp, TestApp];
    const alice = await createOperator(a.app.httpUrl, 'Alice');
    // Created through one instance, its lot through the other.
    const hook = await api(b.app.httpUrl, 'POST', '/api/webhooks', {
      token: alice.token, body: { url: receiver.url, events: ['gateway.offline', 'lot.stale', 'lot.full', 'lot.changed'], secret: SECRET },
    });
    assert.equal(hook.status, 201);
    const lot = await api(a.app.httpUrl, 'POST', '/api/lots', { token: alice.token, body: newLot({ nameEn: 'Two Instances Car Park', capacity: 4 }) });
    lotId = lot.body.id;
    gateway = (await api<NewGatewayAnswer>(a.app.httpUrl, 'POST', `/api/lots/${lotId}/gateways`, { token: alice.token, body: {} })).body;
    assert.deepEqual(await told(1), ['lot.changed added']);

    // Applied by one instance: both see it on the feed, and both offer it.
    const ts = Date.now();
    assert.equal((await ingestPost(a.app.httpUrl, `/api/ingest/lots/${lotId}/count`, { occupied: 4, ts, seq: 1 }, gateway)).status, 200);
    assert.deepEqual(await told(2), ['lot.changed added', 'lot.full firing']);
    assert.equal((await ingestPost(b.app.httpUrl, `/api/ingest/lots/${lotId}/count`, { occupied: 1, ts: ts + 1, seq: 2 }, gateway)).status, 200);
    assert.deepEqual(await told(3), ['lot.changed added', 'lot.full firing', 'lot.full resolved']);

    // A status from the broker: every instance applies it.
    await broker.publishAsync(`${production!.base}/gateways/${gateway.id}/status`, 'offline', { qos: 1 });
    const offline = await told(5);
    assert.deepEqual(offline.slice(3).sort(), ['gateway.offline firing', 'lot.stale firing']);
    await broker.publishAsync(`${production!.base}/gateways/${gateway.id}/status`, 'online', { qos: 1 });
    const online = await told(7);
    assert.deepEqual(online.slice(5).sort(), ['gateway.offline resolved', 'lot.stale resolved']);

    // Both instances offered the feed's and the broker's transitions; the outbox kept one of each.
    const offered = (await metric(a, /^kongwei_webhook_deliveries_queued_total\{event="(?:lot\.full|lot\.stale|gateway\.offline)"\} (\d+)$/gm)) +
      (await metric(b, /^kongwei_webhook_deliveries_queued_total\{event="(?:lot\.full|lot\.stale|gateway\.offline)"\} (\d+)$/gm));
    assert.ok(offered >= 10, `offered ${offered} times for 6 transitions: both instances saw them`);
    const rows = await a.app.db('webhook_deliveries').where({ webhook_id: hook.body.id });
    assert.equal(rows.length, 7);
    // Each delivered by one instance, at its first attempt.
    assert.equal(receiver.received.length, 7);
    assert.ok(receiver.received.every((r) => r.verified && r.body.attempt === 1));
    assert.equal(new Set(receiver.received.map((r) => r.delivery)).size, 7);
  });
});
