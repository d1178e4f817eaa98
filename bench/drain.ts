// npm run bench:drain -- [--events 200000] [--lots 50] [--connections 4] [--history on|off]
// The hot path alone, for profiling (DESIGN.md §6): count events are queued
// in the service's persistent MQTT sessions on a private Mosquitto first, then
// a service in this process drains them into a private Redis. Printed: the
// drain rate, the service's and Redis' CPU per event (process.cpuUsage and
// Redis INFO over the drain: nothing else runs on either), and whether every
// lot ended at the last count sent, each event accepted once. `--profile
// <file>` writes a CPU profile of the service over the drain alone.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Session } from 'node:inspector/promises';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import mqtt from 'mqtt';
import { Kongwei } from '../server/app.ts';
import { loadConfig } from '../server/config.ts';
import { countTopic, type CountPayload } from '../server/domain/events.ts';
import { createLogger } from '../server/log.ts';
import { startMosquitto, startRedis } from './infra.ts';
import { districtLots, writeCatalog } from './lots.ts';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '200000' },
    lots: { type: 'string', default: '50' },
    connections: { type: 'string', default: '4' },
    history: { type: 'string', default: 'on' },
    profile: { type: 'string' },
  },
});
const total = Number(values.events);
const lotCount = Number(values.lots);

/** Redis' own CPU so far (user + system), in µs. */
async function redisCpuUs(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const read = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return (read('used_cpu_user') + read('used_cpu_sys')) * 1e6;
}

/** Redis commands run so far, by name (INFO commandstats). */
async function redisCalls(redis: Redis): Promise<Map<string, { calls: number; usec: number }>> {
  const calls = new Map<string, { calls: number; usec: number }>();
  for (const [, name, n, usec] of (await redis.info('commandstats')).matchAll(/cmdstat_(\w+):calls=(\d+),usec=(\d+)/g)) {
    calls.set(name!, { calls: Number(n), usec: Number(usec) });
  }
  return calls;
}

async function accepted(app: Kongwei): Promise<number> {
  const metric = await app.metrics.eventsAccepted.get();
  return metric.values.reduce((sum, v) => sum + v.value, 0);
}

const broker = await startMosquitto();
const redisServer = await startRedis();
const dataDir = mkdtempSync(join(tmpdir(), 'kongwei-drain-'));
try {
  const lots = districtLots(lotCount);
  const lotIds = lots.map((lot) => lot.id);
  await writeCatalog(dataDir, lots);
  const config = loadConfig({
    PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'warn', SEED_LOTS: 'off', REDIS_URL: redisServer.url,
    REDIS_KEY_PREFIX: 'kwdrain:', MQTT_URL: broker.url, MQTT_BASE_TOPIC: 'drain', MQTT_CLIENT_ID: 'kongwei-drain',
    MQTT_INGEST_CONNECTIONS: values.connections!, HISTORY_RECORDING: values.history!,
  });
  const log = createLogger('warn');
  // Once, to create the persistent sessions and their subscriptions; then away while the queue fills.
  const first = new Kongwei({ config, log });
  await first.start();
  await first.stop();

  const publishers = await Promise.all(Array.from({ length: 4 }, (_, i) => mqtt.connectAsync(broker.url, { clientId: `drain-pub-${i}` })));
  const t0 = Date.now() - 3_600_000;
  const sent: Promise<unknown>[] = [];
  for (let i = 0; i < total; i++) {
    const seq = Math.floor(i / lotCount) + 1;
    const payload = JSON.stringify({ occupied: seq % 1000, ts: t0 + seq, seq } satisfies CountPayload);
    sent.push(publishers[i % publishers.length]!.publishAsync(countTopic('drain', lotIds[i % lotCount]!), payload, { qos: 1 }));
    if (i % 2000 === 1999) await Promise.all(sent.splice(0));
  }
  await Promise.all(sent);
  await Promise.all(publishers.map((p) => p.endAsync()));
  console.error(`queued ${total} count events over ${lotCount} lots`);

  const redis = new Redis(redisServer.url);
  const app = new Kongwei({ config, log });
  const profiler = values.profile ? new Session() : undefined;
  if (profiler) {
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
  }
  await app.start();
  let cpu0 = process.cpuUsage();
  let redis0 = await redisCpuUs(redis);
  let calls0 = await redisCalls(redis);
  let startedAt = 0;
  let startedWith = 0;
  for (;;) {
    const done = await accepted(app);
    if (done > 0 && startedAt === 0) {
      startedAt = performance.now();
      startedWith = done;
      cpu0 = process.cpuUsage();
      redis0 = await redisCpuUs(redis);
      calls0 = await redisCalls(redis);
    }
    if (done >= total) break;
    await new Promise((r) => setTimeout(r, 2));
  }
  const elapsedS = (performance.now() - startedAt) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const redisUs = (await redisCpuUs(redis)) - redis0;
  const calls = await redisCalls(redis);
  const drained = total - startedWith;
  const delta = (name: string, field: 'calls' | 'usec') => (calls.get(name)?.[field] ?? 0) - (calls0.get(name)?.[field] ?? 0);
  const scriptCalls = delta('evalsha', 'calls') + delta('eval', 'calls') + delta('fcall', 'calls');
  const byCommand = [...calls.keys()]
    .map((name) => [name, delta(name, 'usec') / drained] as const)
    .filter(([, us]) => us >= 0.05)
    .sort((a, b) => b[1] - a[1]);
  console.error(`Redis time per event by command (commandstats; a script's own commands are inside it): ${byCommand.map(([name, us]) => `${name} ${us.toFixed(2)} µs`).join(', ')}`);
  const counted = await accepted(app);
  if (profiler) {
    const { profile } = await profiler.post('Profiler.stop');
    writeFileSync(values.profile!, JSON.stringify(profile));
    profiler.disconnect();
  }
  await app.stop();

  let exact = counted === total;
  for (const [i, id] of lotIds.entries()) {
    const last = Math.floor((total - 1 - i) / lotCount) + 1;
    const [occ] = await redis.hmget(`kwdrain:{lot:${id}}`, 'occ');
    if (Number(occ) !== Math.min(last % 1000, lots[i]!.capacity)) exact = false;
  }
  redis.disconnect();
  console.log(
    `events ${total}, lots ${lotCount}, connections ${values.connections}, history ${values.history}: ` +
      `${Math.round(drained / elapsedS)} events/s; CPU per event: service ${((cpu.user + cpu.system) / drained).toFixed(1)} µs, ` +
      `Redis ${(redisUs / drained).toFixed(1)} µs; ${(drained / scriptCalls).toFixed(1)} events per script call; exact ${exact ? 'yes' : 'NO'}`,
  );
} finally {
  rmSync(dataDir, { recursive: true, force: true });
  await Promise.allSettled([broker.stop(), redisServer.stop()]);
}
process.exit(0);
