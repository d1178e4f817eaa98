// How the service subscribes on an external broker: plain for one connection,
// a shared group for several (or when one is set, for several instances).
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { loadConfig } from '../../server/config.ts';
import { ingestSubscriptions } from '../../server/domain/events.ts';
import { connectionFilters, ingestClientId, pipelineAcks, sharedGroupFor, subscriptionFilters } from '../../server/ingest/mqtt-client.ts';
import type { HandledMessage } from '../../server/ingest/transport.ts';
import mqtt from 'mqtt';
import { eventually } from '../helpers/app.ts';
import { MQTT_TEST_URL, requireService, uniqueName } from '../helpers/services.ts';

describe('external broker subscriptions', () => {
  it('keeps plain subscriptions for one connection, and shares them among several', () => {
    assert.equal(sharedGroupFor(1, undefined), null);
    assert.equal(sharedGroupFor(4, undefined), 'kongwei');
    assert.equal(sharedGroupFor(1, 'parking-ingest'), 'parking-ingest');
    assert.deepEqual(subscriptionFilters(['parking/lots/+/count'], 'kongwei'), ['$share/kongwei/parking/lots/+/count']);
    assert.deepEqual(subscriptionFilters(['parking/lots/+/count'], null), ['parking/lots/+/count']);
  });

  it('subscribes every instance to gateway statuses plainly (in order, retained ones too), on its first connection', () => {
    const subscriptions = ingestSubscriptions('p');
    const first = connectionFilters(subscriptions, 'kongwei', 0);
    assert.ok(first.wanted.includes('p/gateways/+/status'));
    assert.ok(first.wanted.includes('$share/kongwei/p/lots/+/count'));
    assert.ok(first.unwanted.includes('p/lots/+/count'), 'a plain lot subscription left from before would double every message');
    const second = connectionFilters(subscriptions, 'kongwei', 1);
    assert.ok(!second.wanted.some((f) => f.includes('/gateways/')));
    assert.deepEqual(connectionFilters(subscriptions, null, 0).wanted, ['p/lots/+/count', 'p/lots/+/gate', 'p/lots/+/spaces/+', 'p/lots/+/heartbeat', 'p/gateways/+/status']);
  });

  it('gives each connection its own stable client id, the first keeping MQTT_CLIENT_ID', () => {
    assert.deepEqual([0, 1, 2].map((i) => ingestClientId('kongwei-ingest', i)), ['kongwei-ingest', 'kongwei-ingest#2', 'kongwei-ingest#3']);
  });

  it('reads MQTT_INGEST_CONNECTIONS and MQTT_SHARED_GROUP, refusing bad values', () => {
    const config = loadConfig({ MQTT_INGEST_CONNECTIONS: '4', MQTT_SHARED_GROUP: 'kw_a' });
    assert.deepEqual([config.MQTT_INGEST_CONNECTIONS, config.MQTT_SHARED_GROUP], [4, 'kw_a']);
    assert.equal(loadConfig({}).MQTT_INGEST_CONNECTIONS, 1);
    assert.throws(() => loadConfig({ MQTT_INGEST_CONNECTIONS: '0' }), /MQTT_INGEST_CONNECTIONS/);
    assert.throws(() => loadConfig({ MQTT_SHARED_GROUP: 'a/b' }), /MQTT_SHARED_GROUP/);
  });
});

