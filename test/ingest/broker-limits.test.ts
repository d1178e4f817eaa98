// The embedded broker against clients that do not play by the rules, probed
// over raw TCP (DESIGN.md §3, "Limits"): what a connection announces is never
// buffered past the limits, a CONNECT must come first, small and in time,
// connections per address are capped, failed authentications are throttled,
// and anonymous clients (MQTT_AUTH off) cannot keep retained messages or take
// a connected client's id.
import assert from 'node:assert/strict';
import type { MqttClient } from 'mqtt';
import type { LotView } from '../../server/domain/lot.ts';
import type { EmbeddedBroker } from '../../server/ingest/embedded-broker.ts';
import { ADMIN_TOKEN, api, createOperator, newLot } from '../helpers/api.ts';
import { connectMqtt, eventually, getJson, publish, startApp, type TestApp } from '../helpers/app.ts';
import { connackCode, connectPacket, rawConnect, remainingLength, tryConnect } from '../helpers/raw-mqtt.ts';

const portOf = (t: TestApp) => Number(new URL(t.app.mqtt.url).port);
const MB = 1024 * 1024;

describe('embedded broker limits: bytes before and after CONNECT', function () {
  this.timeout(30_000);
  let t: TestApp;
  const clients: MqttClient[] = [];
  before(async () => {
    t = await startApp({ MQTT_CONNECT_TIMEOUT_MS: '500', MQTT_MAX_PACKET_BYTES: '4096', MQTT_MAX_CONNECT_BYTES: '1024' });
  });
  after(async () => {
    for (const c of clients) await c.endAsync(true).catch(() => {});
    await t?.stop();
  });

  it('closes a connection that announces a 100 MB CONNECT at its header, without reading it (RSS does not grow)', async () => {
    globalThis.gc?.();
    const rssBefore = process.memoryUsage().rss;
    const conn = await rawConnect(portOf(t));
    await conn.write(Buffer.concat([Buffer.from([0x10]), remainingLength(100 * MB)]));
    // Keep sending what the header announced, as the probe did; the broker must not take it in.
    const chunk = Buffer.alloc(MB);
    let sent = 0;
    while (sent < 60 * MB && (await conn.write(chunk))) sent += chunk.length;
    await eventually(() => conn.isClosed(), 5000, 'the broker closing the connection');
    const grownMb = (process.memoryUsage().rss - rssBefore) / MB;
    assert.ok(sent < 60 * MB, `the broker read ${sent / MB} MB of a CONNECT it should have refused at its header`);
    assert.ok(grownMb < 30, `RSS grew by ${grownMb.toFixed(1)} MB`);
    assert.equal(connackCode(conn.received()), undefined, 'no CONNACK for it');
  });

  it('closes a connection whose first packet is not a CONNECT', async () => {
    const conn = await rawConnect(portOf(t));
    await conn.write(Buffer.from([0x30, 0x05, 0x00, 0x01, 0x61, 0x68, 0x69])); // PUBLISH "a" "hi"
    await eventually(() => conn.isClosed(), 5000, 'the connection closed');
  });

  it('closes a connection that dribbles its CONNECT, at MQTT_CONNECT_TIMEOUT_MS', async () => {
    const conn = await rawConnect(portOf(t));
    const packet = connectPacket({ clientId: 'slow-dribbler' });
    let sent = 0;
    for (const byte of packet) {
      if (!(await conn.write(Buffer.from([byte])))) break;
      sent++;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(conn.isClosed() || (await Promise.race([conn.closed.then(() => true), new Promise((r) => setTimeout(() => r(false), 2000))])));
    assert.ok(sent < packet.length, `the whole CONNECT (${packet.length} bytes) went through, a byte every 100 ms`);
    assert.equal(connackCode(conn.received()), undefined);
  });

  it('refuses a CONNECT larger than MQTT_MAX_CONNECT_BYTES, and takes a normal one', async () => {
    const big = await tryConnect(portOf(t), { clientId: 'big-connect', username: 'x'.repeat(2000), password: 'y' });
    assert.equal(big.code, undefined);
    await big.connection.closed;
    const normal = await tryConnect(portOf(t), { clientId: 'normal-connect' });
    assert.equal(normal.code, 0);
    normal.connection.socket.destroy();
  });

  it('closes a connected client that sends a packet larger than MQTT_MAX_PACKET_BYTES, and applies nothing of it', async () => {
    const before = (await getJson<LotView>(t.app.httpUrl, '/api/lots/hangzhou-rd-7')).body;
    const client = await connectMqtt(t.app.mqtt.url, { clientId: 'big-publisher' });
    clients.push(client);
    await publish(client, 'parking/lots/hangzhou-rd-7/count', { occupied: 3, pad: 'x'.repeat(2000) }); // within the limit
    assert.equal((await getJson<LotView>(t.app.httpUrl, '/api/lots/hangzhou-rd-7')).body.occupied, 3);
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.publish('parking/lots/hangzhou-rd-7/count', JSON.stringify({ occupied: 9, pad: 'x'.repeat(8000) }), { qos: 1 });
    await closed;
    assert.equal((await getJson<LotView>(t.app.httpUrl, '/api/lots/hangzhou-rd-7')).body.occupied, 3, `unchanged (was ${before.occupied} before the test)`);
  });
});

describe('embedded broker limits: connections per address', function () {
  this.timeout(30_000);
  let t: TestApp;
  before(async () => {
    t = await startApp({ MQTT_MAX_CONNECTIONS_PER_IP: '3' });
  });
  after(async () => t?.stop());

  it('refuses connections beyond MQTT_MAX_CONNECTIONS_PER_IP at once, and takes a new one when one closes', async () => {
    const broker = t.app.mqtt as EmbeddedBroker;
    const open = await Promise.all([1, 2, 3].map(async (i) => (await tryConnect(portOf(t), { clientId: `per-ip-${i}` })).connection));
    assert.equal(broker.connectionsFrom('127.0.0.1'), 3);
    const extra = await rawConnect(portOf(t));
    await eventually(() => extra.isClosed(), 5000, 'the fourth connection closed');
    assert.equal(broker.connectionsFrom('127.0.0.1'), 3);
    open[0]!.socket.destroy();
    await eventually(() => broker.connectionsFrom('127.0.0.1') === 2, 5000, 'the slot freed');
    const again = await tryConnect(portOf(t), { clientId: 'per-ip-again' });
    assert.equal(again.code, 0);
    for (const c of [...open, again.connection]) c.socket.destroy();
  });
});

describe('embedded broker limits: anonymous clients (MQTT_AUTH off, loopback)', function () {
  this.timeout(30_000);
  let t: TestApp;
  const clients: MqttClient[] = [];
  const connect = async (clientId: string) => {
    const client = await connectMqtt(t.app.mqtt.url, { clientId });
    clients.push(client);
    return client;
  };
  before(async () => {
    t = await startApp();
  });
  after(async () => {
    for (const c of clients) await c.endAsync(true).catch(() => {});
    await t?.stop();
  });

  it('is off by default on loopback (the tests run there), on elsewhere', async () => {
    assert.equal(t.app.config.MQTT_AUTH, false);
  });

  it("delivers and ingests an anonymous client's retained message, but never stores it", async () => {
    const publisher = await connect('anon-retainer');
    await publisher.publishAsync('other/app/state', 'x'.repeat(2000), { qos: 1, retain: true });
    await publisher.publishAsync('parking/gateways/gw-anon/status', '{"state":"online"}', { qos: 1, retain: true });
    await eventually(async () => /kongwei_gateways_online 1/.test(await (await fetch(`${t.app.httpUrl}/metrics`)).text()), 5000, 'the status ingested');
    const late = await connect('late-subscriber');
    const retained: string[] = [];
    late.on('message', (topic, _payload, packet) => packet.retain && retained.push(topic));
    await late.subscribeAsync(['other/#', 'parking/#'], { qos: 1 });
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(retained.filter((topic) => !topic.endsWith('/availability')), [], 'nothing an anonymous client sent was kept');
  });

  it("refuses a client id that is connected already (identifier rejected), and leaves that client connected", async () => {
    const gateway = await connect('gw-victim');
    await assert.rejects(connectMqtt(t.app.mqtt.url, { clientId: 'gw-victim' }), (err: Error & { code?: number }) => err.code === 2);
    await publish(gateway, 'parking/lots/cruise-port/count', { occupied: 4 });
    assert.equal((await getJson<LotView>(t.app.httpUrl, '/api/lots/cruise-port')).body.occupied, 4, 'the gateway is still connected');
  });
});

describe('embedded broker limits: failed authentications (MQTT_AUTH on)', function () {
  this.timeout(30_000);
  let t: TestApp;
  let now = Date.parse('2026-11-28T08:00:00Z');
  let gateway: { id: string; secret: string };
  before(async () => {
    t = await startApp({ ADMIN_TOKEN, MQTT_AUTH: 'on', MQTT_AUTH_FAILURES_PER_MINUTE: '3', MQTT_CONNECT_TIMEOUT_MS: '600' }, { clock: () => now });
    const owner = await createOperator(t.app.httpUrl, 'Throttle Owner');
    assert.equal((await api(t.app.httpUrl, 'POST', '/api/lots', { token: owner.token, body: newLot({ id: 'throttle-lot' }) })).status, 201);
    const created = await api(t.app.httpUrl, 'POST', '/api/lots/throttle-lot/gateways', { token: owner.token, body: {} });
    gateway = { id: created.body.id, secret: created.body.secret };
  });
  after(async () => t?.stop());

  it('answers the first failures at once (bad user name or password), then holds failures back until the connect deadline', async () => {
    for (let i = 0; i < 3; i++) {
      const { code, connection } = await tryConnect(portOf(t), { clientId: gateway.id, username: gateway.id, password: `wrong-${i}` });
      assert.equal(code, 4, `failure ${i + 1} answered`);
      connection.socket.destroy();
    }
    const held = await tryConnect(portOf(t), { clientId: gateway.id, username: gateway.id, password: 'wrong-again' }, 10_000);
    assert.equal(held.code, undefined, 'no answer: closed at the deadline');
    assert.ok(held.connection.isClosed());
  });

  it('lets a valid gateway in from the same address while its failures are held back', async () => {
    const { code, connection } = await tryConnect(portOf(t), { clientId: gateway.id, username: gateway.id, password: gateway.secret });
    assert.equal(code, 0);
    connection.socket.destroy();
  });

  it('answers failures at once again when the bucket has refilled (a minute later)', async () => {
    now += 60_000;
    const { code, connection } = await tryConnect(portOf(t), { clientId: gateway.id, username: gateway.id, password: 'wrong-later' });
    assert.equal(code, 4);
    connection.socket.destroy();
  });
});
