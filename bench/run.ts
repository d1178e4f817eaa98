// npm run bench — measures, in one run on one machine and one broker
// (DESIGN.md §6): raw MQTT pass-through, the full pipeline's sustained rate
// and their ratio, publish→socket latency with many clients, memory per
// socket client, and near-search latency over 10,000 lots. Prints progress,
// a Markdown table, writes the figures to bench-results/, and ends with the
// line `ratio pipeline/raw: X.XX`.
//
// "Sustained" is the highest paced rate a path keeps up with: the publisher
// sends at a fixed rate for a few seconds, and the rate holds if everything
// sent has arrived (raw) or is committed (pipeline) within a second of the
// last send. Each path is measured the same way, so the ratio compares like
// with like; a burst as fast as the broker takes it would instead measure a
// backlog growing in the broker while the publisher steals CPU from the consumer.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import { ANY_ID, countTopic } from '../server/domain/events.ts';
import { PrivateRedisCluster } from '../test/helpers/private-services.ts';
import { startMosquitto, startRedis, startService, type Managed, type ServiceProcess } from './infra.ts';
import { latencyArgs, latencyPhase } from './latency-phase.ts';
import { pacedCost, recordingPhase } from './recording-phase.ts';
import { keepAliveGetter, metricSum, redisCommandStats, redisCpuMs, runPublisher, startSockets } from './probes.ts';
import { benchHistory } from './history.ts';
import { report } from './report.ts';
import { CITY_BBOX, DISTRICT_BBOX, districtLots, generateLots, seeded, writeCatalog } from './lots.ts';
import type { PublisherJob } from './publisher.ts';
import type { SocketsJob } from './sockets.ts';

const { values: args } = parseArgs({
  options: {
    'mqtt-url': { type: 'string' },
    'redis-url': { type: 'string' },
    quick: { type: 'boolean', default: false },
    'ingest-connections': { type: 'string', default: '4' },
    'push-interval': { type: 'string' },
    fields: { type: 'string', default: 'rows' },
    compare: { type: 'string', default: '0' },
    'latency-clients': { type: 'string' },
    'cpu-prof': { type: 'boolean', default: false },
    phases: { type: 'string', default: '1,2,3,4,5,6,7,8' },
    help: { type: 'boolean', default: false },
  },
});

if (args.help) {
  console.log(`Usage: npm run bench -- [options]
  --quick                    shorter trials and fewer clients: a smoke run in about a minute
  --ingest-connections <n>   MQTT_INGEST_CONNECTIONS of the service (default 4)
  --push-interval <ms>       PUSH_INTERVAL_MS of the service (default: the service's default)
  --fields rows|live|all     what the latency phase's clients subscribe to (default rows, as the map)
  --latency-clients <n,…>    the latency phase's crowd sizes (default 1000,5000; quick 200,1000)
  --compare <n>              then n alternations, at the first crowd size, of the push before the
                             fan-out work (fields live, PUSH_INTERVAL_MS 100) and now
  --mqtt-url <url>           use this broker instead of a private, tuned Mosquitto
  --redis-url <url>          use this Redis instead of a private redis-server
  --cpu-prof                 write CPU profiles of the service and the socket clients to bench-results/
  --phases 1,2,…             run only these phases (1 raw, 2 pipeline, 3 latency, 4 memory, 5 search,
                             6 pipeline on a private Redis Cluster, 7 pipeline with history recording
                             off, 8 history, forecasts and arrivals over PostgreSQL);
                             the ratio needs 1 and 2`);
  process.exit(0);
}

const quick = args.quick;
const TRIAL_SECONDS = quick ? 2 : 4;
/** A rate holds if everything sent arrives within this long after the last send. */
const KEEP_UP_MS = 1000;
const LATENCY_RATE = 2_000;
const latencyParsed = latencyArgs(args, quick);
if (typeof latencyParsed === 'string') {
  console.error(`bench: ${latencyParsed}`);
  process.exit(2);
}
const latency = latencyParsed;
const MEMORY_CLIENTS = quick ? 1_000 : 5_000;
const WATCHING_CLIENTS = 100;
const SEARCH_LOTS = 10_000;
const SEARCH_REQUESTS = quick ? 500 : 2_000;
const DISTRICT_LOTS = 50;
const BASE = 'parking';
/** The raw phase's base topic: apart from the service's, on the same broker. */
const RAW_BASE = 'bench-raw';
const CLUSTER_BASE = 'bench-cluster';
const phases = new Set(String(args.phases).split(',').map(Number));
const want = (phase: number) => phases.has(phase);
const started = Date.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function progress(message: string): void {
  const s = ((Date.now() - started) / 1000).toFixed(0).padStart(4);
  console.error(`[${s}s] ${message}`);
}

