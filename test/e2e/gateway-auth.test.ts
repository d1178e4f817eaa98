// Gateway credentials against the embedded broker with MQTT_AUTH=on: a
// gateway publishes for the lots it was given, and for no other; unknown or
// wrong credentials are refused; a revoked gateway is cut off at once.
import assert from 'node:assert/strict';
import type { MqttClient } from 'mqtt';
import type { LotView } from '../../server/domain/lot.ts';
import { ADMIN_TOKEN, api, createOperator, newLot } from '../helpers/api.ts';
import { connectMqtt, eventually, publish, startApp, type TestApp } from '../helpers/app.ts';

interface NewGateway {
  id: string;
  secret: string;
  online: boolean | null;
  lotIds: string[];
  mqtt: { url: string; username: string; password: string; topics: { publish: string[]; subscribe: string[] } };
}

/** Resolves once the broker has answered the publish (PUBACK) or dropped the connection for it. */
async function publishOutcome(client: MqttClient, topic: string, payload: object): Promise<'acknowledged' | 'refused'> {
  const closed = new Promise<'refused'>((resolve) => client.once('close', () => resolve('refused')));
  return Promise.race([publish(client, topic, payload).then(() => 'acknowledged' as const, () => 'refused' as const), closed]);
}

describe('gateway credentials with MQTT_AUTH=on (embedded broker)', function () {
  this.timeout(30_000);
  let t: TestApp;
  let base: string;
  let owner: { id: string; token: string };
  let other: { id: string; token: string };
  let gateway: NewGateway;
  const clients: MqttClient[] = [];
  const connect = async (username?: string, password?: string, clientId = username) => {
    const client = await connectMqtt(t.app.mqtt.url, { ...(clientId ? { clientId } : {}), ...(username ? { username } : {}), ...(password ? { password } : {}) });
    clients.push(client);
    return client;
  };
  const lot = async (id: string) => (await api<LotView>(base, 'GET', `/api/lots/${id}`)).body;

  before(async () => {
    t = await startApp({ ADMIN_TOKEN, MQTT_AUTH: 'on', WRITE_RATE_LIMIT: '100000' });
    base = t.app.httpUrl;
    owner = await createOperator(base, 'Gateway Owner');
    other = await createOperator(base, 'Someone Else');
    for (const id of ['gw-lot-a', 'gw-lot-b']) {
      assert.equal((await api(base, 'POST', '/api/lots', { token: owner.token, body: newLot({ id }) })).status, 201);
    }
    assert.equal((await api(base, 'POST', '/api/lots', { token: other.token, body: newLot({ id: 'gw-lot-other' }) })).status, 201);
  });
  after(async () => {
    for (const c of clients) await c.endAsync(true).catch(() => {});
    await t?.stop();
  });

  it('creates a gateway for a lot → 201 with its secret once, the broker URL, its username and topics', async () => {
    const { status, body } = await api<NewGateway>(base, 'POST', '/api/lots/gw-lot-a/gateways', { token: owner.token, body: { name: 'North entrance' } });
    assert.equal(status, 201, JSON.stringify(body));
    gateway = body;
    assert.match(gateway.id, /^gw-[0-9a-f]{10}$/);
    assert.match(gateway.secret, /^kwg_[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(gateway.lotIds, ['gw-lot-a']);
    assert.equal(gateway.mqtt.url, `mqtt://127.0.0.1:${new URL(t.app.mqtt.url).port}`);
    assert.equal(gateway.mqtt.username, gateway.id);
    assert.ok(gateway.mqtt.topics.publish.includes('parking/lots/gw-lot-a/count'));
    assert.ok(gateway.mqtt.topics.publish.includes(`parking/gateways/${gateway.id}/status`));
    const row = await t.app.db('gateways').where({ id: gateway.id }).first();
    assert.match(row.secret_hash, /^\$7\$101\$/, 'stored hashed, in Mosquitto\'s format');
    assert.ok(!JSON.stringify(row).includes(gateway.secret));
    const listed = await api(base, 'GET', '/api/lots/gw-lot-a/gateways', { token: owner.token });
    assert.deepEqual(listed.body.gateways.map((g: { id: string; online: boolean; secret?: string }) => [g.id, g.online, g.secret]), [[gateway.id, false, undefined]]);
  });

  it("refuses a gateway for another operator's lot → 403, an unknown lot → 404, no token → 401, a bad body → 400", async () => {
    const before = await t.app.db('gateways').count({ n: '*' });
    assert.equal((await api(base, 'POST', '/api/lots/gw-lot-a/gateways', { token: other.token, body: {} })).status, 403);
    assert.equal((await api(base, 'POST', '/api/lots/no-such-lot/gateways', { token: owner.token, body: {} })).status, 404);
    assert.equal((await api(base, 'POST', '/api/lots/gw-lot-a/gateways', { body: {} })).status, 401);
    const bad = await api(base, 'POST', '/api/lots/gw-lot-a/gateways', { token: owner.token, body: { name: 42, colour: 'red' } });
    assert.deepEqual([bad.status, Object.keys(bad.body.error.details.fields).sort()], [400, ['colour', 'name']]);
    assert.deepEqual(await t.app.db('gateways').count({ n: '*' }), before);
  });

  it('lets the gateway publish for its lot, and shows it online while connected', async () => {
    const client = await connect(gateway.mqtt.username, gateway.mqtt.password);
    assert.equal(await publishOutcome(client, 'parking/lots/gw-lot-a/count', { occupied: 7 }), 'acknowledged');
    assert.deepEqual([(await lot('gw-lot-a')).occupied], [7]);
    const listed = await api(base, 'GET', '/api/lots/gw-lot-a/gateways', { token: owner.token });
    assert.equal(listed.body.gateways[0].online, true);
    const mine = await api(base, 'GET', '/api/me/lots', { token: owner.token });
    assert.deepEqual(mine.body.gateways.map((g: { id: string; lotIds: string[]; online: boolean }) => [g.id, g.lotIds, g.online]), [[gateway.id, ['gw-lot-a'], true]]);
    assert.deepEqual((await api(base, 'GET', '/api/me/lots', { token: other.token })).body.gateways, []);
    await client.endAsync();
    await eventually(async () => (await api(base, 'GET', '/api/lots/gw-lot-a/gateways', { token: owner.token })).body.gateways[0].online === false, 5000, 'offline');
  });

  it('refuses a publish for another lot (the connection is dropped) and changes nothing', async () => {
    const client = await connect(gateway.mqtt.username, gateway.mqtt.password);
    assert.equal(await publishOutcome(client, 'parking/lots/gw-lot-b/count', { occupied: 3 }), 'refused');
    assert.equal((await lot('gw-lot-b')).occupied, null);
    const again = await connect(gateway.mqtt.username, gateway.mqtt.password);
    assert.equal(await publishOutcome(again, 'parking/lots/gw-lot-other/count', { occupied: 3 }), 'refused');
    const third = await connect(gateway.mqtt.username, gateway.mqtt.password);
    assert.equal(await publishOutcome(third, 'parking/lots/gw-lot-a/availability', { free: 1 }), 'refused', 'the service\'s own output topic');
    assert.equal((await lot('gw-lot-other')).occupied, null);
  });

  it('refuses unknown, wrong and missing credentials at connect', async () => {
    await assert.rejects(connect(gateway.id, 'kwg_wrong-secret'), /Bad username or password|Not authorized/i);
    await assert.rejects(connect('gw-0000000000', gateway.secret), /Bad username or password|Not authorized/i);
    await assert.rejects(connect(), /Bad username or password|Not authorized/i);
    // Right credentials, another client id: refused, so no gateway can knock another off by taking its id.
    await assert.rejects(connect(gateway.id, gateway.secret, 'gw-someone-else'), /Identifier rejected/i);
  });

  it('lets the gateway publish for a lot it is given later', async () => {
    const assigned = await api(base, 'POST', `/api/gateways/${gateway.id}/lots`, { token: owner.token, body: { lotId: 'gw-lot-b' } });
    assert.deepEqual([assigned.status, assigned.body.lotIds], [200, ['gw-lot-a', 'gw-lot-b']]);
    assert.equal((await api(base, 'POST', `/api/gateways/${gateway.id}/lots`, { token: owner.token, body: { lotId: 'gw-lot-other' } })).status, 403);
    assert.equal((await api(base, 'POST', `/api/gateways/${gateway.id}/lots`, { token: other.token, body: { lotId: 'gw-lot-other' } })).status, 403);
    await eventually(async () => {
      const client = await connect(gateway.mqtt.username, gateway.mqtt.password);
      return (await publishOutcome(client, 'parking/lots/gw-lot-b/count', { occupied: 4 })) === 'acknowledged';
    }, 5000, 'the new lot allowed');
    assert.equal((await lot('gw-lot-b')).occupied, 4);
  });

  it("forgets a deleted lot: a lot re-created under its id by someone else is not the old gateway's", async () => {
    const second = (await api<NewGateway>(base, 'POST', '/api/lots/gw-lot-b/gateways', { token: owner.token, body: {} })).body;
    assert.equal((await api(base, 'DELETE', '/api/lots/gw-lot-b', { token: owner.token })).status, 204);
    assert.equal((await api(base, 'POST', '/api/lots', { token: other.token, body: newLot({ id: 'gw-lot-b' }) })).status, 201);
    await eventually(async () => {
      const client = await connect(second.mqtt.username, second.mqtt.password);
      return (await publishOutcome(client, 'parking/lots/gw-lot-b/count', { occupied: 9 })) === 'refused';
    }, 5000, 'the old gateway refused');
    assert.equal((await lot('gw-lot-b')).occupied, null);
  });

  it('cuts a revoked gateway off at once → 204, and refuses it afterwards', async () => {
    const client = await connect(gateway.mqtt.username, gateway.mqtt.password);
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    assert.equal((await api(base, 'DELETE', `/api/gateways/${gateway.id}`, { token: other.token })).status, 403);
    assert.equal((await api(base, 'DELETE', `/api/gateways/${gateway.id}`, { token: owner.token })).status, 204);
    await closed;
    await assert.rejects(connect(gateway.mqtt.username, gateway.mqtt.password), /Bad username or password|Not authorized/i);
    const trail = await api(base, 'GET', '/api/lots/gw-lot-a/audit', { token: owner.token });
    assert.deepEqual(trail.body.entries.map((e: { action: string }) => e.action), ['lot.create', 'gateway.create', 'gateway.delete']);
  });
});
