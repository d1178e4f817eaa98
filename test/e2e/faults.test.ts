// Faults in the scale-out topology (DESIGN.md §2): two instances sharing the
// lot topics in an MQTT 5 shared subscription, on one Redis, one PostgreSQL
// and one Mosquitto — each a private server on a free port that this test
// starts, kills and restarts (the machine's shared services are never
// touched). One instance killed with SIGKILL in the middle of a burst; Redis
// killed and restarted under both; PostgreSQL stopped for 30 s. Each time the
// final counts are exact and everything recovers by itself. (The broker's
// restart is in faults-broker.test.ts.)
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { LotView } from '../../server/domain/lot.ts';
import { ADMIN_TOKEN, api, createOperator, newLot } from '../helpers/api.ts';
import {
  collectUpdates, connectMqtt, connectSocket, eventually, getJson, publish, startApp, subscribe, type TestApp, type TestSocket,
} from '../helpers/app.ts';
import { burst, faultSuite, gateCounter, killed, metricValue, occupiedIn, startService } from '../helpers/faults.ts';
import { PrivateMosquitto, PrivateRedis } from '../helpers/private-services.ts';
import { uniqueName } from '../helpers/services.ts';

const BASE = 'parking';
const PREFIX = 'kw:';
const BIG = 100_000;
const OUTAGE_MS = 30_000;

