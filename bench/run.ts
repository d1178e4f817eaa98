// npm run bench — measures, in one run on one machine and one broker
// (DESIGN.md §6): raw MQTT pass-through, the full pipeline's sustained rate
// and their ratio, publish→socket latency with many clients, memory per
// socket client, and near-search latency over 10,000 lots. Prints a Markdown
// table, writes the figures to bench-results/, ends with the ratio line.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, freemem, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import mqtt from 'mqtt';
import { startMosquitto, startRedis, startService, type Managed, type ServiceProcess } from './infra.ts';
import { CITY_BBOX, DISTRICT_BBOX, districtLots, generateLots, seeded, writeCatalog } from './lots.ts';
import type { PublisherJob, PublisherResult } from './publisher.ts';
import type { SocketsCommand, SocketsJob, SocketsMessage } from './sockets.ts';
import { eventLatencies } from './latency.ts';

const { values: args } = parseArgs({
  options: {
    'mqtt-url': { type: 'string' },
    'redis-url': { type: 'string' },
    quick: { type: 'boolean', default: false },
    messages: { type: 'string' },
    'ingest-connections': { type: 'string', default: '4' },
    'cpu-prof': { type: 'boolean', default: false },
    phases: { type: 'string', default: '1,2,3,4,5' },
    help: { type: 'boolean', default: false },
  },
});

if (args.help) {
  console.log(`Usage: npm run bench -- [options]
  --quick                    small numbers: a smoke run in about a minute
  --messages <n>             messages for the throughput phases (default 100000; quick 10000)
  --ingest-connections <n>   MQTT_INGEST_CONNECTIONS of the service (default 4)
  --mqtt-url <url>           use this broker instead of a private, tuned Mosquitto
  --redis-url <url>          use this Redis instead of a private redis-server (it is FLUSHALLed!)
  --cpu-prof                 write CPU profiles of the service and the socket clients to bench-results/
  --phases 1,2,…             run only these phases (1 raw, 2 pipeline, 3 latency, 4 memory, 5 search),
                             e.g. to profile one; the ratio needs 1 and 2`);
  process.exit(0);
}

const quick = args.quick;
const MESSAGES = Number(args.messages ?? (quick ? 10_000 : 100_000));
const LATENCY_RATE = 2_000;
const LATENCY_SECONDS = quick ? 5 : 15;
const LATENCY_CLIENTS = quick ? 200 : 1_000;
const MEMORY_CLIENTS = quick ? 1_000 : 5_000;
const SEARCH_LOTS = 10_000;
const SEARCH_REQUESTS = quick ? 500 : 2_000;
const DISTRICT_LOTS = 50;
const BASE = 'parking';
const started = Date.now();
const phases = new Set(String(args.phases).split(',').map(Number));
const want = (phase: number) => phases.has(phase);

function progress(message: string): void {
  const s = ((Date.now() - started) / 1000).toFixed(0).padStart(4);
  console.error(`[${s}s] ${message}`);
}

