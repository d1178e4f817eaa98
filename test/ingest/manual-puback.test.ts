// The one use of mqtt.js's private API (server/ingest/manual-puback.ts),
// checked against the installed mqtt.js itself: a real MqttClient over an
// in-memory stream, fed MQTT 5 packets byte by byte, its writes read back off
// the wire. An mqtt.js upgrade that sends PUBACKs another way fails here,
// without a broker.
import assert from 'node:assert/strict';
import { Duplex } from 'node:stream';
import { MqttClient } from 'mqtt';
import { takeOverPubacks } from '../../server/ingest/manual-puback.ts';
import { pipelineAcks } from '../../server/ingest/mqtt-client.ts';
import type { HandledMessage } from '../../server/ingest/transport.ts';

const CONNACK = Buffer.from([0x20, 0x03, 0x00, 0x00, 0x00]);

/** An MQTT 5 QoS 1 PUBLISH (no properties). */
function publishPacket(messageId: number, topic: string, payload: string): Buffer {
  const t = Buffer.from(topic);
  const body = Buffer.concat([Buffer.from([t.length >> 8, t.length & 0xff]), t, Buffer.from([messageId >> 8, messageId & 0xff, 0x00]), Buffer.from(payload)]);
  assert.ok(body.length < 128);
  return Buffer.concat([Buffer.from([0x32, body.length]), body]);
}

/** The packets in what the client wrote: [type, body] each. */
function packetsIn(bytes: Buffer): { type: number; body: Buffer }[] {
  const packets: { type: number; body: Buffer }[] = [];
  for (let i = 0; i < bytes.length; ) {
    const type = bytes[i]! >> 4;
    let length = 0;
    let shift = 0;
    let j = i + 1;
    for (;;) {
      const b = bytes[j++]!;
      length += (b & 0x7f) << shift;
      shift += 7;
      if (!(b & 0x80)) break;
    }
    packets.push({ type, body: bytes.subarray(j, j + length) });
    i = j + length;
  }
  return packets;
}

const PUBACK = 4;
const SUBSCRIBE = 8;
const tick = () => new Promise((r) => setImmediate(r));

/** A real mqtt.js client, connected through a stream the test drives. */
async function wiredClient() {
  const written: Buffer[] = [];
  const stream = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      written.push(Buffer.from(chunk));
      cb();
    },
  });
  const client = new MqttClient(() => stream, {
    clientId: 'kwtest-wired', protocolVersion: 5, keepalive: 0, reconnectPeriod: 0, properties: { receiveMaximum: 16 }, log: () => {},
  });
  const connected = new Promise((resolve) => client.once('connect', resolve));
  stream.push(CONNACK);
  await connected;
  const wire = () => packetsIn(Buffer.concat(written));
  return {
    client,
    deliver: (messageId: number) => stream.push(publishPacket(messageId, 'p/lots/a/count', '{"occupied":1}')),
    /** The message ids of the PUBACKs on the wire, in order. */
    pubacks: () => wire().filter((p) => p.type === PUBACK).map((p) => p.body.readUInt16BE(0)),
    wire,
    close: () => client.end(true),
  };
}

describe(`manual PUBACKs on the installed mqtt.js (${MqttClient.VERSION})`, () => {
  it('keeps reading while no PUBACK is sent, and sends each one only when told', async () => {
    const w = await wiredClient();
    try {
      const pubacks = takeOverPubacks(w.client);
      const read: number[] = [];
      w.client.handleMessage = (packet, callback) => {
        read.push(packet.messageId!);
        callback();
      };
      for (const id of [1, 2, 3]) w.deliver(id);
      for (let i = 0; i < 20 && read.length < 3; i++) await tick();
      assert.deepEqual(read, [1, 2, 3], 'the next message is read while the earlier ones are unacknowledged');
      assert.deepEqual(w.pubacks(), [], 'mqtt.js sent no PUBACK of its own');
      pubacks.send(2);
      pubacks.send(1);
      await tick(); // mqtt-packet corks the stream until the next tick
      assert.deepEqual(w.pubacks(), [2, 1]);
      w.client.subscribe('p/lots/+/count', { qos: 1 });
      await tick();
      assert.ok(w.wire().some((p) => p.type === SUBSCRIBE), 'other packets go out as before');
    } finally {
      w.close();
    }
  });

  it('pipelines the acknowledgements of a real client: in order, each after its commit, reading on within the window', async () => {
    const w = await wiredClient();
    try {
      const commits: (() => void)[] = [];
      pipelineAcks(w.client, () => new Promise<HandledMessage>((resolve) => void commits.push(() => resolve({}))), 2, () => assert.fail('not stopping'));
      for (const id of [1, 2, 3]) w.deliver(id);
      for (let i = 0; i < 20; i++) await tick();
      assert.equal(commits.length, 2, 'two in the window; the third waits');
      commits[1]!();
      for (let i = 0; i < 5; i++) await tick();
      assert.deepEqual([w.pubacks(), commits.length], [[], 2], 'the second is committed, but the first is not');
      commits[0]!();
      for (let i = 0; i < 20 && commits.length < 3; i++) await tick();
      assert.deepEqual([w.pubacks(), commits.length], [[1, 2], 3]);
      commits[2]!();
      for (let i = 0; i < 5; i++) await tick();
      assert.deepEqual(w.pubacks(), [1, 2, 3]);
    } finally {
      w.close();
    }
  });

  it('sends nothing while disconnected (mqtt.js would queue it for the next connection)', async () => {
    const w = await wiredClient();
    const pubacks = takeOverPubacks(w.client);
    w.client.handleMessage = (_packet, callback) => callback();
    w.deliver(9);
    await tick();
    const closed = new Promise<void>((resolve) => w.client.once('close', () => resolve()));
    w.close();
    await closed;
    pubacks.send(9);
    assert.deepEqual(w.pubacks(), []);
    assert.equal((w.client as unknown as { queue: unknown[] }).queue.length, 0, 'nothing left for the next connection');
  });

  it('fails at once, naming the mqtt.js version, when the private method it relies on is gone', () => {
    const client = Object.assign(Object.create(null) as object, { connected: true, options: { clientId: 'x' } });
    assert.throws(
      () => takeOverPubacks(client as never),
      (err: Error) => err.message.includes(`mqtt.js ${MqttClient.VERSION} has no MqttClient#_sendPacket`) && /manual-puback\.ts/.test(err.message),
    );
  });

  it('takes over a client once only', async () => {
    const w = await wiredClient();
    try {
      takeOverPubacks(w.client);
      assert.throws(() => takeOverPubacks(w.client), /taken over already/);
    } finally {
      w.close();
    }
  });
});
