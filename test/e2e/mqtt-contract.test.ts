// The whole MQTT contract (DESIGN.md §3) as a gateway maker meets it, over a
// real broker: once with the embedded pair (aedes + the in-process store),
// once with Mosquitto and Redis. Time is the app's clock, moved forward by
// the test, so staleness needs no waiting.
import assert from 'node:assert/strict';
import type { MqttClient } from 'mqtt';
import type { LotView } from '../../server/domain/lot.ts';
import {
  collectUpdates, connectMqtt, connectSocket, eventually, getJson, publish, startApp, subscribe,
  type TestApp, type TestSocket,
} from '../helpers/app.ts';
import { clearRetained, recordMessages, type Received } from '../helpers/mqtt.ts';
import { cleanRedisPrefix, MQTT_TEST_URL, REDIS_TEST_URL, requireService, uniqueName } from '../helpers/services.ts';

interface Mode {
  name: string;
  require(ctx: Mocha.Context): Promise<void>;
  env(base: string): Record<string, string>;
  cleanup(base: string): Promise<void>;
  /** Where a gateway hears about its rejected messages. */
  errorsTopic(base: string, gatewayId: string): string;
  /** How the service knows the lots of a gateway: from its client id (embedded), or assigned in SQL. */
  gatewayLots: 'learned' | 'assigned';
}

const redisPrefix = uniqueName('kwtest:');
const modes: Mode[] = [
  {
    name: 'embedded broker and in-process store',
    require: async () => {},
    env: () => ({}),
    cleanup: async () => {},
    errorsTopic: (base, gatewayId) => `${base}/gateways/${gatewayId}/errors`,
    gatewayLots: 'learned',
  },
  {
    name: 'Mosquitto and Redis',
    require: async (ctx) => {
      await requireService(ctx, 'redis');
      await requireService(ctx, 'mosquitto');
    },
    env: (base) => ({
      REDIS_URL: REDIS_TEST_URL,
      REDIS_KEY_PREFIX: `${redisPrefix}:`,
      MQTT_URL: MQTT_TEST_URL,
      MQTT_BASE_TOPIC: base,
      MQTT_CLIENT_ID: uniqueName('kongwei-test-'),
      MQTT_INGEST_CONNECTIONS: '2',
    }),
    cleanup: async (base) => {
      await clearRetained(MQTT_TEST_URL, base);
      await cleanRedisPrefix(redisPrefix);
    },
    errorsTopic: (base) => `${base}/errors`,
    gatewayLots: 'assigned',
  },
];

