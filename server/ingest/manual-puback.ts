// Manual PUBACKs on an mqtt.js client: the one place the service reaches into
// mqtt.js's private API, kept here so an mqtt.js upgrade has one file to check.
//
// Why it is needed. The service sends the PUBACK of a QoS 1 message only once
// the message is committed to the live store, yet keeps up to
// MQTT_INGEST_INFLIGHT messages being committed at once (DESIGN.md §3,
// "Acknowledgement"). mqtt.js 5 (written against 5.16,
// lib/handlers/publish.js, `case 1`) handles an incoming QoS 1 PUBLISH as
//
//   options.customHandleAcks(topic, message, packet, (error, code) => {
//     ...
//     client.handleMessage(packet, (err) => {
//       ...
//       client['_sendPacket']({ cmd: 'puback', messageId, reasonCode: code }, done);
//     });
//   });
//
// where `done` is what lets the client's incoming-packet queue go on to the
// next packet (`nextTickWork` in lib/client.js connect()). Every public hook —
// customHandleAcks (MQTT 5 only, and it only chooses the reason code), the
// handleMessage override ("always call callback, or the client will hang") —
// sits before the PUBACK *and* before `done`: holding either callback until
// the commit holds back the PUBACK, but also every packet after it, so one
// message at a time is committed. No option turns the automatic PUBACK off.
// So handleMessage calls back at once, the automatic PUBACK that follows is
// swallowed here (its callback still runs, so the next packet is read), and
// the owner sends each PUBACK itself when the message is committed.
//
// Only QoS 1 is covered (the service subscribes at QoS 1; QoS 2 goes through
// PUBREC and the incoming store, untouched here), and customHandleAcks must
// not be set on the client: its PUBACK reason code would be lost.
import { MqttClient, type Packet } from 'mqtt';

export interface ManualPubacks {
  /**
   * Sends the PUBACK of the QoS 1 message `messageId`, received on the current
   * connection. While disconnected it is dropped, not queued for the next
   * connection (mqtt.js would queue it): the broker sends the message again.
   */
  send(messageId: number): void;
}

type SendPacket = (packet: Packet, cb?: (err?: Error) => void, ...rest: unknown[]) => void;

/** The private method mqtt.js sends every packet through, the automatic PUBACK included. */
const PRIVATE_SEND = '_sendPacket';

const takenOver = new WeakSet<object>();

/**
 * From now on mqtt.js sends no PUBACK of its own on `client`: each is sent
 * with `send(messageId)` (after the message's commit, in the order the
 * messages came — the caller's rule to keep). Throws at once if the installed
 * mqtt.js no longer has the private method this relies on.
 */
export function takeOverPubacks(client: MqttClient): ManualPubacks {
  const internal = client as unknown as Record<typeof PRIVATE_SEND, SendPacket | undefined>;
  const original = internal[PRIVATE_SEND];
  if (typeof original !== 'function') {
    throw new Error(
      `mqtt.js ${String(MqttClient.VERSION)} has no MqttClient#${PRIVATE_SEND}, through which server/ingest/manual-puback.ts ` +
        'holds each PUBACK back until its message is committed (written for mqtt.js 5.16, where lib/handlers/publish.js ' +
        `sends a QoS 1 PUBACK with client.${PRIVATE_SEND} once handleMessage calls back); ` +
        'check how this version sends a PUBACK and adapt that module, or install mqtt 5.16',
    );
  }
  if (takenOver.has(client)) throw new Error(`the PUBACKs of MQTT client ${client.options?.clientId ?? ''} are taken over already`);
  takenOver.add(client);

  const send = original.bind(client);
  internal[PRIVATE_SEND] = (packet, cb, ...rest) => {
    if (packet.cmd === 'puback') {
      // mqtt.js's own PUBACK: not sent; its callback lets mqtt.js read the next packet.
      cb?.();
      return;
    }
    send(packet, cb, ...rest);
  };
  return {
    send: (messageId) => {
      if (client.connected) send({ cmd: 'puback', messageId }, () => {});
    },
  };
}