describe('pipelined acknowledgements', () => {
  /** Enough of an mqtt.js client: handlePublish's part (handleMessage, then the PUBACK through _sendPacket). */
  function fakeClient() {
    const sent: number[] = [];
    const client = Object.assign(new EventEmitter(), {
      connected: true,
      _sendPacket(packet: { cmd: string; messageId?: number }, cb?: () => void) {
        if (packet.cmd === 'puback') sent.push(packet.messageId!);
        cb?.();
      },
      handleMessage: (_packet: unknown, callback: () => void) => callback(),
    });
    /** Delivers a QoS 1 message as mqtt.js does; resolves when mqtt.js may read the next one. */
    const deliver = (messageId: number) =>
      new Promise<void>((resolve) => {
        client.handleMessage({ cmd: 'publish', qos: 1, messageId, topic: 't', payload: Buffer.from('') }, () =>
          client._sendPacket({ cmd: 'puback', messageId }, resolve),
        );
      });
    return { client, sent, deliver };
  }

  /** A handler whose commits the test finishes one by one, in any order. */
  function manualCommits() {
    const commits = new Map<number, () => void>();
    let next = 1;
    const handler = () => new Promise<HandledMessage>((resolve) => void commits.set(next++, () => resolve({})));
    return { handler, commit: (n: number) => commits.get(n)!() };
  }
  const tick = () => new Promise((r) => setImmediate(r));

  it('acknowledges each message only after its commit, in the order the messages came', async () => {
    const { client, sent, deliver } = fakeClient();
    const { handler, commit } = manualCommits();
    pipelineAcks(client as never, handler, 10, () => assert.fail('not stopping'));
    for (const id of [11, 12, 13]) await deliver(id);
    assert.deepEqual(sent, [], 'nothing committed yet, though all three are being worked on');
    commit(3);
    commit(2);
    await tick();
    assert.deepEqual(sent, [], 'the first is not committed: the later ones wait');
    commit(1);
    await tick();
    assert.deepEqual(sent, [11, 12, 13]);
  });

  it('reads no further while the window is full', async () => {
    const { client, deliver } = fakeClient();
    const { handler, commit } = manualCommits();
    pipelineAcks(client as never, handler, 2, () => {});
    await deliver(1);
    let thirdRead = false;
    void deliver(2).then(() => (thirdRead = true));
    await tick();
    assert.equal(thirdRead, false, 'the second fills the window');
    commit(1);
    await tick();
    assert.equal(thirdRead, true);
  });

  it('drops the acknowledgements of a lost connection (the broker sends those messages again)', async () => {
    const { client, sent, deliver } = fakeClient();
    const { handler, commit } = manualCommits();
    pipelineAcks(client as never, handler, 10, () => {});
    await deliver(7);
    client.emit('close');
    commit(1);
    await tick();
    assert.deepEqual(sent, []);
  });
});

describe('pipelined acknowledgements with Mosquitto', function () {
  this.timeout(20_000);
  before(async function () {
    await requireService(this, 'mosquitto');
  });

  it('gets at most the receive maximum ahead, acknowledges none before its commit, then all of them', async () => {
    const topic = uniqueName('kwtest-window/');
    const consumer = await mqtt.connectAsync(MQTT_TEST_URL, { clientId: uniqueName('kwtest-consumer-'), protocolVersion: 5, properties: { receiveMaximum: 16 } });
    const producer = await mqtt.connectAsync(MQTT_TEST_URL, { clientId: uniqueName('kwtest-producer-') });
    try {
      const commits: (() => void)[] = [];
      let handled = 0;
      const inFlight = () => handled;
      pipelineAcks(consumer, () => new Promise<HandledMessage>((resolve) => {
        handled++;
        commits.push(() => resolve({}));
      }), 1000, () => {});
      await consumer.subscribeAsync(topic, { qos: 1 });
      await Promise.all(Array.from({ length: 50 }, (_, i) => producer.publishAsync(topic, String(i), { qos: 1 })));
      await eventually(() => inFlight() === 16, 5000, '16 in flight');
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(inFlight(), 16, 'the broker waits for PUBACKs, which wait for the commits');
      // Commit in a scrambled order: the PUBACKs still go out in order, and the rest follows.
      for (;;) {
        const batch = commits.splice(0);
        if (batch.length === 0 && inFlight() === 50) break;
        for (const commit of batch.reverse()) commit();
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(inFlight(), 50);
    } finally {
      await producer.endAsync();
      await consumer.endAsync(true);
    }
  });
});
