// Just enough of Engine.IO v4 / Socket.IO v5 for the benchmark's bare
// WebSocket clients (bench/crowd.ts, and bench/sockets.ts with `raw`): the
// URL, the subscribe as the map sends it, the open and pings answered, the
// Socket.IO packet type of a message, the subscribe's answer.
import type WebSocket from 'ws';
import type { SubscriptionFields } from '../server/domain/contract.ts';

export const socketUrl = (httpUrl: string) => `${httpUrl.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`;

/** The `subscribe` event with an acknowledgement (id 0), as the map emits it. */
export const subscribeFrame = (bbox: readonly number[], fields: SubscriptionFields) => `420${JSON.stringify(['subscribe', { bbox, fields }])}`;

/** Socket.IO packet types inside an Engine.IO message. */
export const SIO = { connect: 0x30, disconnect: 0x31, event: 0x32, ack: 0x33 } as const;

/**
 * Answers Engine.IO's open packet (by connecting to the namespace) and its
 * pings; for a message, the Socket.IO packet type it carries (SIO), else undefined.
 */
export function socketIoKind(ws: WebSocket, data: Buffer): number | undefined {
  const engine = data[0];
  if (engine === 0x32 /* 2: ping */) ws.send('3');
  else if (engine === 0x30 /* 0: open */) ws.send('40');
  else if (engine === 0x34 /* 4: message */) return data[1];
  return undefined;
}

/** The subscribe's answer in an ack frame: a snapshot (`lots`) or a refusal. */
export const ackAnswer = (data: Buffer) => (JSON.parse(data.toString('utf8', data.indexOf(0x5b /* [ */))) as [{ lots?: unknown[] }])[0];