function child<T>(script: string, job: unknown): { process: ChildProcess; result: Promise<T> } {
  const proc = fork(new URL(script, import.meta.url).pathname, [JSON.stringify(job)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const result = new Promise<T>((resolve, reject) => {
    proc.once('message', (m) => resolve(m as T));
    proc.once('exit', (code) => code !== 0 && reject(new Error(`${script} exited with code ${code}`)));
  });
  return { process: proc, result };
}

function publish(job: Omit<PublisherJob, 'baseTopic'> & { baseTopic?: string }): Promise<PublisherResult> {
  return child<{ result: PublisherResult }>('./publisher.ts', { baseTopic: BASE, ...job }).result.then((m) => m.result);
}

/**
 * Starts socket clients in `processes` children (a client process is as busy
 * as the service it measures: one per core spreads that load); resolves once
 * every client is connected and subscribed.
 */
async function sockets(job: SocketsJob, processes = 1) {
  const children = Array.from({ length: processes }, (_, i) => {
    const share = Math.floor(job.clients / processes) + (i < job.clients % processes ? 1 : 0);
    const c = fork(new URL('./sockets.ts', import.meta.url).pathname, [JSON.stringify({ ...job, clients: share })], {
      execArgv: ['--import', 'tsx', '--max-old-space-size=4096', ...(args['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir=bench-results'] : [])],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const next = () => new Promise<SocketsMessage>((resolve) => c.once('message', (m) => resolve(m as SocketsMessage)));
    return { c, next };
  });
  const readies = (await Promise.all(children.map((x) => x.next()))) as Extract<SocketsMessage, { type: 'ready' }>[];
  const ready = { connected: readies.reduce((n, r) => n + r.connected, 0), failed: readies.reduce((n, r) => n + r.failed, 0) };
  const send = (command: SocketsCommand) => children.forEach(({ c }) => c.send(command));
  return {
    ready,
    record: () => send({ cmd: 'record' }),
    report: async () => {
      const replies = children.map((x) => x.next());
      send({ cmd: 'report' });
      const reports = (await Promise.all(replies)) as Extract<SocketsMessage, { type: 'report' }>[];
      return { pushes: reports.reduce((n, r) => n + r.pushes, 0), traces: reports.flatMap((r) => r.traces) };
    },
    close: () =>
      Promise.all(
        children.map(
          ({ c }) =>
            new Promise<void>((resolve) => {
              c.once('exit', () => resolve());
              c.send({ cmd: 'close' } satisfies SocketsCommand);
            }),
        ),
      ).then(() => undefined),
  };
}

/** Redis's own accounting: calls and µs per call of each command (EVALSHA = the Lua scripts). */
async function redisCommandStats(url: string): Promise<Record<string, { calls: number; usecPerCall: number }>> {
  const redis = new Redis(url);
  try {
    const info = await redis.info('commandstats');
    const stats: Record<string, { calls: number; usecPerCall: number }> = {};
    for (const m of info.matchAll(/cmdstat_(\w+):calls=(\d+),usec=\d+,usec_per_call=([\d.]+)/g)) {
      if (Number(m[2]) >= 1000) stats[m[1]!] = { calls: Number(m[2]), usecPerCall: Number(m[3]) };
    }
    return stats;
  } finally {
    redis.disconnect();
  }
}

async function metricSum(service: ServiceProcess, name: string): Promise<number> {
  const text = await (await fetch(`${service.httpUrl}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function main(): Promise<void> {
  const results: Record<string, unknown> = {};
  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async () => {
    for (const fn of cleanups.reverse()) await fn().catch(() => {});
  };
  process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));

  try {
    progress('starting a private Mosquitto and Redis');
    const broker: Managed = args['mqtt-url'] ? { url: args['mqtt-url'], stop: async () => {} } : await startMosquitto();
    cleanups.push(() => broker.stop());
    const redis: Managed = args['redis-url'] ? { url: args['redis-url'], stop: async () => {} } : await startRedis();
    cleanups.push(() => redis.stop());

    // 1. Raw pass-through: publisher → broker → a subscriber that only counts.
    let rawRate = Number.NaN;
    if (want(1)) {
    progress(`[1/5] raw MQTT pass-through, QoS 1: ${MESSAGES} messages`);
    const rawLots = districtLots(DISTRICT_LOTS).map((l) => l.id);
    const subscriber = await mqtt.connectAsync(broker.url, { clientId: `kongwei-bench-raw-${process.pid}`, protocolVersion: 4, clean: true });
    let received = 0;
    let lastAt = 0;
    subscriber.on('message', () => {
      received++;
      lastAt = Date.now();
    });
    await subscriber.subscribeAsync(`bench-raw/lots/+/count`, { qos: 1 });
    const rawPub = await publish({ url: broker.url, baseTopic: 'bench-raw', lotIds: rawLots, connections: 2, mode: 'burst', total: MESSAGES, window: 500 });
    while (received < MESSAGES && Date.now() - rawPub.finishedAt < 30_000) await new Promise((r) => setTimeout(r, 20));
    await subscriber.endAsync();
    rawRate = received / ((lastAt - rawPub.startedAt) / 1000);
    results.raw = { messages: MESSAGES, received, seconds: (lastAt - rawPub.startedAt) / 1000, rate: rawRate };
    progress(`      ${Math.round(rawRate)} msg/s (${received}/${MESSAGES} received)`);
    }

    // 2. The full pipeline: QoS 1 → the service → Redis (Lua) → PUBACK, pushed to sockets.
    const dataDir = mkdtempSync(join(tmpdir(), 'kongwei-bench-data-'));
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    await writeCatalog(dataDir, districtLots(DISTRICT_LOTS));
    const serviceEnv = {
      DATA_DIR: dataDir,
      SEED_LOTS: 'off',
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: 'kwbench:',
      MQTT_URL: broker.url,
      MQTT_BASE_TOPIC: BASE,
      MQTT_CLIENT_ID: `kongwei-bench-${process.pid}`,
      MQTT_INGEST_CONNECTIONS: args['ingest-connections'] ?? '4',
    };
    const profDir = join(process.cwd(), 'bench-results');
    const nodeArgs = args['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [];
    let service = await startService(serviceEnv, nodeArgs);
    cleanups.push(() => service.stop());
    let pipeRate = Number.NaN;
    if (want(2)) {
    progress(`[2/5] full pipeline (QoS 1 → Redis → sockets): ${MESSAGES} messages, 100 socket clients watching`);
    const watchers = await sockets({ url: service.httpUrl, clients: 100, bbox: [...DISTRICT_BBOX] });
    watchers.record();
    const before = await metricSum(service, 'kongwei_events_total');
    const pipePub = publish({ url: broker.url, lotIds: districtLots(DISTRICT_LOTS).map((l) => l.id), connections: 2, mode: 'burst', total: MESSAGES, window: 500 });
    const pubStartedAt = Date.now();
    let committed = 0;
    let doneAt = 0;
    for (let lastReport = Date.now(); ; ) {
      committed = (await metricSum(service, 'kongwei_events_total')) - before;
      if (committed >= MESSAGES) {
        doneAt = Date.now();
        break;
      }
      if (Date.now() - lastReport > 3000) {
        progress(`      ${committed}/${MESSAGES} committed`);
        lastReport = Date.now();
      }
      if (Date.now() - pubStartedAt > 300_000) throw new Error(`the pipeline committed only ${committed} of ${MESSAGES} in 5 minutes`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const published = await pipePub;
    const pipeSeconds = (doneAt - published.startedAt) / 1000;
    pipeRate = MESSAGES / pipeSeconds;
    const applied = await metricSum(service, 'kongwei_events_total');
    const rejected = await metricSum(service, 'kongwei_events_rejected_total');
    const watched = await watchers.report();
    await watchers.close();
    results.pipeline = {
      messages: MESSAGES, seconds: pipeSeconds, rate: pipeRate, accepted: applied - before, rejected, socketPushes: watched.pushes,
      redisCommands: await redisCommandStats(redis.url),
    };
    progress(`      ${Math.round(pipeRate)} events/s committed; ${watched.pushes} socket pushes seen`);
    }

    // 3. Latency at a fixed rate with many socket clients on the whole district.
    if (want(3)) {
    progress(`[3/5] publish→socket latency: ${LATENCY_RATE}/s for ${LATENCY_SECONDS} s, ${LATENCY_CLIENTS} clients`);
    const crowd = await sockets({ url: service.httpUrl, clients: LATENCY_CLIENTS, bbox: [...DISTRICT_BBOX], traceEvery: Math.max(1, Math.floor(LATENCY_CLIENTS / 10)) }, 2);
    progress(`      ${crowd.ready.connected} clients connected`);
    crowd.record();
    const timed = await publish({ url: broker.url, lotIds: districtLots(DISTRICT_LOTS).map((l) => l.id), connections: 1, mode: 'rate', rate: LATENCY_RATE, seconds: LATENCY_SECONDS, log: true });
    await new Promise((r) => setTimeout(r, 1000));
    const pushed = await crowd.report();
    await crowd.close();
    const latency = eventLatencies(timed.events ?? [], pushed.traces);
    results.latency = { rate: LATENCY_RATE, seconds: LATENCY_SECONDS, clients: crowd.ready.connected, tracedClients: pushed.traces.length, pushes: pushed.pushes, ...latency };
    progress(`      p50 ${latency.p50} ms, p95 ${latency.p95} ms, p99 ${latency.p99} ms over ${latency.samples} event×client samples (${latency.undelivered} undelivered)`);
    }

    // 4. Memory per socket client.
    if (want(4)) {
    progress(`[4/5] memory per socket client: ${MEMORY_CLIENTS} clients`);
    await new Promise((r) => setTimeout(r, 2000));
    const rssBefore = service.rss();
    const idle = await sockets({ url: service.httpUrl, clients: MEMORY_CLIENTS, bbox: [...DISTRICT_BBOX] }, 2);
    await new Promise((r) => setTimeout(r, 3000));
    const rssAfter = service.rss();
    await idle.close();
    const perClient = (rssAfter - rssBefore) / idle.ready.connected;
    results.memory = { clients: idle.ready.connected, rssBeforeMB: rssBefore / 2 ** 20, rssAfterMB: rssAfter / 2 ** 20, bytesPerClient: perClient };
    progress(`      ${(perClient / 1024).toFixed(1)} KB per client (${idle.ready.connected} connected)`);
    }
    await service.stop();

    // 5. Near search over 10,000 lots.
    if (want(5)) {
    progress(`[5/5] GET /api/lots?near= over ${SEARCH_LOTS} lots: ${SEARCH_REQUESTS} requests`);
    const searchDir = mkdtempSync(join(tmpdir(), 'kongwei-bench-search-'));
    cleanups.push(async () => rmSync(searchDir, { recursive: true, force: true }));
    await writeCatalog(searchDir, generateLots(SEARCH_LOTS, CITY_BBOX, 'bench-city', 11));
    service = await startService({ ...serviceEnv, DATA_DIR: searchDir, REDIS_KEY_PREFIX: 'kwbench-search:' }, nodeArgs);
    const random = seeded(3);
    const [minLon, minLat, maxLon, maxLat] = CITY_BBOX;
    const query = () =>
      `/api/lots?near=${(minLat + random() * (maxLat - minLat)).toFixed(5)},${(minLon + random() * (maxLon - minLon)).toFixed(5)}&radius=1000`;
    for (let i = 0; i < 200; i++) await (await fetch(service.httpUrl + query())).arrayBuffer(); // warm-up
    const timings: number[] = [];
    let found = 0;
    for (let i = 0; i < SEARCH_REQUESTS; i++) {
      const t0 = performance.now();
      const body = (await (await fetch(service.httpUrl + query())).json()) as { lots: unknown[] };
      timings.push(performance.now() - t0);
      found += body.lots.length;
    }
    timings.sort((a, b) => a - b);
    results.search = { lots: SEARCH_LOTS, requests: SEARCH_REQUESTS, radiusM: 1000, meanResults: found / SEARCH_REQUESTS, p50: pct(timings, 50), p99: pct(timings, 99) };
    progress(`      p50 ${pct(timings, 50).toFixed(2)} ms, p99 ${pct(timings, 99).toFixed(2)} ms (${(found / SEARCH_REQUESTS).toFixed(1)} lots per answer)`);
    await service.stop();
    }

    // The report.
    const ratio = pipeRate / rawRate;
    const machine = { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGB: Math.round(totalmem() / 2 ** 30), freeGB: Math.round(freemem() / 2 ** 30), node: process.version };
    const report = { date: new Date().toISOString(), quick, machine, results, ratio };
    mkdirSync('bench-results', { recursive: true });
    const file = join('bench-results', `bench-${report.date.replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, JSON.stringify(report, null, 2));
    writeFileSync(join('bench-results', 'latest.json'), JSON.stringify(report, null, 2));

    const r = results as Partial<{
      raw: { rate: number }; pipeline: { rate: number; accepted: number; rejected: number };
      latency: { p50: number; p95: number; p99: number; clients: number }; memory: { bytesPerClient: number; clients: number };
      search: { p50: number; p99: number };
    }>;
    const n = (v: number | undefined) => (v === undefined ? '—' : Math.round(v).toLocaleString('en'));
    console.log(`
Kongwei benchmark — ${report.date}${quick ? ' (quick run)' : ''}
Machine: ${machine.cores} × ${machine.cpu}, ${machine.memoryGB} GiB, Node.js ${machine.node}; broker, Redis and service on the same machine.

| measure | result | target |
|---|---|---|
| raw MQTT pass-through, QoS 1 (publisher → Mosquitto → counting subscriber) | ${n(r.raw?.rate)} msg/s | |
| full pipeline, QoS 1 → Redis (Lua) → PUBACK, pushed to sockets | ${n(r.pipeline?.rate)} events/s | ≥ 0.6 × raw |
| pipeline / raw | ${ratio.toFixed(2)} | ≥ 0.60 |
| events accepted / rejected in the pipeline run | ${n(r.pipeline?.accepted)} / ${n(r.pipeline?.rejected)} | all / 0 |
| publish → socket latency at ${LATENCY_RATE.toLocaleString('en')} events/s, ${n(r.latency?.clients)} clients: p50 / p95 / p99 | ${r.latency ? `${r.latency.p50} / ${r.latency.p95} / ${r.latency.p99}` : '—'} ms | p99 ≤ 100 ms |
| service memory per socket client (${n(r.memory?.clients)} clients) | ${r.memory ? (r.memory.bytesPerClient / 1024).toFixed(1) : '—'} KB | ≤ 60 KB |
| GET /api/lots?near=…&radius=1000 over ${SEARCH_LOTS.toLocaleString('en')} lots: p50 / p99 | ${r.search ? `${r.search.p50.toFixed(2)} / ${r.search.p99.toFixed(2)}` : '—'} ms | p99 ≤ 10 ms |

Figures written to ${file}
ratio pipeline/raw: ${ratio.toFixed(2)}`);
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