for (const mode of modes) {
  describe(`end to end: the MQTT contract (${mode.name})`, function () {
    this.timeout(30_000);
    let t: TestApp;
    let offsetMs = 0;
    const base = uniqueName('kwtest-');
    const clients: MqttClient[] = [];
    const sockets: TestSocket[] = [];
    const now = () => Date.now() + offsetMs;
    const brokerUrl = () => t.app.mqtt.url;
    const topic = (lot: string, rest: string) => `${base}/lots/${lot}/${rest}`;
    const lot = async (id: string) => (await getJson<LotView>(t.app.httpUrl, `/api/lots/${id}`)).body;
    const metrics = async () => (await fetch(`${t.app.httpUrl}/metrics`)).text();
    /** How many events of a kind the service has applied (the broker's PUBACK does not say the service has). */
    const applied = async (kind: string) =>
      Number(new RegExp(`kongwei_events_total\\{kind="${kind}",outcome="applied"\\} (\\d+)`).exec(await metrics())?.[1] ?? 0);
    const gateway = async (clientId: string, options: Parameters<typeof connectMqtt>[1] = {}) => {
      const client = await connectMqtt(brokerUrl(), { clientId, ...options });
      clients.push(client);
      return client;
    };
    const socketFor = async (ids: string[]) => {
      const socket = await connectSocket(t.app.httpUrl);
      sockets.push(socket);
      await subscribe(socket, { ids });
      return collectUpdates(socket);
    };

    before(async function () {
      await mode.require(this);
      t = await startApp({ MQTT_BASE_TOPIC: base, ...mode.env(base) }, { clock: now });
    });
    after(async () => {
      for (const s of sockets) s.disconnect();
      for (const c of clients) await c.endAsync(true).catch(() => {});
      await t?.stop();
      await mode.cleanup(base);
    });

    it('counts each gate event once by its seq, and ignores one older than the last count', async () => {
      const g = await gateway(uniqueName('gate-'));
      await publish(g, topic('liaocheng-rd', 'count'), { occupied: 10, ts: now() - 10_000, seq: 1 });
      // Applied first, so the older gate event below meets it (messages may be applied in any order:
      // had that event come first, the count would have absorbed it, with the same result).
      await eventually(async () => (await lot('liaocheng-rd')).occupied === 10, 5000, 'the count');
      const entry = { event: 'entry', count: 2, gate: 'north', ts: now() - 5000, seq: 1 };
      await publish(g, topic('liaocheng-rd', 'gate'), entry);
      await publish(g, topic('liaocheng-rd', 'gate'), entry); // a resend: the same event, the same payload
      await publish(g, topic('liaocheng-rd', 'gate'), { event: 'exit', gate: 'north', ts: now() - 4000, seq: 2 });
      await publish(g, topic('liaocheng-rd', 'gate'), { event: 'entry', gate: 'south', ts: now() - 20_000, seq: 1 });
      await eventually(async () => (await lot('liaocheng-rd')).occupied === 11, 5000, 'occupied = 10 + 2 − 1');
      const text = await metrics();
      assert.match(text, /kongwei_events_total\{kind="gate",outcome="duplicate"\} 1$/m);
      assert.match(text, /kongwei_events_total\{kind="gate",outcome="superseded"\} 1$/m);
    });

    it('keeps the newest count: an older one and a duplicate change nothing', async () => {
      const g = await gateway(uniqueName('count-'));
      const ts = now() - 1000;
      await publish(g, topic('zhushuishan-rd-14', 'count'), { occupied: 40, ts, seq: 7 });
      await publish(g, topic('zhushuishan-rd-14', 'count'), { occupied: 12, ts: ts - 5000, seq: 8 });
      await publish(g, topic('zhushuishan-rd-14', 'count'), { occupied: 41, ts, seq: 7 });
      await eventually(async () => /kongwei_events_total\{kind="count",outcome="out_of_order"\} 1/.test(await metrics()), 5000, 'the older count counted');
      await eventually(async () => /kongwei_events_total\{kind="count",outcome="duplicate"\} 1/.test(await metrics()), 5000, 'the duplicate counted');
      assert.equal((await lot('zhushuishan-rd-14')).occupied, 40);
    });

    it("takes a lot's occupancy from bay sensors that cover it, over its counts; a few bays do not make its total", async () => {
      const g = await gateway(uniqueName('bays-'));
      for (const [space, occupied] of [['b-1', true], ['b-2', true], ['b-3', true]] as const) {
        await publish(g, topic('anshan-5th-rd', `spaces/${space}`), { occupied, ts: now() - 3000 });
      }
      await publish(g, topic('anshan-5th-rd', 'spaces/b-2'), { occupied: false, ts: now() - 2000 });
      // Three bays for a lot of 24: its count makes the total.
      await publish(g, topic('anshan-5th-rd', 'count'), { occupied: 20, ts: now() - 1000 });
      await eventually(async () => (await lot('anshan-5th-rd')).occupied === 20, 5000, 'the count: 20');
      // The count says the lot has 3 spaces now: the three bays cover it.
      await publish(g, topic('anshan-5th-rd', 'count'), { occupied: 20, capacity: 3, ts: now() - 500 });
      await eventually(async () => (await lot('anshan-5th-rd')).occupied === 2, 5000, 'two bays occupied');
      await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual([(await lot('anshan-5th-rd')).occupied, (await lot('anshan-5th-rd')).free], [2, 1]);
    });

    it('clamps a count above capacity to it and flags it', async () => {
      const g = await gateway(uniqueName('clamp-'));
      await publish(g, topic('cruise-port', 'count'), { occupied: 999, ts: now() });
      const view = await eventually(async () => {
        const v = await lot('cruise-port');
        return v.occupied === 300 ? v : undefined;
      }, 5000, 'clamped to 300');
      assert.deepEqual([view.free, view.clamped], [0, true]);
      assert.match(await metrics(), /kongwei_counts_clamped_total [1-9]/);
    });

    it('rejects bad messages with a reason, tells the gateway on its errors topic, and changes nothing', async () => {
      const id = uniqueName('err-');
      const g = await gateway(id);
      const received = recordMessages(g);
      await g.subscribeAsync(mode.errorsTopic(base, id), { qos: 0 });
      const before = await lot('siji-dormitory');
      await publish(g, topic('siji-dormitory', 'count'), 'not json');
      await publish(g, topic('siji-dormitory', 'gate'), { event: 'entry' });
      await publish(g, topic('no-such-lot', 'count'), { occupied: 1 });
      await publish(g, topic('siji-dormitory', 'count'), { occupied: 1, ts: now() + 3_600_000 });
      await publish(g, topic('siji-dormitory', 'spaces/Bay 1'), { occupied: true });
      const reasons = ['malformed_payload', 'invalid_payload', 'unknown_lot', 'future_timestamp', 'malformed_topic'];
      const feedback = await eventually(() => {
        const mine = received.map((m) => JSON.parse(m.payload) as { reason: string; topic: string }).filter((m) => m.topic.includes('/lots/'));
        return mine.length >= reasons.length ? mine : undefined;
      }, 5000, 'feedback on the errors topic');
      // Messages may be handled in any order (several in flight, several connections).
      assert.deepEqual(feedback.map((f) => f.reason).sort(), [...reasons].sort());
      assert.deepEqual(feedback.find((f) => f.reason === 'malformed_payload'), {
        topic: topic('siji-dormitory', 'count'), reason: 'malformed_payload', error: 'payload is not valid JSON', payload: 'not json',
      });
      assert.deepEqual(await lot('siji-dormitory'), before);
      const text = await metrics();
      for (const reason of reasons) assert.match(text, new RegExp(`kongwei_events_rejected_total\\{reason="${reason}"\\} 1$`, 'm'));
    });

    it("publishes each lot's availability, retained, for roadside signs", async () => {
      const g = await gateway(uniqueName('sign-src-'));
      await publish(g, topic('nanfeng-rd', 'count'), { free: 42, ts: now() });
      const sign = await gateway(uniqueName('sign-'));
      const received = recordMessages(sign);
      await sign.subscribeAsync(topic('nanfeng-rd', 'availability'), { qos: 1 });
      const message = await eventually(() => received.find((m) => JSON.parse(m.payload).free === 42), 5000, 'the availability');
      assert.deepEqual(JSON.parse(message.payload), {
        id: 'nanfeng-rd', status: 'open', capacity: 150, free: 42, occupied: 108, availability: 'available', stale: false,
        updatedAt: JSON.parse(message.payload).updatedAt, clamped: false,
      });
      const late = await gateway(uniqueName('sign-late-'));
      const retained: Received[] = recordMessages(late);
      await late.subscribeAsync(topic('nanfeng-rd', 'availability'), { qos: 1 });
      const first = await eventually(() => retained[0], 5000, 'the retained message');
      assert.deepEqual([first.retain, JSON.parse(first.payload).free], [true, 42]);
    });

    it('keeps a lot fresh with heartbeats, then pushes it stale to sockets and the MQTT output as time passes', async () => {
      const g = await gateway(uniqueName('hb-'));
      const updates = await socketFor(['liaocheng-rd']);
      const outputs = recordMessages(g);
      await g.subscribeAsync(topic('liaocheng-rd', 'availability'), { qos: 1 });
      const counts = await applied('count');
      await publish(g, topic('liaocheng-rd', 'count'), { occupied: 30, ts: now() });
      await eventually(async () => (await applied('count')) > counts, 5000, 'the count applied');
      offsetMs += 890_000;
      const heartbeats = await applied('heartbeat');
      const beat = now();
      await publish(g, topic('liaocheng-rd', 'heartbeat'), { ts: beat });
      // Only once the service has the heartbeat may the clock move on, or the lot is rightly stale.
      await eventually(async () => (await applied('heartbeat')) > heartbeats, 5000, 'the heartbeat applied');
      const heard = await lot('liaocheng-rd');
      assert.deepEqual([heard.heardAt, heard.updatedAt === heard.heardAt], [new Date(beat).toISOString(), false], 'heardAt is the heartbeat, updatedAt the count');
      offsetMs += 20_000;
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal((await lot('liaocheng-rd')).stale, false, 'the heartbeat 20 s ago keeps it fresh');
      assert.ok(!updates.flat().some((l) => l.stale), 'no stale push yet');

      offsetMs += 900_000;
      // Nobody reads the lot: the push comes from the service's own timer.
      const pushed = await eventually(() => updates.flat().find((l) => l.id === 'liaocheng-rd' && l.stale), 5000, 'a stale push');
      assert.deepEqual([pushed.availability, pushed.occupied], ['unknown', 30]);
      await eventually(() => outputs.some((m) => JSON.parse(m.payload).stale === true && JSON.parse(m.payload).availability === 'unknown'), 5000, 'stale on the MQTT output');
      assert.match(await metrics(), /kongwei_stale_transitions_total [1-9]/);
    });

    it("turns a lot stale after its own threshold when it has one (the lot's staleAfterS)", async () => {
      await t.app.db('lots').where({ id: 'cruise-port' }).update({ stale_after_s: 60 });
      await t.app.catalog.reload();
      const g = await gateway(uniqueName('quick-'));
      const updates = await socketFor(['cruise-port']);
      await publish(g, topic('cruise-port', 'count'), { occupied: 5, ts: now() });
      await eventually(async () => (await lot('cruise-port')).occupied === 5, 5000, 'the count');
      offsetMs += 61_000;
      await eventually(() => updates.flat().find((l) => l.id === 'cruise-port' && l.stale), 5000, 'stale after 61 s, not 900');
    });

    it("turns a gateway's lots stale at once when it goes offline (its Last Will), and back when it is online", async () => {
      const id = uniqueName('gw-');
      const status = `${base}/gateways/${id}/status`;
      if (mode.gatewayLots === 'assigned') {
        const at = new Date();
        await t.app.db('gateways').insert({ id, name: 'test gateway', secret_hash: null, created_at: at, updated_at: at });
        await t.app.db('gateway_lots').insert({ gateway_id: id, lot_id: 'siji-dormitory' });
      }
      const will = { topic: status, payload: Buffer.from('{"state":"offline"}'), qos: 1 as const, retain: true };
      const g = await gateway(id, { will });
      await publish(g, topic('siji-dormitory', 'count'), { occupied: 100, ts: now() });
      await g.publishAsync(status, '{"state":"online"}', { qos: 1, retain: true });
      await eventually(async () => /kongwei_gateways_online 1/.test(await metrics()), 5000, 'one gateway online');
      const updates = await socketFor(['siji-dormitory']);

      g.stream.destroy(); // the gateway drops off the network: the broker publishes its Last Will
      const pushed = await eventually(() => updates.flat().find((l) => l.id === 'siji-dormitory' && l.stale), 5000, 'the lot pushed stale');
      assert.equal(pushed.availability, 'unknown');
      assert.equal((await lot('siji-dormitory')).stale, true);
      assert.match(await metrics(), /kongwei_gateways_online 0/);

      const back = await gateway(id, { will });
      await back.publishAsync(status, 'online', { qos: 1, retain: true });
      await eventually(async () => (await lot('siji-dormitory')).stale === false, 5000, 'fresh again');
      assert.match(await metrics(), /kongwei_gateways_online 1/);
    });

    it('shows the counters moving on /metrics', async () => {
      const text = await metrics();
      for (const line of [
        /kongwei_events_total\{kind="count",outcome="applied"\} [1-9]/,
        /kongwei_events_total\{kind="gate",outcome="applied"\} [1-9]/,
        /kongwei_events_total\{kind="space",outcome="applied"\} [1-9]/,
        /kongwei_events_total\{kind="heartbeat",outcome="applied"\} [1-9]/,
        /kongwei_events_total\{kind="status",outcome="applied"\} [1-9]/,
        /kongwei_ingest_lag_seconds_count [1-9]/,
        /kongwei_availability_published_total [1-9]/,
      ]) assert.match(text, line);
    });
  });
}
