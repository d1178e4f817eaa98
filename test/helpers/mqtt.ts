// MQTT helpers for tests: waiting for a message, and clearing what a run left
// retained on a shared broker.
import type { MqttClient } from 'mqtt';
import { connectMqtt } from './app.ts';

export interface Received {
  topic: string;
  payload: string;
  retain: boolean;
}

/** Records every message a client receives (subscribe separately). */
export function recordMessages(client: MqttClient): Received[] {
  const received: Received[] = [];
  client.on('message', (topic, payload, packet) => received.push({ topic, payload: payload.toString(), retain: packet.retain }));
  return received;
}

/** Publishes an empty retained message on every retained topic under `base`, so a shared broker forgets the run. */
export async function clearRetained(url: string, base: string): Promise<void> {
  const client = await connectMqtt(url);
  try {
    const retained = new Set<string>();
    client.on('message', (topic, payload, packet) => {
      if (packet.retain && payload.length > 0) retained.add(topic);
    });
    await client.subscribeAsync(`${base}/#`, { qos: 0 });
    await new Promise((r) => setTimeout(r, 300));
    await Promise.all([...retained].map((topic) => client.publishAsync(topic, '', { qos: 1, retain: true })));
  } finally {
    await client.endAsync();
  }
}
