// npm run soak -- --minutes N (default 30): the service under steady load for
// a long while (DESIGN.md §6). Count events at 2,000/s from a publisher
// process; 1,000 Socket.IO clients on the district, some leaving and as many
// joining every second; operators editing, deleting and creating lots
// through the API; gateways going offline and back. Every minute a row of
// the service's RSS, heap, event-loop delay p99, open handles, Redis memory
// and sockets; at the end, whether every event was accepted exactly once and
// whether each series stayed flat. Progress on stderr, tables on stdout,
// figures in bench-results/. Reuses the benchmark's infrastructure: a private
// Mosquitto and Redis, the service as a child process.
import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import mqtt from 'mqtt';
import { statusTopic } from '../server/domain/events.ts';
import { processCpuMs, startMosquitto, startRedis, startService, type Managed, type ServiceProcess } from './infra.ts';
import { DISTRICT_BBOX, districtLots, writeCatalog } from './lots.ts';
import type { PublisherJob, PublisherResult } from './publisher.ts';
import { report, row, ROW_HEADER, type Checks, type Sample } from './soak-report.ts';
import { familiesTable, keyFamilies, redisKeys } from './soak-redis.ts';
import type { SocketsCommand, SocketsJob, SocketsMessage } from './sockets.ts';

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' },
    rate: { type: 'string', default: '2000' },
    sockets: { type: 'string', default: '1000' },
    churn: { type: 'string', default: '10' },
    'ingest-connections': { type: 'string', default: '2' },
    profile: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(`Usage: npm run soak -- [options]
  --minutes <n>              how long the load runs (default 30)
  --rate <events/s>          count events per second (default 2000)
  --sockets <n>              Socket.IO clients on the district (default 1000)
  --churn <n>                clients leaving, and as many joining, every second (default 10)
  --ingest-connections <n>   MQTT_INGEST_CONNECTIONS of the service (default 2)
  --profile <dir>            the service's CPU profile of the whole run into <dir> (--cpu-prof);
                             bench/profile-windows.ts compares its minutes`);
  process.exit(0);
}

const MINUTES = Number(args.minutes);
const RATE = Number(args.rate);
const SOCKETS = Number(args.sockets);
const CHURN = Number(args.churn);
if (![MINUTES, RATE, SOCKETS, CHURN].every((v) => Number.isFinite(v) && v >= 0) || MINUTES <= 0) {
  console.error('soak: --minutes, --rate, --sockets and --churn take numbers (minutes > 0)');
  process.exit(2);
}
const BASE = 'parking';
const PREFIX = 'kwsoak:';
const ADMIN_TOKEN = `soak-admin-${process.pid}-0123456789`;
const SAMPLE_EVERY_MS = 10_000;
/**
 * Minutes left out of the trends at the start: the crowd connecting, the code
 * compiled, the pools and caches filling. The first sixth of the run, at least
 * 1 and at most 5 minutes (none for a run under 3).
 */
const WARMUP_MINUTES = MINUTES < 3 ? 0 : Math.max(1, Math.min(5, Math.floor(MINUTES / 6)));
const GATEWAYS = 10;
const OPERATOR_LOTS = 5;
const started = Date.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const progress = (message: string) => console.error(`[${((Date.now() - started) / 1000).toFixed(0).padStart(5)}s] ${message}`);