describe('faults in the scale-out topology (two instances; private Redis, Mosquitto and PostgreSQL)', function () {
  this.timeout(150_000);
  const suite = faultSuite();
  const { later } = suite;

  /** A fresh database, Redis and broker for one test, and the environment both instances share. */
  async function topology(options: { durableRedis?: boolean } = {}) {
    const redis = new PrivateRedis({ durable: options.durableRedis ?? false });
    const broker = new PrivateMosquitto();
    later(() => redis.remove());
    later(() => broker.remove());
    const [databaseUrl] = await Promise.all([suite.postgres.createDatabase(uniqueName('kwfault_')), redis.start(), broker.start()]);
    const client = new Redis(redis.url, { retryStrategy: () => 100, maxRetriesPerRequest: 1 });
    client.on('error', () => {});
    later(async () => client.disconnect());
    const env = {
      DATABASE_URL: databaseUrl, REDIS_URL: redis.url, REDIS_KEY_PREFIX: PREFIX, MQTT_URL: broker.url, MQTT_BASE_TOPIC: BASE,
      MQTT_SHARED_GROUP: 'kongwei', MQTT_INGEST_CONNECTIONS: '2', ADMIN_TOKEN,
    };
    return { redis, broker, databaseUrl, client, env };
  }
  const inProcess = async (env: Record<string, string>, name: string) => {
    const t = await startApp({ ...env, MQTT_CLIENT_ID: uniqueName(`kwfault-${name}-`) });
    later(() => t.stop());
    return t;
  };
  const socketOn = async (t: TestApp, ids: string[]) => {
    const socket = await connectSocket(t.app.httpUrl);
    later(async () => socket.disconnect());
    await subscribe(socket, { ids });
    return socket;
  };
  const lotOn = async (url: string, id: string) => getJson<LotView>(url, `/api/lots/${id}`);
  /** Whether a socket has been pushed this lot in this state. */
  const pushed = (seen: LotView[][], id: string, check: (lot: LotView) => boolean) => seen.flat().some((l) => l.id === id && check(l));

  it('kill -9 of one instance in the middle of a burst: the other goes on, takes over what the dead one held, and every event counts exactly once', async () => {
    const { client, env } = await topology();
    const aEnv = { ...env, MQTT_CLIENT_ID: uniqueName('kwfault-a-'), LOG_LEVEL: 'info' };
    let a = startService(aEnv);
    later(() => killed(a.child, 'SIGKILL'));
    await a.ready; // the first instance migrates and seeds; the second finds it done
    const b = await inProcess(env, 'b');
    const counter = await gateCounter(env.MQTT_URL);
    later(() => counter.endAsync(true));
    const occupied = (lot: string) => occupiedIn(client, PREFIX, lot);

    // Entries only: a lot's occupancy is the number of its events applied. Thirty gates: no gate
    // counts on 1024 times while the dead instance's share waits (the store's window per gate).
    const n = 3000;
    const entries = { capacity: BIG, exitEvery: 0, gates: 30 };
    const { sent } = await burst(counter, BASE, n, Date.now() - 60_000, { lot: 'cruise-port', ...entries });
    await eventually(async () => (await occupied('cruise-port')) >= 300, 30_000, 'the first events applied');
    await killed(a.child, 'SIGKILL');
    const killedAt = Date.now();
    const atKill = await occupied('cruise-port');
    assert.ok(atKill < n, `killed in the middle (${atKill} of ${n} applied)`);
    await sent;
    // More events after the kill: the broker still gives the dead instance's sessions their share, until the survivor takes them over.
    const after = await burst(counter, BASE, 200, Date.now() - 30_000, { lot: 'nanfeng-rd', ...entries });
    await after.sent;

    // The other instance goes on alone: every event, published before or after the kill, is applied once.
    await eventually(async () => (await occupied('cruise-port')) === n && (await occupied('nanfeng-rd')) === 200, 60_000, `cruise-port at ${n} and nanfeng-rd at 200 without the killed instance`);
    const takeoverS = (Date.now() - killedAt) / 1000;
    // The drained session is closed once it has been quiet for a moment.
    await eventually(async () => (await metricValue(b.app.httpUrl, 'kongwei_mqtt_sessions_drained_total')) === 1, 30_000, "the killed instance's session drained and closed");
    const drained = await metricValue(b.app.httpUrl, 'kongwei_mqtt_session_messages_drained_total');
    assert.ok(drained > 0, 'it held messages');
    console.log(`      kill -9 of one of two instances: ${atKill} of ${n} applied at the kill; the survivor took over the dead session and ingested the ${drained} messages it held; all exact ${takeoverS.toFixed(1)} s after the kill`);
    for (const [lot, count] of [['cruise-port', n], ['nanfeng-rd', 200]] as const) {
      const { body } = await lotOn(b.app.httpUrl, lot);
      assert.deepEqual([body.occupied, body.clamped], [count, false]);
    }

    // The killed instance comes back under its client id: it takes a fresh share, and everything stays exact.
    a = startService(aEnv);
    const aUrl = await a.ready;
    const again = await burst(counter, BASE, 1000, Date.now() - 20_000, { lot: 'hangzhou-rd-7', ...entries });
    await again.sent;
    await eventually(async () => (await occupied('hangzhou-rd-7')) === 1000, 60_000, 'hangzhou-rd-7 at 1000 with both instances');
    assert.ok((await metricValue(aUrl, 'kongwei_events_total', 'kind="gate",outcome="applied"')) > 0, 'the restarted instance took its share');
    await new Promise((r) => setTimeout(r, 500));
    for (const [lot, count] of [['cruise-port', n], ['nanfeng-rd', 200], ['hangzhou-rd-7', 1000]] as const) {
      assert.equal(await occupied(lot), count, `${lot} stays exact: nothing applied twice`);
      for (const url of [aUrl, b.app.httpUrl]) assert.equal((await lotOn(url, lot)).body.occupied, count);
    }
    await killed(a.child, 'SIGTERM');
  });

  it('an instance stopped for good (a scale-down): the other takes its session over, so nothing waits for it', async () => {
    const { client, env } = await topology();
    const a = await inProcess(env, 'a');
    const b = await inProcess(env, 'b');
    await a.stop(); // cleanly: its session stays on the broker, and Mosquitto goes on giving it a share
    const counter = await gateCounter(env.MQTT_URL);
    later(() => counter.endAsync(true));
    const { sent } = await burst(counter, BASE, 400, Date.now() - 60_000, { lot: 'ruidao-rd', capacity: BIG, exitEvery: 0, gates: 20 });
    await sent;
    await eventually(async () => (await occupiedIn(client, PREFIX, 'ruidao-rd')) === 400, 60_000, 'ruidao-rd at 400 with one instance left');
    await eventually(async () => (await metricValue(b.app.httpUrl, 'kongwei_mqtt_sessions_drained_total')) === 1, 30_000, "the stopped instance's session drained and closed");
    assert.equal((await lotOn(b.app.httpUrl, 'ruidao-rd')).body.occupied, 400);
  });

  it('Redis killed and restarted under both instances: ingestion pauses, both recover by themselves, counts exact, sockets and catalog sync back', async () => {
    const { redis, client, env } = await topology({ durableRedis: true });
    const a = await inProcess(env, 'a');
    const b = await inProcess(env, 'b');
    const [onA, onB] = [await socketOn(a, ['cruise-port']), await socketOn(b, ['cruise-port'])];
    const [seenA, seenB] = [collectUpdates(onA), collectUpdates(onB)];
    const counter = await gateCounter(env.MQTT_URL);
    later(() => counter.endAsync(true));

    const { sent, expected } = await burst(counter, BASE, 2000, Date.now() - 60_000, { lot: 'cruise-port', capacity: BIG });
    await eventually(async () => (await occupiedIn(client, PREFIX, 'cruise-port')) >= 300, 30_000, 'the first events applied');
    await redis.kill('SIGKILL');
    for (const t of [a, b]) await eventually(async () => (await getJson(t.app.httpUrl, '/healthz')).status === 503, 15_000, '/healthz reporting Redis down');
    await redis.start();

    await sent;
    await eventually(async () => (await occupiedIn(client, PREFIX, 'cruise-port')) === expected, 60_000, `occupied = ${expected}`);
    for (const t of [a, b]) {
      await eventually(async () => (await getJson(t.app.httpUrl, '/healthz')).status === 200, 15_000, '/healthz back to 200');
      const { body } = await lotOn(t.app.httpUrl, 'cruise-port');
      assert.deepEqual([body.occupied, body.clamped], [expected, false]);
    }
    const retries = (await metricValue(a.app.httpUrl, 'kongwei_live_store_retries_total')) + (await metricValue(b.app.httpUrl, 'kongwei_live_store_retries_total'));
    assert.ok(retries > 0, 'ingestion paused and retried');
    // Each instance's feed follower reconnected: its sockets have the final count.
    for (const seen of [seenA, seenB]) await eventually(() => pushed(seen, 'cruise-port', (l) => l.occupied === expected), 15_000, 'the final count on a socket');
    // Each instance's catalog sync reconnected: a lot written through one reaches the other.
    const created = await api(a.app.httpUrl, 'POST', '/api/lots', { token: ADMIN_TOKEN, body: newLot({ id: 'after-redis', capacity: 30 }) });
    assert.equal(created.status, 201);
    await eventually(async () => (await lotOn(b.app.httpUrl, 'after-redis')).status === 200, 15_000, 'the new lot on the other instance');
  });

  it('PostgreSQL stopped for 30 s: ingest and the maps go on from memory, operator writes get 503 unavailable and leave nothing, all recovers by itself', async () => {
    const { env, databaseUrl } = await topology();
    const a = await inProcess(env, 'a');
    const b = await inProcess(env, 'b');
    const gateway = await connectMqtt(env.MQTT_URL);
    later(() => gateway.endAsync(true));
    const { token } = await createOperator(a.app.httpUrl, 'Outage Ops');
    assert.equal((await api(a.app.httpUrl, 'POST', '/api/lots', { token, body: newLot({ id: 'outage-lot', capacity: 1000 }) })).status, 201);
    const gw = await api(a.app.httpUrl, 'POST', '/api/lots/outage-lot/gateways', { token, body: { name: 'outage gateway' } });
    assert.equal(gw.status, 201);
    const statusTopic = `${BASE}/gateways/${gw.body.id}/status`;
    const count = (occupied: number) => publish(gateway, `${BASE}/lots/outage-lot/count`, { occupied, ts: Date.now(), seq: occupied });
    await publish(gateway, statusTopic, { state: 'online' });
    await count(10);
    for (const t of [a, b]) {
      await eventually(async () => (await lotOn(t.app.httpUrl, 'outage-lot')).body.free === 990, 15_000, 'the lot on both instances');
      await eventually(async () => (await metricValue(t.app.httpUrl, 'kongwei_events_total', 'kind="status"')) >= 1, 15_000, 'the gateway status on both');
    }
    const sockets = [await socketOn(a, ['outage-lot']), await socketOn(b, ['outage-lot'])];
    const seen = sockets.map((s: TestSocket) => collectUpdates(s));
    const auditBefore = (await api(a.app.httpUrl, 'GET', '/api/lots/outage-lot/audit', { token })).body.entries.length;

    await suite.postgres.kill('SIGINT'); // a fast shutdown: connections are cut, the server is gone
    const stoppedAt = Date.now();
    for (const t of [a, b]) await eventually(async () => (await getJson(t.app.httpUrl, '/healthz')).status === 503, 15_000, '/healthz 503 while PostgreSQL is down');

    // Operators' writes: a clear 503, whichever instance, whichever token (the admin's needs no SQL to authenticate).
    const writes: [TestApp, string, string, string | undefined, unknown][] = [
      [a, 'POST', '/api/lots', token, newLot({ id: 'refused-lot' })],
      [b, 'POST', '/api/lots', ADMIN_TOKEN, newLot({ id: 'refused-admin-lot' })],
      [b, 'PATCH', '/api/lots/outage-lot', token, { nameEn: 'Renamed During The Outage' }],
      [a, 'DELETE', '/api/lots/outage-lot', ADMIN_TOKEN, undefined],
      [a, 'POST', '/api/operators', ADMIN_TOKEN, { name: 'Nobody' }],
    ];
    for (const [t, method, path, bearer, body] of writes) {
      const answer = await api(t.app.httpUrl, method, path, { ...(bearer ? { token: bearer } : {}), ...(body === undefined ? {} : { body }) });
      assert.equal(answer.status, 503, `${method} ${path} during the outage: ${JSON.stringify(answer.body)}`);
      assert.equal(answer.body.error.code, 'unavailable');
      assert.match(answer.body.error.message, /try again/);
      assert.equal(answer.headers.get('retry-after'), '5');
    }

    // Ingest, reads and pushes go on, on both instances, for the whole outage.
    await publish(gateway, statusTopic, { state: 'offline' });
    for (const t of [a, b]) await eventually(async () => (await lotOn(t.app.httpUrl, 'outage-lot')).body.stale, 15_000, "the gateway's offline turns its lot stale on both");
    let occupied = 10;
    do {
      await count(++occupied);
      for (const t of [a, b]) {
        await eventually(async () => (await lotOn(t.app.httpUrl, 'outage-lot')).body.occupied === occupied, 15_000, `occupied ${occupied} on both`);
        // Searches read the instance's mirror of the change feed, a moment behind the store.
        await eventually(async () => {
          const search = await getJson<{ lots: LotView[] }>(t.app.httpUrl, '/api/lots?bbox=120.30,36.06,120.40,36.12');
          return search.status === 200 && search.body.lots.find((l) => l.id === 'outage-lot')?.occupied === occupied;
        }, 15_000, `occupied ${occupied} in a search`);
      }
      for (const s of seen) await eventually(() => pushed(s, 'outage-lot', (l) => l.occupied === occupied && !l.stale), 15_000, `occupied ${occupied} pushed`);
    } while (Date.now() - stoppedAt < OUTAGE_MS);
    for (const t of [a, b]) assert.equal((await getJson(t.app.httpUrl, '/healthz')).status, 503, 'still down after 30 s');
    console.log(`      PostgreSQL down ${((Date.now() - stoppedAt) / 1000).toFixed(1)} s: ${occupied - 10} counts applied and pushed meanwhile on both instances`);

    await suite.postgres.start();
    for (const t of [a, b]) await eventually(async () => (await getJson(t.app.httpUrl, '/healthz')).status === 200, 30_000, '/healthz 200 after PostgreSQL is back');

    // Nothing of a refused write is there.
    for (const t of [a, b]) {
      for (const id of ['refused-lot', 'refused-admin-lot']) assert.equal((await lotOn(t.app.httpUrl, id)).status, 404, `${id} was not created`);
      assert.equal((await lotOn(t.app.httpUrl, 'outage-lot')).body.nameEn, 'Test Car Park', 'the lot was not renamed');
    }
    const sql = new pg.Client({ connectionString: databaseUrl });
    await sql.connect();
    try {
      const rows = async (query: string) => (await sql.query(query)).rows;
      assert.deepEqual(await rows(`select id from lots where id in ('refused-lot', 'refused-admin-lot')`), []);
      assert.deepEqual(await rows(`select id from operators where name = 'Nobody'`), []);
      assert.deepEqual((await rows(`select name_en from lots where id = 'outage-lot'`)).map((r) => r.name_en), ['Test Car Park']);
    } finally {
      await sql.end();
    }
    assert.equal((await api(a.app.httpUrl, 'GET', '/api/lots/outage-lot/audit', { token })).body.entries.length, auditBefore, 'no audit entry for a refused write');

    // Writes work again, through either instance, and reach the other.
    assert.equal((await api(b.app.httpUrl, 'PATCH', '/api/lots/outage-lot', { token, body: { nameEn: 'After The Outage' } })).status, 200);
    await eventually(async () => (await lotOn(a.app.httpUrl, 'outage-lot')).body.nameEn === 'After The Outage', 15_000, 'the edit on the other instance');
    // And a gateway's status reads its lots from SQL again.
    await publish(gateway, statusTopic, { state: 'offline' });
    for (const t of [a, b]) await eventually(async () => (await lotOn(t.app.httpUrl, 'outage-lot')).body.stale, 15_000, 'offline after the outage: stale');
    await publish(gateway, statusTopic, { state: 'online' });
    for (const t of [a, b]) await eventually(async () => !(await lotOn(t.app.httpUrl, 'outage-lot')).body.stale, 15_000, 'online again: fresh');
  });
});
