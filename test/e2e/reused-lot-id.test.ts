// A lot id deleted and created again by another operator starts with no
// gateway: the old owner's gateway going offline cannot turn the new lot
// stale, whether the service knew that gateway from its traffic (embedded
// broker, learned) or from an operator's assignment (SQL).
import assert from 'node:assert/strict';
import type { MqttClient } from 'mqtt';
import type { LotView } from '../../server/domain/lot.ts';
import { ADMIN_TOKEN, api, createOperator, newLot } from '../helpers/api.ts';
import { connectMqtt, eventually, publish, startApp, type TestApp } from '../helpers/app.ts';
import { cleanRedisPrefix, REDIS_TEST_URL, requireService, uniqueName } from '../helpers/services.ts';

const modes = [
  { name: 'in-process store', env: (): Record<string, string> => ({}), require: async (_ctx: Mocha.Context) => {} },
  {
    name: 'Redis',
    env: (): Record<string, string> => ({ REDIS_URL: REDIS_TEST_URL, REDIS_KEY_PREFIX: `${uniqueName('kwtest-reuse-')}:` }),
    require: (ctx: Mocha.Context) => requireService(ctx, 'redis'),
  },
];

for (const mode of modes) {
  describe(`a reused lot id inherits no gateway (${mode.name})`, function () {
    this.timeout(30_000);
    let t: TestApp;
    let prefix: string | undefined;
    const clients: MqttClient[] = [];
    const lot = async (id: string) => (await api<LotView>(t.app.httpUrl, 'GET', `/api/lots/${id}`)).body;
    before(async function () {
      await mode.require(this);
      const env = mode.env();
      prefix = env.REDIS_KEY_PREFIX;
      t = await startApp({ ADMIN_TOKEN, ...env });
    });
    after(async () => {
      for (const c of clients) await c.endAsync(true).catch(() => {});
      await t?.stop();
      if (prefix) await cleanRedisPrefix(prefix);
    });

    it("learned from traffic: the old owner's gateway's offline leaves the new owner's lot fresh", async () => {
      const base = t.app.httpUrl;
      const [oldOwner, newOwner] = [await createOperator(base, 'Old Owner'), await createOperator(base, 'New Owner')];
      assert.equal((await api(base, 'POST', '/api/lots', { token: oldOwner.token, body: newLot({ id: 'reused-lot' }) })).status, 201);
      const oldGateway = await connectMqtt(t.app.mqtt.url, { clientId: 'gw-old-owner' });
      clients.push(oldGateway);
      await publish(oldGateway, 'parking/lots/reused-lot/count', { occupied: 5 });
      assert.equal((await api(base, 'DELETE', '/api/lots/reused-lot', { token: oldOwner.token })).status, 204);

      assert.equal((await api(base, 'POST', '/api/lots', { token: newOwner.token, body: newLot({ id: 'reused-lot', name: '新车场' }) })).status, 201);
      const newGateway = await connectMqtt(t.app.mqtt.url, { clientId: 'gw-new-owner' });
      clients.push(newGateway);
      await publish(newGateway, 'parking/lots/reused-lot/count', { occupied: 12 });
      await publish(oldGateway, 'parking/gateways/gw-old-owner/status', { state: 'offline' });
      await eventually(async () => /kongwei_events_total\{kind="status",outcome="applied"\} 1/.test(await (await fetch(`${base}/metrics`)).text()), 5000, 'the status applied');
      const now = await lot('reused-lot');
      assert.deepEqual([now.occupied, now.stale, now.availability], [12, false, 'available']);

      // The new owner's own gateway still turns it stale: the links learned since are kept.
      await publish(newGateway, 'parking/gateways/gw-new-owner/status', { state: 'offline' });
      await eventually(async () => (await lot('reused-lot')).stale, 5000, 'stale by its own gateway');
    });

    it("assigned in SQL: the old gateway is no longer the lot's, and its offline leaves the new lot fresh", async () => {
      const base = t.app.httpUrl;
      const [oldOwner, newOwner] = [await createOperator(base, 'Old SQL Owner'), await createOperator(base, 'New SQL Owner')];
      assert.equal((await api(base, 'POST', '/api/lots', { token: oldOwner.token, body: newLot({ id: 'reused-sql' }) })).status, 201);
      const created = await api(base, 'POST', '/api/lots/reused-sql/gateways', { token: oldOwner.token, body: {} });
      const gatewayId: string = created.body.id;
      assert.equal((await api(base, 'DELETE', '/api/lots/reused-sql', { token: oldOwner.token })).status, 204);
      assert.deepEqual(await t.app.db('gateway_lots').where({ lot_id: 'reused-sql' }), []);

      assert.equal((await api(base, 'POST', '/api/lots', { token: newOwner.token, body: newLot({ id: 'reused-sql' }) })).status, 201);
      assert.deepEqual((await api(base, 'GET', '/api/lots/reused-sql/gateways', { token: newOwner.token })).body.gateways, []);
      const sensor = await connectMqtt(t.app.mqtt.url, { clientId: 'gw-new-sql' });
      clients.push(sensor);
      await publish(sensor, 'parking/lots/reused-sql/count', { occupied: 3 });
      // The embedded broker acknowledges a message once ingest has applied it.
      await publish(sensor, `parking/gateways/${gatewayId}/status`, { state: 'offline' });
      assert.equal((await lot('reused-sql')).stale, false);
    });
  });
}
