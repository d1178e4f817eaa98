// Disabling an operator (DELETE /api/operators/{id}) cuts its gateways off at
// once on the embedded broker — connections closed, credentials refused, left
// out of the Mosquitto password file — while its lots stay on the map and in
// an admin's hands, their gateways listed under them.
import assert from 'node:assert/strict';
import type { MqttClient } from 'mqtt';
import { loadGatewayCredentials } from '../../server/catalog/gateways.ts';
import type { LotView } from '../../server/domain/lot.ts';
import { ADMIN_TOKEN, api, createOperator, newLot } from '../helpers/api.ts';
import { connectMqtt, eventually, publish, startApp, type TestApp } from '../helpers/app.ts';
import { ingestPost } from '../helpers/ingest.ts';

describe('disabling an operator cuts off its gateways (MQTT_AUTH on)', function () {
  this.timeout(30_000);
  let t: TestApp;
  const clients: MqttClient[] = [];
  const connect = async (id: string, secret: string, will = false) => {
    const client = await connectMqtt(t.app.mqtt.url, {
      clientId: id, username: id, password: secret,
      ...(will ? { will: { topic: `parking/gateways/${id}/status`, payload: Buffer.from('{"state":"offline"}'), qos: 1 as const, retain: true } } : {}),
    });
    clients.push(client);
    return client;
  };
  before(async () => {
    t = await startApp({ ADMIN_TOKEN, MQTT_AUTH: 'on', WRITE_RATE_LIMIT: '100000' });
  });
  after(async () => {
    for (const c of clients) await c.endAsync(true).catch(() => {});
    await t?.stop();
  });

  it("closes its gateways' connections, refuses their credentials, keeps its lots for an admin, and spares other operators' gateways", async () => {
    const base = t.app.httpUrl;
    const leaving = await createOperator(base, 'Leaving Operator');
    const staying = await createOperator(base, 'Staying Operator');
    const gatewayOf = async (token: string, lotId: string) => {
      assert.equal((await api(base, 'POST', '/api/lots', { token, body: newLot({ id: lotId }) })).status, 201);
      const { body } = await api(base, 'POST', `/api/lots/${lotId}/gateways`, { token, body: { name: 'entrance' } });
      return { id: body.id as string, secret: body.secret as string };
    };
    const gone = await gatewayOf(leaving.token, 'leaving-lot');
    const kept = await gatewayOf(staying.token, 'staying-lot');
    const goneClient = await connect(gone.id, gone.secret, true);
    const keptClient = await connect(kept.id, kept.secret);
    await publish(goneClient, 'parking/lots/leaving-lot/count', { occupied: 10 });
    await publish(goneClient, `parking/gateways/${gone.id}/status`, { state: 'online' });
    await publish(keptClient, 'parking/lots/staying-lot/count', { occupied: 4 });

    assert.equal((await ingestPost(base, '/api/ingest/lots/leaving-lot/count', { occupied: 10, seq: 1 }, gone)).status, 200, 'HTTP ingest takes it before');
    const closed = new Promise<void>((resolve) => goneClient.once('close', () => resolve()));
    assert.equal((await api(base, 'DELETE', `/api/operators/${leaving.id}`, { token: ADMIN_TOKEN })).status, 204);
    // At once, over HTTP too: the very next request after the 204 is refused (the DELETE waited for the reload).
    assert.equal((await ingestPost(base, '/api/ingest/lots/leaving-lot/count', { occupied: 11, seq: 2 }, gone)).status, 401);
    await closed; // at once: no waiting for a reload
    await assert.rejects(connectMqtt(t.app.mqtt.url, { clientId: gone.id, username: gone.id, password: gone.secret }), /Bad username or password|Not authorized/i);
    assert.equal((await api(base, 'GET', '/api/me', { token: leaving.token })).status, 401);

    // Its lot stays, greyed by its gateway's Last Will, and an admin manages it.
    const lot = await eventually(async () => {
      const view = (await api<LotView>(base, 'GET', '/api/lots/leaving-lot')).body;
      return view.stale ? view : undefined;
    }, 5000, 'the lot stale after its gateway was cut off');
    assert.deepEqual([lot.occupied, lot.availability], [10, 'unknown']);
    const listed = await api(base, 'GET', '/api/lots/leaving-lot/gateways', { token: ADMIN_TOKEN });
    assert.deepEqual(listed.body.gateways.map((g: { id: string; online: boolean }) => [g.id, g.online]), [[gone.id, false]]);
    assert.equal((await api(base, 'PATCH', '/api/lots/leaving-lot', { token: ADMIN_TOKEN, body: { name: '接管的停车场' } })).status, 200);
    const replacement = await api(base, 'POST', '/api/lots/leaving-lot/gateways', { token: ADMIN_TOKEN, body: { name: 'new entrance' } });
    assert.equal(replacement.status, 201);
    const newClient = await connect(replacement.body.id, replacement.body.secret);
    await publish(newClient, 'parking/lots/leaving-lot/count', { occupied: 2 });
    assert.equal((await api<LotView>(base, 'GET', '/api/lots/leaving-lot')).body.occupied, 2);

    // Other operators' gateways go on.
    assert.ok(keptClient.connected);
    await publish(keptClient, 'parking/lots/staying-lot/count', { occupied: 5 });
    assert.equal((await api<LotView>(base, 'GET', '/api/lots/staying-lot')).body.occupied, 5);

    // And the Mosquitto password file (npm run gateways -- mosquitto-passwd) leaves it out too.
    const ids = (await loadGatewayCredentials(t.app.db)).map((c) => c.id);
    assert.ok(!ids.includes(gone.id) && ids.includes(kept.id) && ids.includes(replacement.body.id));
  });

  it("revoking a gateway (DELETE /api/gateways/{id}) refuses it at once: the next HTTP post after the 204 → 401, its MQTT connection closed", async () => {
    const base = t.app.httpUrl;
    const owner = await createOperator(base, 'Revoking Operator');
    assert.equal((await api(base, 'POST', '/api/lots', { token: owner.token, body: newLot({ id: 'revoked-lot' }) })).status, 201);
    const made = await api(base, 'POST', '/api/lots/revoked-lot/gateways', { token: owner.token, body: { name: 'exit barrier' } });
    const revoked = { id: made.body.id as string, secret: made.body.secret as string };
    const client = await connect(revoked.id, revoked.secret);
    await publish(client, 'parking/lots/revoked-lot/count', { occupied: 3 });
    assert.equal((await ingestPost(base, '/api/ingest/lots/revoked-lot/count', { occupied: 4, seq: 1 }, revoked)).status, 200, 'HTTP ingest takes it before');

    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    assert.equal((await api(base, 'DELETE', `/api/gateways/${revoked.id}`, { token: owner.token })).status, 204);
    assert.equal((await ingestPost(base, '/api/ingest/lots/revoked-lot/count', { occupied: 5, seq: 2 }, revoked)).status, 401);
    await closed;
    await assert.rejects(connectMqtt(t.app.mqtt.url, { clientId: revoked.id, username: revoked.id, password: revoked.secret }), /Bad username or password|Not authorized/i);
    assert.equal((await api<LotView>(base, 'GET', '/api/lots/revoked-lot')).body.occupied, 4);
  });
});
