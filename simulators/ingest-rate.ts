// npx tsx simulators/ingest-rate.ts --url mqtt://127.0.0.1:1884 [--redis redis://127.0.0.1:6379]
//                                   [--connections 1,2,4] [--inflight 1,256] [--events 40000]
// Measures the ingest pipeline's sustained rate with exactly-once kept: QoS 1
// from the broker → the live store's Lua script in Redis → PUBACK, for each
// number of ingest connections (MQTT_INGEST_CONNECTIONS) and of messages each
// commits at once (MQTT_INGEST_INFLIGHT; 1 is one at a time). The events (gate
// entries with seq, spread over the seeded lots) are queued in the service's
// persistent sessions first, then drained, so publishers do not set the pace;
// at the end every lot's count is checked. The broker must queue that many
// messages per session (Mosquitto: max_queued_messages 0; README).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import mqtt from 'mqtt';
import { seedLots } from '../db/seed.ts';
import { Kongwei } from '../server/app.ts';
import { loadConfig } from '../server/config.ts';
import { gateTopic, type GatePayload } from '../server/domain/events.ts';
import { createLogger } from '../server/log.ts';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    redis: { type: 'string', default: 'redis://127.0.0.1:6379' },
    connections: { type: 'string', default: '1,2,4' },
    inflight: { type: 'string', default: '256' },
    events: { type: 'string', default: '40000' },
    publishers: { type: 'string', default: '4' },
  },
});
if (!values.url) {
  console.error('usage: npx tsx simulators/ingest-rate.ts --url mqtt://host:port [--redis url] [--connections 1,2,4] [--events 40000]');
  process.exit(64);
}
const total = Number(values.events);
const lots = seedLots();
const id = () => Math.random().toString(16).slice(2, 10);

async function accepted(app: Kongwei): Promise<number> {
  const metric = await app.metrics.eventsAccepted.get();
  return metric.values.reduce((sum, v) => sum + v.value, 0);
}

async function measure(connections: number, inFlight: number): Promise<{ rate: number; exact: boolean }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'kongwei-rate-'));
  const prefix = `kwrate:${id()}:`;
  const base = `rate-${id()}`;
  const config = loadConfig({
    PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'warn', REDIS_URL: values.redis, REDIS_KEY_PREFIX: prefix,
    MQTT_URL: values.url, MQTT_BASE_TOPIC: base, MQTT_CLIENT_ID: `kongwei-rate-${id()}`, MQTT_INGEST_CONNECTIONS: String(connections),
    MQTT_INGEST_INFLIGHT: String(inFlight),
  });
  const log = createLogger('warn');
  // Once, to create the persistent sessions and their subscriptions; then away while the queue fills.
  const first = new Kongwei({ config, log });
  await first.start();
  await first.stop();

  const publishers = await Promise.all(
    Array.from({ length: Number(values.publishers) }, () => mqtt.connectAsync(values.url!, { clientId: `rate-pub-${id()}` })),
  );
  const t0 = Date.now() - 60_000;
  const sent: Promise<unknown>[] = [];
  for (let i = 0; i < total; i++) {
    const lot = lots[i % lots.length]!;
    const seq = Math.floor(i / lots.length) + 1;
    const payload = JSON.stringify({ event: 'entry', gate: 'north', ts: t0 + seq, seq } satisfies GatePayload);
    sent.push(publishers[i % publishers.length]!.publishAsync(gateTopic(base, lot.id), payload, { qos: 1 }));
    if (i % 1000 === 999) await Promise.all(sent.splice(0));
  }
  await Promise.all(sent);
  await Promise.all(publishers.map((p) => p.endAsync()));

  const app = new Kongwei({ config, log });
  await app.start();
  let startedAt = 0;
  for (;;) {
    const done = await accepted(app);
    if (done > 0 && startedAt === 0) startedAt = Date.now();
    if (done >= total) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  const elapsedS = (Date.now() - startedAt) / 1000;
  await app.stop();

  const redis = new Redis(values.redis!);
  let exact = true;
  for (const [i, lot] of lots.entries()) {
    // Entries counted, before clamping to the lot's capacity: the gate deltas kept plus those folded.
    const expected = Math.floor(total / lots.length) + (i < total % lots.length ? 1 : 0);
    const [kept, folded] = await redis.hmget(`${prefix}{lot:${lot.id}}`, 'lsum', 'folded');
    if (Number(kept) + Number(folded) !== expected) exact = false;
  }
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
  rmSync(dataDir, { recursive: true, force: true });
  return { rate: total / elapsedS, exact };
}

console.log(`draining ${total} queued QoS 1 gate events (seq), ${values.url} → Redis ${values.redis}`);
console.log('connections | in flight each | events/s | final counts exact');
for (const inFlight of values.inflight.split(',').map(Number)) {
  for (const n of values.connections.split(',').map(Number)) {
    const { rate, exact } = await measure(n, inFlight);
    console.log(`${String(n).padStart(11)} | ${String(inFlight).padStart(14)} | ${Math.round(rate).toString().padStart(8)} | ${exact ? 'yes' : 'NO'}`);
  }
}
process.exit(0);
