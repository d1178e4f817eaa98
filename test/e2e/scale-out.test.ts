// Two instances on one Redis, one PostgreSQL and one Mosquitto (DESIGN.md §2):
// the broker splits ingest between them through an MQTT 5 shared
// subscription, each event is applied exactly once whichever instance gets it
// (duplicates included), sockets on both instances see every change, and a
// lot written through one instance reaches the other. The same again on a
// real Redis Cluster (three masters with a replica each), with a failover of
// one master in the middle of a burst.
import assert from 'node:assert/strict';
import type { MqttClient } from 'mqtt';
import type { LotView } from '../../server/domain/lot.ts';
import { ADMIN_TOKEN, api, createOperator, newLot } from '../helpers/api.ts';
import {
  collectUpdates, connectMqtt, connectSocket, eventually, getJson, publish, startApp, subscribe,
  type TestApp, type TestSocket,
} from '../helpers/app.ts';
import { sharedCluster } from '../helpers/cluster.ts';
import { ingestPost } from '../helpers/ingest.ts';
import { MQTT_TEST_URL, productionEnvironment, uniqueName, type ProductionEnvironment } from '../helpers/services.ts';

const SHIBEI_BBOX = [120.30, 36.06, 120.40, 36.12] as const;

async function metric(t: TestApp, pattern: RegExp): Promise<number> {
  const text = await (await fetch(`${t.app.httpUrl}/metrics`)).text();
  return Number(pattern.exec(text)?.[1] ?? 0);
}

