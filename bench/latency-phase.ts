// The benchmark's latency phase (DESIGN.md §6): publish→socket latency at a
// fixed rate with a crowd of raw socket clients (bench/crowd.ts) on the whole
// district, each crowd size in a fresh service, every event × every client
// counted; with the service's memory per client and the CPU that one push to
// one client costs the service and the crowd. `--compare N` adds N
// alternations of the push as it was before the fan-out work (`lots:live`
// objects every 100 ms) and as it is now, on the first crowd size, so the two
// are compared within one run on a noisy machine.
import type { SubscriptionFields } from '../server/domain/contract.ts';
import { startService } from './infra.ts';
import { msText, type LatencySummary } from './latency.ts';
import { DISTRICT_BBOX } from './lots.ts';
import { runPublisher, startCrowd } from './probes.ts';

export interface LatencyResult extends LatencySummary {
  label: string;
  fields: SubscriptionFields;
  pushIntervalMs: string;
  rate: number;
  seconds: number;
  clients: number;
  /** Pushes the clients received (each client's count, summed) while the events were published. */
  pushes: number;
  /** Distinct pushes (as each client of the subscription receives them all). */
  frames: number;
  /** Bytes of those pushes the clients received (WebSocket payloads), summed. */
  bytes: number;
  /** Per push, from the first client of a crowd process that had it parsed to the last: the fan-out's spread. */
  spreadMs: { p50: number; p99: number };
  /** Per push, the age of its newest event when the first client had it: ingest, commit, feed and the first write. */
  newestAgeMs: { p50: number; p99: number };
  /** RSS growth of the service per client: once the crowd is subscribed, and at the end of the load. */
  bytesPerClient: { idle: number; loaded: number };
  /**
   * CPU time per push received by one client: the service's (all of it over
   * the load, ingesting the events included), and the crowd's (receiving and
   * parsing it, and noting when).
   */
  usPerSocketPush: { service: number; clients: number };
  /** The same CPU over the load's wall time (from the recording's start until the crowd settled), in cores. */
  cores: { service: number; clients: number };
}