function child<T>(module: string, job: object, execArgv: string[] = []) {
  const c = fork(new URL(module, import.meta.url).pathname, [JSON.stringify(job)], { execArgv: ['--import', 'tsx', ...execArgv], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const next = () => new Promise<T>((resolve, reject) => {
    c.once('message', (m) => resolve(m as T));
    c.once('exit', (code) => reject(new Error(`${module} exited (code ${code})`)));
  });
  return { c, next };
}

/** Values of one metric in Prometheus text, summed over the label sets that contain `labels`. */
function metric(text: string, name: string, labels = ''): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if ((line.startsWith(`${name}{`) || line.startsWith(`${name} `)) && line.includes(labels)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

const infoField = (info: string, name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? Number.NaN);

/** The machine's CPU time so far, in ticks of all its cores (/proc/stat): all of it, the busy part (not idle or waiting on I/O), and the part the host stole. */
function machineTicks(): { total: number; busy: number; steal: number } {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
  // user nice system idle iowait irq softirq steal (guest time is counted in user already)
  const [user, nice, system, idle, iowait, irq, softirq, steal] = fields.slice(0, 8).map(Number) as number[];
  const busy = user! + nice! + system! + irq! + softirq! + steal!;
  return { total: busy + idle! + iowait!, busy, steal: steal! };
}

/** The service's /metrics, uncompressed: the instrument should not add work of its own to what it measures. */
const scrape = async (service: ServiceProcess) => (await fetch(`${service.httpUrl}/metrics`, { headers: { 'accept-encoding': 'identity' } })).text();

async function api(service: ServiceProcess, method: string, path: string, body?: unknown, token = ADMIN_TOKEN): Promise<{ status: number; body: any }> {
  const res = await fetch(service.httpUrl + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

const operatorLot = (i: number, version: number) => ({
  id: `soak-op-${i}`, name: `浸泡测试停车场 ${i}`, nameEn: `Soak Operator Car Park ${i} v${version}`, type: 'surface', status: 'open',
  lat: 36.07 + i * 0.008, lon: 120.33 + i * 0.01, capacity: 50 + (version % 50),
});

async function main(): Promise<void> {
  const cleanups: (() => Promise<unknown>)[] = [];
  const cleanup = async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => {});
  };
  // Interrupted or stopped: the private servers and the child processes go too.
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) process.on(signal, () => void cleanup().then(() => process.exit(code)));
  try {
    progress('starting a private Mosquitto and Redis, and the service');
    const broker: Managed = await startMosquitto();
    cleanups.push(() => broker.stop());
    const redis: Managed = await startRedis();
    cleanups.push(() => redis.stop());
    const dataDir = mkdtempSync(join(tmpdir(), 'kongwei-soak-'));
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const lots = districtLots(50);
    await writeCatalog(dataDir, lots);
    const service = await startService({
      SEED_LOTS: 'off', DATA_DIR: dataDir, REDIS_URL: redis.url, REDIS_KEY_PREFIX: PREFIX, MQTT_URL: broker.url, MQTT_BASE_TOPIC: BASE,
      MQTT_CLIENT_ID: `kongwei-soak-${process.pid}`, MQTT_INGEST_CONNECTIONS: args['ingest-connections'] ?? '2', ADMIN_TOKEN,
      // Every soak socket comes from this machine's one address; the writes too.
      SOCKETS_PER_IP: '1000000', WRITE_RATE_LIMIT: '100000',
    }, args.profile ? ['--cpu-prof', '--cpu-prof-dir', args.profile] : []);
    cleanups.push(() => service.stop());
    const store = new Redis(redis.url);
    cleanups.push(async () => store.disconnect());

    // An operator with lots of its own (the administrator edits the district's), and gateways serving the first lots.
    const operator = await api(service, 'POST', '/api/operators', { name: 'Soak Operator' });
    if (operator.status !== 201) throw new Error(`creating an operator answered ${operator.status}: ${JSON.stringify(operator.body)}`);
    const operatorToken: string = operator.body.token;
    for (let i = 0; i < OPERATOR_LOTS; i++) {
      const created = await api(service, 'POST', '/api/lots', operatorLot(i, 0), operatorToken);
      if (created.status !== 201) throw new Error(`creating an operator's lot answered ${created.status}: ${JSON.stringify(created.body)}`);
    }
    const gatewayIds: string[] = [];
    for (const lot of lots.slice(0, GATEWAYS)) {
      const created = await api(service, 'POST', `/api/lots/${lot.id}/gateways`, { name: `soak gateway for ${lot.id}` });
      if (created.status !== 201) throw new Error(`creating a gateway answered ${created.status}: ${JSON.stringify(created.body)}`);
      gatewayIds.push(created.body.id);
    }
    const gateways = await mqtt.connectAsync(broker.url, { clientId: `kongwei-soak-gateways-${process.pid}` });
    cleanups.push(() => gateways.endAsync(true));
    let statusesSent = 0;
    const status = async (id: string, state: 'online' | 'offline') => {
      await gateways.publishAsync(statusTopic(BASE, id), JSON.stringify({ state }), { qos: 1, retain: true });
      statusesSent++;
    };
    for (const id of gatewayIds) await status(id, 'online');

    progress(`connecting ${SOCKETS} socket clients`);
    const crowd = child<SocketsMessage>('./sockets.ts', { url: service.httpUrl, clients: SOCKETS, bbox: [...DISTRICT_BBOX], churnPerSecond: CHURN, fields: 'rows', raw: true } satisfies SocketsJob, ['--max-old-space-size=4096']);
    cleanups.push(async () => crowd.c.kill());
    const ready = (await crowd.next()) as Extract<SocketsMessage, { type: 'ready' }>;
    progress(`${ready.connected} connected; load for ${MINUTES} min: ${RATE} events/s, ${CHURN} sockets leaving and joining a second, operators writing, gateways flapping`);

    // The load.
    const loadStart = Date.now();
    const publisher = child<{ result: PublisherResult }>('./publisher.ts', {
      url: broker.url, baseTopic: BASE, lotIds: lots.map((l) => l.id), connections: 2, mode: 'rate', rate: RATE, seconds: MINUTES * 60,
    } satisfies PublisherJob);
    const published = publisher.next();
    cleanups.push(async () => publisher.c.kill());

    let writes = 0;
    let writesOk = 0;
    let writesFailed = 0;
    let writing = false;
    const write = async () => {
      if (writing) return;
      writing = true;
      const k = writes++;
      try {
        const j = k % OPERATOR_LOTS;
        // The administrator edits a district lot's prices (never its capacity: the counts are checked at the end);
        // the operator edits its own lots, and now and then deletes one and creates it again.
        const calls: [string, string, unknown, string][] =
          k % 2 === 0
            ? [['PATCH', `/api/lots/${lots[k % lots.length]!.id}`, { priceInfoEn: `soak edit ${k}` }, ADMIN_TOKEN]]
            : k % 15 === 1
              ? [['DELETE', `/api/lots/soak-op-${j}`, undefined, operatorToken], ['POST', '/api/lots', operatorLot(j, k), operatorToken]]
              : [['PATCH', `/api/lots/soak-op-${j}`, { capacity: 50 + (k % 50), nameEn: `Soak Operator Car Park ${j} v${k}` }, operatorToken]];
        for (const [method, path, body, token] of calls) {
          const answer = await api(service, method, path, body, token).catch(() => ({ status: 0, body: undefined }));
          if (answer.status >= 200 && answer.status < 300) writesOk++;
          else {
            writesFailed++;
            progress(`      ${method} ${path} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
          }
        }
      } finally {
        writing = false;
      }
    };
    let flaps = 0;
    const flap = () => {
      const id = gatewayIds[flaps++ % gatewayIds.length]!;
      void status(id, 'offline').then(() => sleep(1500)).then(() => status(id, 'online'));
    };
    const writer = setInterval(() => void write(), 2000);
    const flapper = setInterval(flap, 3000);

    // Readings every SAMPLE_EVERY_MS, a row every minute.
    const samples: Sample[] = [];
    const rows: Sample[] = [];
    // (A generator that has finished counts no more.)
    const cpuOf = (pid: number | undefined) => {
      try {
        return pid ? processCpuMs(pid) : 0;
      } catch {
        return 0;
      }
    };
    const loadCpuMs = () => cpuOf(publisher.c.pid) + cpuOf(crowd.c.pid);
    let last = { at: loadStart, events: 0, cpuMs: service.cpuMs(), loadMs: loadCpuMs(), machine: machineTicks() };
    const read = async (): Promise<Sample> => {
      const text = await scrape(service);
      const info = await store.info();
      const keys = await redisKeys(store, PREFIX);
      const at = Date.now();
      const events = metric(text, 'kongwei_events_total', 'kind="count"');
      const cpuMs = service.cpuMs();
      const loadMs = loadCpuMs();
      const machine = machineTicks();
      const ticks = Math.max(1, machine.total - last.machine.total);
      const heapTotal = metric(text, 'kongwei_nodejs_heap_size_total_bytes');
      const sample: Sample = {
        minute: (at - loadStart) / 60_000,
        rssMB: service.rss() / 2 ** 20,
        // Both from one scrape, so they are of the same moment.
        rssOutsideHeapMB: (metric(text, 'kongwei_process_resident_memory_bytes') - heapTotal) / 2 ** 20,
        heapUsedMB: metric(text, 'kongwei_nodejs_heap_size_used_bytes') / 2 ** 20,
        heapTotalMB: heapTotal / 2 ** 20,
        externalMB: metric(text, 'kongwei_nodejs_external_memory_bytes') / 2 ** 20,
        heapAfterGcMB: metric(text, 'kongwei_nodejs_heap_used_after_major_gc_bytes') / 2 ** 20 || Number.NaN,
        loopP99Ms: metric(text, 'kongwei_nodejs_eventloop_lag_p99_seconds') * 1000,
        handles: metric(text, 'kongwei_nodejs_active_handles_total'),
        redisMB: infoField(info, 'used_memory') / 2 ** 20,
        redisDataMB: (infoField(info, 'used_memory_dataset') - keys.backlogBytes) / 2 ** 20,
        redisKeysKB: keys.keptBytes / 1024,
        historyBacklog: keys.records,
        historyBacklogMB: keys.backlogBytes / 2 ** 20,
        redisClientsMB: infoField(info, 'mem_clients_normal') / 2 ** 20,
        sockets: metric(text, 'kongwei_socket_clients'),
        eventsPerS: ((events - last.events) * 1000) / Math.max(1, at - last.at),
        cpuPct: ((cpuMs - last.cpuMs) * 100) / Math.max(1, at - last.at),
        cpuUsPerEvent: ((cpuMs - last.cpuMs) * 1000) / Math.max(1, events - last.events),
        machineBusyPct: ((machine.busy - last.machine.busy) * 100) / ticks,
        stealPct: ((machine.steal - last.machine.steal) * 100) / ticks,
        loadCpuPct: ((loadMs - last.loadMs) * 100) / Math.max(1, at - last.at),
      };
      last = { at, events, cpuMs, loadMs, machine };
      return sample;
    };
    progress(`a row a minute:\n${ROW_HEADER}`);
    let familiesAfterWarmUp: Awaited<ReturnType<typeof keyFamilies>> | undefined;
    for (let minute = 1; minute <= MINUTES; minute++) {
      if (minute === WARMUP_MINUTES + 1) familiesAfterWarmUp = await keyFamilies(store, PREFIX);
      const ofMinute: Sample[] = [];
      while (Date.now() < loadStart + minute * 60_000) {
        await sleep(Math.min(SAMPLE_EVERY_MS, loadStart + minute * 60_000 - Date.now()));
        const sample = await read();
        ofMinute.push(sample);
        samples.push(sample);
      }
      // The minute's row: the readings at its end, its worst event-loop p99, its mean rate and CPU.
      const end = ofMinute.at(-1)!;
      const mean = (key: 'eventsPerS' | 'cpuPct') => ofMinute.reduce((a, s) => a + s[key], 0) / ofMinute.length;
      const minuteRow = { ...end, loopP99Ms: Math.max(...ofMinute.map((s) => s.loopP99Ms)), eventsPerS: mean('eventsPerS'), cpuPct: mean('cpuPct') };
      rows.push(minuteRow);
      console.error(row(minute, minuteRow));
    }

    // The end: the publisher stops by itself; everything it sent must be applied, once.
    clearInterval(writer);
    clearInterval(flapper);
    const { result } = await published;
    progress(`publisher done: ${result.sent} sent, ${result.acked} acknowledged by the broker; waiting for the last commits`);
    await sleep(2000); // the last gateway's "online" (1.5 s after its "offline")
    while (writing) await sleep(50);
    const counts = async () => {
      const text = await scrape(service);
      return {
        // Every outcome is an acceptance: an older count that arrives after a newer one is accepted and ignored (out of order).
        accepted: metric(text, 'kongwei_events_total', 'kind="count"'),
        applied: metric(text, 'kongwei_events_total', 'kind="count",outcome="applied"'),
        duplicates: metric(text, 'kongwei_events_total', 'kind="count",outcome="duplicate"'),
        outOfOrder: metric(text, 'kongwei_events_total', 'kind="count",outcome="out_of_order"'),
        rejected: metric(text, 'kongwei_events_rejected_total'),
        statuses: metric(text, 'kongwei_events_total', 'kind="status"'),
      };
    };
    let final = await counts();
    for (const deadline = Date.now() + 60_000; Date.now() < deadline && (final.accepted < result.sent || final.statuses < statusesSent); ) {
      await sleep(200);
      final = await counts();
    }
    let lotsExact = 0;
    const lastSeq = Object.entries(result.lastSeq);
    for (const [id, seq] of lastSeq) if (Number(await store.hget(`${PREFIX}{lot:${id}}`, 'occ')) === seq % 1000) lotsExact++;
    const familiesAtEnd = await keyFamilies(store, PREFIX);
    const crowdStats = crowd.next();
    crowd.c.send({ cmd: 'stats' } satisfies SocketsCommand);
    const stats = (await crowdStats) as Extract<SocketsMessage, { type: 'stats' }>;
    crowd.c.send({ cmd: 'close' } satisfies SocketsCommand);

    const checks: Checks = {
      sent: result.sent, acked: result.acked, accepted: final.accepted, applied: final.applied, duplicates: final.duplicates, outOfOrder: final.outOfOrder, rejected: final.rejected,
      lotsExact, lots: lastSeq.length, statusesSent, statusesApplied: final.statuses, writesOk, writesFailed,
      socketConnects: stats.connects, socketLeaves: stats.leaves, socketFailures: stats.failed, socketsDropped: stats.dropped,
    };
    report({ minutes: MINUTES, rate: RATE, sockets: SOCKETS, churnPerSecond: CHURN, warmupMinutes: WARMUP_MINUTES, sampleEveryS: SAMPLE_EVERY_MS / 1000 }, rows, samples, checks);
    if (familiesAfterWarmUp) console.log(`\n${familiesTable(familiesAfterWarmUp, familiesAtEnd)}`);
  } finally {
    await cleanup();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`soak: ${(err as Error).stack ?? err}`);
    process.exit(1);
  },
);