for (const live of ['Redis', 'Redis Cluster'] as const) describe(`scale-out: two instances on one ${live}, PostgreSQL and Mosquitto`, function () {
  this.timeout(60_000);
  const cluster = live === 'Redis Cluster' ? sharedCluster() : undefined;
  const instances: TestApp[] = [];
  const sockets: TestSocket[] = [];
  let production: ProductionEnvironment | undefined;
  let gateway: MqttClient;
  let base = '';
  const lot = async (t: TestApp, id: string) => getJson<LotView>(t.app.httpUrl, `/api/lots/${id}`);
  const socketOn = async (t: TestApp) => {
    const s = await connectSocket(t.app.httpUrl);
    sockets.push(s);
    return s;
  };

  before(async function () {
    production = await productionEnvironment(this);
    base = production.base;
    await cluster?.acquire(this);
    const { REDIS_URL, ...env } = production.env;
    const shared = {
      ...env,
      ...(cluster ? { REDIS_CLUSTER_NODES: cluster.addresses.join(',') } : { REDIS_URL: REDIS_URL! }),
      MQTT_INGEST_CONNECTIONS: '2',
      MQTT_SHARED_GROUP: uniqueName('kwtest-group-'),
      ADMIN_TOKEN,
    };
    // One after the other: the first migrates and seeds, the second finds it done.
    for (const name of ['a', 'b']) instances.push(await startApp({ ...shared, MQTT_CLIENT_ID: uniqueName(`kwtest-${name}-`) }));
    gateway = await connectMqtt(MQTT_TEST_URL);
  });

  after(async () => {
    for (const s of sockets) s.disconnect();
    await gateway?.endAsync();
    for (const t of instances) await t.stop();
    await production?.cleanup();
    await cluster?.release();
  });

  it('applies each gate event exactly once across both instances, duplicates included, and both instances show it', async () => {
    const [a, b] = instances as [TestApp, TestApp];
    const [onA, onB] = [await socketOn(a), await socketOn(b)];
    await subscribe(onA, { ids: ['cruise-port', 'nanfeng-rd'] });
    await subscribe(onB, { ids: ['cruise-port', 'nanfeng-rd'] });
    const [seenA, seenB] = [collectUpdates(onA), collectUpdates(onB)];

    const t0 = Date.now() - 60_000;
    const entries = (lotId: string, gate: string, n: number) =>
      Array.from({ length: n }, (_, i) => ({ topic: `${base}/lots/${lotId}/gate`, payload: { event: 'entry', count: 1, gate, ts: t0 + i, seq: i + 1 } }));
    const events = [...entries('cruise-port', 'north', 120), ...entries('nanfeng-rd', 'east', 100)];
    // Every 10th event again: a redelivery may reach the other instance, which must know it too.
    const duplicates = events.filter((_, i) => i % 10 === 0);
    await Promise.all([...events, ...duplicates].map((e) => publish(gateway, e.topic, e.payload)));

    for (const t of instances) {
      await eventually(async () => (await lot(t, 'cruise-port')).body.occupied === 120, 15_000, 'cruise-port at 120');
      await eventually(async () => (await lot(t, 'nanfeng-rd')).body.occupied === 100, 15_000, 'nanfeng-rd at 100');
    }
    const applied = /kongwei_events_total\{kind="gate",outcome="applied"\} (\d+)/;
    const duplicate = /kongwei_events_total\{kind="gate",outcome="duplicate"\} (\d+)/;
    const [appliedA, appliedB] = [await metric(a, applied), await metric(b, applied)];
    assert.equal(appliedA + appliedB, events.length, 'each event applied once in all');
    assert.ok(appliedA > 0 && appliedB > 0, `the broker shared the work (a: ${appliedA}, b: ${appliedB})`);
    // The duplicates went out last, over several connections: some may still be on their way.
    await eventually(async () => (await metric(a, duplicate)) + (await metric(b, duplicate)) === duplicates.length, 10_000, 'each duplicate recognised');

    for (const seen of [seenA, seenB]) {
      await eventually(() => seen.flat().some((l) => l.id === 'cruise-port' && l.occupied === 120), 5000, 'the final count on a socket');
      await eventually(() => seen.flat().some((l) => l.id === 'nanfeng-rd' && l.occupied === 100), 5000, 'the final count on a socket');
    }
  });

  it('takes a lot created through one instance onto the other: its catalog, its sockets, its ingest', async () => {
    const [a, b] = instances as [TestApp, TestApp];
    const watcher = await socketOn(b);
    await subscribe(watcher, { bbox: SHIBEI_BBOX });
    const seen = collectUpdates(watcher);
    const removed: string[] = [];
    watcher.on('lots:remove', (ids) => removed.push(...ids));

    const { token } = await createOperator(a.app.httpUrl, 'Scale-out Ops');
    const created = await api<LotView>(a.app.httpUrl, 'POST', '/api/lots', { token, body: newLot({ id: 'scale-new', capacity: 60 }) });
    assert.equal(created.status, 201);
    await eventually(() => seen.flat().some((l) => l.id === 'scale-new'), 5000, 'the new lot on a socket of the other instance');
    assert.equal((await lot(b, 'scale-new')).status, 200);

    await publish(gateway, `${base}/lots/scale-new/count`, { occupied: 13 });
    for (const t of instances) await eventually(async () => (await lot(t, 'scale-new')).body.free === 47, 5000, 'the count on both');

    const changed = await api<LotView>(b.app.httpUrl, 'PATCH', '/api/lots/scale-new', { token, body: { nameEn: 'Scaled Out Car Park' } });
    assert.equal(changed.status, 200);
    await eventually(async () => (await lot(a, 'scale-new')).body.nameEn === 'Scaled Out Car Park', 5000, 'the edit on the first instance');

    assert.equal((await api(a.app.httpUrl, 'DELETE', '/api/lots/scale-new', { token })).status, 204);
    await eventually(() => removed.includes('scale-new'), 5000, 'lots:remove on the other instance');
    await eventually(async () => (await lot(b, 'scale-new')).status === 404, 5000, 'gone from the other instance');
  });

  it("cuts a disabled operator's gateways off on the other instance too, at once (not at its next periodic reload)", async () => {
    const [a, b] = instances as [TestApp, TestApp];
    const leaving = await createOperator(a.app.httpUrl, 'Leaving Scale-out Ops');
    assert.equal((await api(a.app.httpUrl, 'POST', '/api/lots', { token: leaving.token, body: newLot({ id: 'scale-leaving', capacity: 30 }) })).status, 201);
    const made = await api(a.app.httpUrl, 'POST', '/api/lots/scale-leaving/gateways', { token: leaving.token, body: { name: 'barrier' } });
    assert.equal(made.status, 201);
    const barrier = { id: made.body.id as string, secret: made.body.secret as string };
    const post = (seq: number) => ingestPost(b.app.httpUrl, '/api/ingest/lots/scale-leaving/count', { occupied: seq, seq }, barrier);
    await eventually(async () => (await post(1)).status === 200, 5000, 'the new gateway taken by the other instance');
    assert.equal((await api(a.app.httpUrl, 'DELETE', `/api/operators/${leaving.id}`, { token: ADMIN_TOKEN })).status, 204);
    // The other instance's periodic reload is a minute away: within 3 s, only the announcement can have done it.
    let seq = 1;
    await eventually(async () => (await post(++seq)).status === 401, 3000, 'the gateway refused by the other instance');
    assert.equal((await api(a.app.httpUrl, 'DELETE', '/api/lots/scale-leaving', { token: ADMIN_TOKEN })).status, 204);
  });

  if (live === 'Redis Cluster') it('loses nothing and counts nothing twice when a master fails over to its replica during a burst', async function () {
    this.timeout(90_000);
    const [a, b] = instances as [TestApp, TestApp];
    // Lots on every shard, none touched by the other tests, each with room for every entry.
    const lots = ['siji-dormitory', 'zhushuishan-rd-14', 'shanghai-branch-rd', 'ruidao-rd', 'liaocheng-rd'];
    const t0 = Date.now() - 120_000;
    let sent = 0;
    const sendRound = () => {
      const seq = ++sent;
      return Promise.all(lots.map((lotId) => publish(gateway, `${base}/lots/${lotId}/gate`, { event: 'entry', count: 1, gate: 'fo', ts: t0 + seq, seq })));
    };
    for (let i = 0; i < 10; i++) await sendRound();
    // The master of the first shard hands over to its replica while a round of entries goes out every 20 ms.
    let failedOver = false;
    const failover = cluster!.cluster!.failover(0).finally(() => (failedOver = true));
    const before = sent;
    const rounds: Promise<unknown>[] = [];
    while (!failedOver && sent < 55) {
      rounds.push(sendRound());
      await new Promise((r) => setTimeout(r, 20));
    }
    const moved = await failover;
    assert.notEqual(moved.from, moved.to);
    assert.ok(sent - before > 0, 'entries went out during the failover');
    await Promise.all(rounds);
    while (sent < 60) await sendRound();
    for (const t of [a, b]) {
      for (const lotId of lots) await eventually(async () => (await lot(t, lotId)).body.occupied === sent, 30_000, `${lotId} at ${sent} on both`);
    }
    // Each delivered once more: all recognised as duplicates, nothing counted twice.
    await Promise.all(lots.map((lotId) => publish(gateway, `${base}/lots/${lotId}/gate`, { event: 'entry', count: 1, gate: 'fo', ts: t0, seq: 1 })));
    const duplicate = /kongwei_events_total\{kind="gate",outcome="duplicate"\} (\d+)/;
    await eventually(async () => (await metric(a, duplicate)) + (await metric(b, duplicate)) >= lots.length, 10_000, 'the resends recognised');
    for (const lotId of lots) assert.equal((await lot(a, lotId)).body.clamped, false, `${lotId} never over capacity`);
  });
});