export interface LatencyPhase {
  /** The service's environment (PUSH_INTERVAL_MS: the service's default when absent). */
  env: Record<string, string>;
  brokerUrl: string;
  baseTopic: string;
  lotIds: string[];
  rate: number;
  seconds: number;
  /** Load before the latency is recorded: the service's code optimized, its buffers grown, as in a steady run. */
  warmupSeconds: number;
  fields: SubscriptionFields;
  crowdProcesses: number;
  profileArgs: string[];
  progress: (message: string) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One crowd size in a fresh service. */
export async function measureLatency(phase: LatencyPhase, clients: number, label = 'now'): Promise<LatencyResult> {
  const { env, brokerUrl, baseTopic, lotIds, rate, seconds, fields, progress } = phase;
  const publish = (log: boolean, s: number) => runPublisher({ url: brokerUrl, baseTopic, lotIds, connections: 1, mode: 'rate', rate, seconds: s, log });
  const pushIntervalMs = env.PUSH_INTERVAL_MS ?? 'default';
  progress(`[3/8] publish→socket latency (${label}): ${rate}/s for ${seconds} s after ${phase.warmupSeconds} s of warm-up, ${clients} clients (fields: ${fields}, PUSH_INTERVAL_MS: ${pushIntervalMs}), every one counted`);
  const service = await startService(env, phase.profileArgs);
  try {
    await sleep(2000);
    const rssBefore = service.rss();
    const crowd = await startCrowd({ url: service.httpUrl, clients, bbox: [...DISTRICT_BBOX], fields }, phase.crowdProcesses, phase.profileArgs);
    try {
      progress(`      ${crowd.connected} clients connected and subscribed${crowd.failed ? `, ${crowd.failed} failed` : ''}`);
      await sleep(2000);
      const rssIdle = service.rss();
      await publish(false, phase.warmupSeconds);
      await sleep(1000);
      crowd.record();
      const recordedAt = Date.now();
      const cpuBefore = { service: service.cpuMs(), clients: crowd.cpuMs() };
      const timed = await publish(true, seconds);
      // Until every client has had what was published (a crowd that fell behind is waited for, up to 20 s).
      const settledMs = await crowd.settle(500, 20_000);
      const rssLoaded = service.rss();
      const cpu = { service: service.cpuMs() - cpuBefore.service, clients: crowd.cpuMs() - cpuBefore.clients };
      const wallMs = Date.now() - recordedAt;
      const seen = await crowd.report(timed.events ?? []);
      const result: LatencyResult = {
        label,
        fields,
        pushIntervalMs,
        rate,
        seconds,
        clients: crowd.connected,
        ...seen,
        bytesPerClient: { idle: (rssIdle - rssBefore) / crowd.connected, loaded: (rssLoaded - rssBefore) / crowd.connected },
        usPerSocketPush: { service: (cpu.service * 1000) / seen.pushes, clients: (cpu.clients * 1000) / seen.pushes },
        cores: { service: cpu.service / wallMs, clients: cpu.clients / wallMs },
      };
      progress(`      settled ${settledMs} ms after the publisher finished (every client had the newest push, none new for 500 ms)`);
      progress(`      p50 ${msText(result.p50)} ms, p95 ${msText(result.p95)} ms, p99 ${msText(result.p99)} ms, max ${msText(result.max)} ms over ${result.samples} event×client samples (${result.undelivered} undelivered)`);
      progress(`      ${result.frames} pushes of ${Math.round(result.bytes / result.pushes)} bytes on average, ${result.pushes} to clients; CPU per push to a client: service ${result.usPerSocketPush.service.toFixed(1)} µs, clients ${result.usPerSocketPush.clients.toFixed(1)} µs (over the load: ${result.cores.service.toFixed(2)} and ${result.cores.clients.toFixed(2)} cores)`);
      progress(`      per push: its newest event's age at its first client p50 ${result.newestAgeMs.p50} ms, p99 ${result.newestAgeMs.p99} ms; from its first client to its last (per crowd process) p50 ${result.spreadMs.p50} ms, p99 ${result.spreadMs.p99} ms`);
      progress(`      service RSS per client: ${(result.bytesPerClient.idle / 1024).toFixed(1)} KB subscribed, ${(result.bytesPerClient.loaded / 1024).toFixed(1)} KB after the load`);
      return result;
    } finally {
      await crowd.close();
    }
  } finally {
    await service.stop();
  }
}

/** The push before the fan-out work: what the map asked for then, at the interval it had. */
export const BEFORE = { fields: 'live', pushIntervalMs: '100' } as const;

/** The phase's settings from the command line, or what is wrong with them. */
export function latencyArgs(args: { fields?: string; compare?: string; 'latency-clients'?: string }, quick: boolean) {
  const fields = (args.fields ?? 'rows') as SubscriptionFields;
  const compare = Number(args.compare ?? 0);
  // Each crowd size is a row, in a fresh service.
  const clients = args['latency-clients'] ? args['latency-clients'].split(',').map(Number) : quick ? [200, 1_000] : [1_000, 5_000];
  if (!['rows', 'live', 'all'].includes(fields) || !Number.isInteger(compare) || compare < 0 || !clients.every((n) => Number.isInteger(n) && n > 0)) {
    return '--fields takes rows, live or all; --compare a count; --latency-clients counts';
  }
  // The crowd in two processes: one per core, as the service has one.
  return { fields, compare, clients, seconds: quick ? 5 : 15, warmupSeconds: quick ? 2 : 3, crowdProcesses: 2 };
}

/** The phase: a row per crowd size, then `compare` alternations of before and now at the first. */
export async function latencyPhase(phase: LatencyPhase, sizes: number[], compare: number) {
  const latency: LatencyResult[] = [];
  for (const clients of sizes) latency.push(await measureLatency(phase, clients));
  return { latency, ...(compare > 0 ? { latencyCompared: await compareLatency(phase, sizes[0]!, compare) } : {}) };
}

/** `compare` alternations of before and now at `clients`, before first each time. */
export async function compareLatency(phase: LatencyPhase, clients: number, compare: number): Promise<{ before: LatencyResult[]; now: LatencyResult[] }> {
  const before: LatencyResult[] = [];
  const now: LatencyResult[] = [];
  for (let i = 1; i <= compare; i++) {
    before.push(await measureLatency({ ...phase, fields: BEFORE.fields, env: { ...phase.env, PUSH_INTERVAL_MS: BEFORE.pushIntervalMs } }, clients, `before ${i}/${compare}`));
    now.push(await measureLatency(phase, clients, `now ${i}/${compare}`));
  }
  return { before, now };
}