const profileArgs = (dir: string) => (args['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : []);

const publish = (job: Omit<PublisherJob, 'baseTopic'> & { baseTopic?: string }) => runPublisher({ baseTopic: BASE, ...job });
const sockets = (job: SocketsJob, processes = 1) => startSockets(job, processes, profileArgs('bench-results'));

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

interface Trial {
  rate: number;
  /** What the publisher achieved (it may fall short of the rate asked). */
  sentRate: number;
  sent: number;
  arrived: number;
  /** From the last send until the last arrival (or the give-up point). */
  lagMs: number;
  keptUp: boolean;
}

/**
 * The highest paced rate a path keeps up with: trials at rising rates (×1.25)
 * until one falls behind (or down, ÷1.25, while the first ones do not hold),
 * then `bisections` steps between the last rate that held and the first that
 * did not.
 */
async function sustainedRate(label: string, startRate: number, run: (rate: number) => Promise<Trial>, bisections = 2): Promise<{ rate: number; trials: Trial[] }> {
  const trials: Trial[] = [];
  const attempt = async (rate: number) => {
    const trial = await run(Math.round(rate));
    trials.push(trial);
    progress(`      ${label} at ${trial.rate}/s: sent ${Math.round(trial.sentRate)}/s, ${trial.keptUp ? 'kept up' : 'fell behind'} (lag ${trial.lagMs} ms)`);
    return trial;
  };
  let held: Trial | undefined;
  let failed: Trial | undefined;
  for (let rate = startRate; trials.length < 12; rate *= 1.25) {
    const trial = await attempt(rate);
    if (!trial.keptUp) {
      failed = trial;
      break;
    }
    held = trial;
    // The publisher cannot go faster: the path is not the limit here.
    if (trial.sentRate < 0.95 * trial.rate) break;
  }
  // The first rate was already too high: down until one holds.
  for (let rate = startRate / 1.25; !held && failed && trials.length < 12; rate /= 1.25) {
    const trial = await attempt(rate);
    if (trial.keptUp) held = trial;
    else failed = trial;
  }
  for (let step = 0; step < bisections && held && failed; step++) {
    const trial = await attempt((held.rate + failed.rate) / 2);
    if (trial.keptUp) held = trial;
    else failed = trial;
  }
  return { rate: held ? Math.min(held.rate, held.sentRate) : 0, trials };
}

/** Waits until `arrived()` reaches `sent`, or gives up KEEP_UP_MS + 4 s after the last send. */
async function settle(sent: number, sentAt: number, arrived: () => Promise<number> | number): Promise<{ arrived: number; lagMs: number }> {
  for (;;) {
    const n = await arrived();
    const lagMs = Date.now() - sentAt;
    if (n >= sent || lagMs > KEEP_UP_MS + 4000) return { arrived: n, lagMs };
    await sleep(20);
  }
}

interface PipelineResult {
  rate: number;
  trials: Trial[];
  sent: number;
  accepted: number;
  rejected: number;
  socketPushes: number;
  usPerEvent: { service: number; redis: number };
}

/**
 * The full pipeline's sustained rate on a running service, with every event
 * checked accepted exactly once, and the CPU each event cost the service and
 * Redis (all the Redis processes `redisCpu` sums).
 */
async function measurePipeline(
  service: ServiceProcess, brokerUrl: string, baseTopic: string, lotIds: string[], redisCpu: () => Promise<number>,
  search: { label?: string; startRate?: number; bisections?: number } = {},
): Promise<PipelineResult> {
  const watchers = await sockets({ url: service.httpUrl, clients: WATCHING_CLIENTS, bbox: [...DISTRICT_BBOX] });
  watchers.record();
  const committed = () => metricSum(service, 'kongwei_events_total');
  const rejectedBefore = await metricSum(service, 'kongwei_events_rejected_total');
  const committedBefore = await committed();
  const cpuBefore = { service: service.cpuMs(), redis: await redisCpu() };
  const pipeline = await sustainedRate(search.label ?? 'pipeline', search.startRate ?? 6_000, async (rate) => {
    const before = await committed();
    const pub = await publish({ url: brokerUrl, baseTopic, lotIds, connections: 2, mode: 'rate', rate, seconds: TRIAL_SECONDS });
    const end = await settle(pub.sent, pub.sentAt, async () => (await committed()) - before);
    return { rate, sentRate: pub.sent / TRIAL_SECONDS, sent: pub.sent, arrived: end.arrived, lagMs: end.lagMs, keptUp: end.arrived >= pub.sent && end.lagMs <= KEEP_UP_MS };
  }, search.bisections);
  // Let any backlog of the last trial drain, then check nothing was lost or rejected.
  const sent = pipeline.trials.reduce((n, t) => n + t.sent, 0);
  const accepted = await settle(committedBefore + sent, Date.now(), committed);
  // CPU per event over the trials: what noise on a shared machine moves least.
  const events = (await committed()) - committedBefore;
  const usPerEvent = {
    service: ((service.cpuMs() - cpuBefore.service) * 1000) / events,
    redis: (((await redisCpu()) - cpuBefore.redis) * 1000) / events,
  };
  const watched = await watchers.report();
  await watchers.close();
  const result = {
    ...pipeline,
    sent,
    accepted: accepted.arrived - committedBefore,
    rejected: (await metricSum(service, 'kongwei_events_rejected_total')) - rejectedBefore,
    socketPushes: watched.pushes,
    usPerEvent,
  };
  progress(`      sustained: ${Math.round(result.rate)} events/s; ${result.accepted}/${sent} events accepted; ${watched.pushes} socket pushes seen`);
  progress(`      CPU per event: service ${usPerEvent.service.toFixed(1)} µs, Redis ${usPerEvent.redis.toFixed(1)} µs`);
  return result;
}

async function main(): Promise<void> {
  const results: Record<string, unknown> = {};
  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async () => {
    for (const fn of cleanups.reverse()) await fn().catch(() => {});
  };
  // Interrupted or stopped: the private servers and the child processes go too.
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) process.on(signal, () => void cleanup().then(() => process.exit(code)));
  const lotIds = districtLots(DISTRICT_LOTS).map((l) => l.id);

  try {
    progress('starting a private Mosquitto and Redis');
    const broker: Managed = args['mqtt-url'] ? { url: args['mqtt-url'], stop: async () => {} } : await startMosquitto();
    cleanups.push(() => broker.stop());
    const redis: Managed = args['redis-url'] ? { url: args['redis-url'], stop: async () => {} } : await startRedis();
    cleanups.push(() => redis.stop());

    // 1. Raw pass-through: publisher → broker → a subscriber that only counts.
    let rawRate = Number.NaN;
    if (want(1)) {
      progress(`[1/8] raw MQTT pass-through, QoS 1: the highest rate a counting subscriber keeps up with`);
      const subscriber = await mqtt.connectAsync(broker.url, { clientId: `kongwei-bench-raw-${process.pid}`, protocolVersion: 4, clean: true });
      let received = 0;
      subscriber.on('message', () => received++);
      await subscriber.subscribeAsync(countTopic(RAW_BASE, ANY_ID), { qos: 1 });
      const raw = await sustainedRate('raw', 10_000, async (rate) => {
        const before = received;
        const pub = await publish({ url: broker.url, baseTopic: RAW_BASE, lotIds, connections: 2, mode: 'rate', rate, seconds: TRIAL_SECONDS });
        const end = await settle(pub.sent, pub.sentAt, () => received - before);
        return { rate, sentRate: pub.sent / TRIAL_SECONDS, sent: pub.sent, arrived: end.arrived, lagMs: end.lagMs, keptUp: end.arrived >= pub.sent && end.lagMs <= KEEP_UP_MS };
      });
      await subscriber.endAsync();
      rawRate = raw.rate;
      results.raw = raw;
      progress(`      sustained: ${Math.round(rawRate)} msg/s`);
    }

    // The service, on a district of lots, for phases 2–4.
    let pipeRate = Number.NaN;
    const serviceEnv = {
      SEED_LOTS: 'off',
      REDIS_URL: redis.url,
      MQTT_URL: broker.url,
      MQTT_BASE_TOPIC: BASE,
      MQTT_CLIENT_ID: `kongwei-bench-${process.pid}`,
      MQTT_INGEST_CONNECTIONS: args['ingest-connections'] ?? '4',
      // Every load generator's socket comes from this machine: one address.
      SOCKETS_PER_IP: '1000000',
      ...(args['push-interval'] ? { PUSH_INTERVAL_MS: args['push-interval'] } : {}),
    };
    if (want(2) || want(3) || want(4)) {
      const dataDir = mkdtempSync(join(tmpdir(), 'kongwei-bench-data-'));
      cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
      await writeCatalog(dataDir, districtLots(DISTRICT_LOTS));

      // 2. The full pipeline: QoS 1 → the service → Redis (Lua) → PUBACK, pushed to sockets.
      if (want(2)) {
        const service = await startService({ ...serviceEnv, DATA_DIR: dataDir, REDIS_KEY_PREFIX: 'kwbench:' }, profileArgs('bench-results'));
        cleanups.push(() => service.stop());
        progress(`[2/8] full pipeline (QoS 1 → Redis → PUBACK → ${WATCHING_CLIENTS} socket clients): the highest rate it keeps up with`);
        const pipeline = await measurePipeline(service, broker.url, BASE, lotIds, () => redisCpuMs([redis.url]));
        pipeRate = pipeline.rate;
        results.pipeline = { ...pipeline, redisCommands: await redisCommandStats(redis.url) };
        await service.stop();
      }

      // 3. Latency at a fixed rate with many socket clients on the whole district.
      if (want(3)) {
        const env = { ...serviceEnv, DATA_DIR: dataDir, REDIS_KEY_PREFIX: 'kwbench:' };
        const phase = { env, brokerUrl: broker.url, baseTopic: BASE, lotIds, rate: LATENCY_RATE, profileArgs: profileArgs('bench-results'), progress, ...latency };
        Object.assign(results, await latencyPhase(phase, latency.clients, latency.compare));
      }

      // 4. Memory per socket client, in a fresh service: what the earlier phases
      // left for the garbage collector would otherwise blur the difference.
      if (want(4)) {
        progress(`[4/8] memory per socket client: ${MEMORY_CLIENTS} clients`);
        const fresh = await startService({ ...serviceEnv, DATA_DIR: dataDir, REDIS_KEY_PREFIX: 'kwbench:' });
        cleanups.push(() => fresh.stop());
        await sleep(3000);
        const rssBefore = fresh.rss();
        const idle = await sockets({ url: fresh.httpUrl, clients: MEMORY_CLIENTS, bbox: [...DISTRICT_BBOX] }, 2);
        await sleep(5000);
        const rssAfter = fresh.rss();
        await idle.close();
        await fresh.stop();
        const perClient = (rssAfter - rssBefore) / idle.connected;
        results.memory = { clients: idle.connected, rssBeforeMB: rssBefore / 2 ** 20, rssAfterMB: rssAfter / 2 ** 20, bytesPerClient: perClient };
        progress(`      ${(perClient / 1024).toFixed(1)} KB per client (${idle.connected} connected)`);
      }
    }

    // 5. Near search over 10,000 lots.
    if (want(5)) {
      progress(`[5/8] GET /api/lots?near= over ${SEARCH_LOTS} lots: ${SEARCH_REQUESTS} requests`);
      const searchDir = mkdtempSync(join(tmpdir(), 'kongwei-bench-search-'));
      cleanups.push(async () => rmSync(searchDir, { recursive: true, force: true }));
      await writeCatalog(searchDir, generateLots(SEARCH_LOTS, CITY_BBOX, 'bench-city', 11));
      const service = await startService({ ...serviceEnv, DATA_DIR: searchDir, REDIS_KEY_PREFIX: 'kwbench-search:' }, profileArgs('bench-results'));
      cleanups.push(() => service.stop());
      const random = seeded(3);
      const [minLon, minLat, maxLon, maxLat] = CITY_BBOX;
      const query = () =>
        `/api/lots?near=${(minLat + random() * (maxLat - minLat)).toFixed(5)},${(minLon + random() * (maxLon - minLon)).toFixed(5)}&radius=1000`;
      const { get, close: closeClient } = keepAliveGetter(service.httpUrl);
      for (let i = 0; i < 200; i++) await get(query()); // warm-up
      const timings: number[] = [];
      let found = 0;
      for (let i = 0; i < SEARCH_REQUESTS; i++) {
        const t0 = performance.now();
        const body = JSON.parse(await get(query())) as { lots: unknown[] };
        timings.push(performance.now() - t0);
        found += body.lots.length;
      }
      closeClient();
      timings.sort((a, b) => a - b);
      results.search = { lots: SEARCH_LOTS, requests: SEARCH_REQUESTS, radiusM: 1000, meanResults: found / SEARCH_REQUESTS, p50: pct(timings, 50), p99: pct(timings, 99) };
      progress(`      p50 ${pct(timings, 50).toFixed(2)} ms, p99 ${pct(timings, 99).toFixed(2)} ms (${(found / SEARCH_REQUESTS).toFixed(1)} lots per answer)`);
      await service.stop();
    }

    // 6. The same pipeline on a Redis Cluster of three masters, each with a replica.
    if (want(6) && !args['redis-url']) {
      progress(`[6/8] full pipeline on a Redis Cluster (3 masters, 3 replicas): the highest rate it keeps up with`);
      const cluster = new PrivateRedisCluster();
      cleanups.push(() => cluster.remove());
      await cluster.start();
      const dataDir = mkdtempSync(join(tmpdir(), 'kongwei-bench-cluster-'));
      cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
      await writeCatalog(dataDir, districtLots(DISTRICT_LOTS));
      const { REDIS_URL: _single, ...clusterEnv } = serviceEnv;
      const service = await startService(
        // Topics of its own: the earlier service's persistent sessions still hold the shared subscription on BASE.
        { ...clusterEnv, REDIS_CLUSTER_NODES: cluster.addresses.join(','), DATA_DIR: dataDir, REDIS_KEY_PREFIX: 'kwbench-cluster:', MQTT_CLIENT_ID: `kongwei-bench-cluster-${process.pid}`, MQTT_BASE_TOPIC: CLUSTER_BASE },
        profileArgs('bench-results'),
      );
      cleanups.push(() => service.stop());
      const nodes = cluster.addresses.map((a) => `redis://${a}`);
      results.cluster = await measurePipeline(service, broker.url, CLUSTER_BASE, lotIds, () => redisCpuMs(nodes));
      await service.stop();
    }

    // 7. What recording costs, in the same run (bench/recording-phase.ts).
    if (want(7)) {
      progress(`[7/8] full pipeline with HISTORY_RECORDING=off and on, alternated twice: the highest rate each keeps up with`);
      Object.assign(results, await recordingPhase({
        serviceEnv, lotIds, progress, cleanups, startRate: Number.isFinite(pipeRate) ? Math.round(pipeRate * 0.7) : 6_000,
        warmUp: async (service, base) => {
          const before = await metricSum(service, 'kongwei_events_total');
          const pub = await publish({ url: broker.url, baseTopic: base, lotIds, connections: 2, mode: 'rate', rate: 5_000, seconds: 2 });
          await settle(pub.sent, pub.sentAt, async () => (await metricSum(service, 'kongwei_events_total')) - before);
        },
        measure: (service, base, search) => measurePipeline(service, broker.url, base, lotIds, () => redisCpuMs([redis.url]), search),
        paced: (service, base, rate, seconds) => pacedCost({ service, broker, baseTopic: base, lotIds, redisCpu: () => redisCpuMs([redis.url]), rate, seconds }),
      }));
    }

    // 8. History, forecasts and arrivals over PostgreSQL (bench/history.ts).
    if (want(8)) {
      progress(`[8/8] history and forecasts over 1,000 lots × 90 days in PostgreSQL; arrivals over 10,000 lots`);
      results.history = await benchHistory({ quick, redisUrl: redis.url, brokerUrl: broker.url, progress });
    }

    report({ quick, watchingClients: WATCHING_CLIENTS, latencyRate: LATENCY_RATE, searchLots: SEARCH_LOTS }, results, pipeRate / rawRate);
  } finally {
    await cleanup();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`bench: ${(err as Error).stack ?? err}`);
    process.exit(1);
  },
);
