// The benchmark's phase 7 (DESIGN.md §6): what history recording costs the
// pipeline, in the same run. Two services side by side, recording off and on
// (one idle while the other is measured), measured alternately twice each
// (off, on, off, on), after a warm-up, with a finer search than phase 2's; each side's best
// rate counts (noise on a shared machine only slows a trial down), and its
// CPU per event over all its trials. Then both paced alike at a rate each
// keeps up with, alternated PACED_PAIRS times: the CPU each event costs every
// process on its way (publisher, broker, service, Redis). On a machine whose
// cores those processes fill, the rate it sustains is its cores over that
// sum, so the ratio of the sums is the rates' ratio without the searches'
// noise (a trial that holds or not, in steps of a few per cent).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processCpuMs, startService, type Managed, type ServiceProcess } from './infra.ts';
import { districtLots, writeCatalog } from './lots.ts';
import { metricSum, runPublisher } from './probes.ts';

/** What one search of the pipeline's sustained rate gives (bench/run.ts measurePipeline). */
interface Measured {
  rate: number;
  sent: number;
  accepted: number;
  rejected: number;
  usPerEvent: { service: number; redis: number };
}

export interface RecordingSide {
  /** The best sustained rate of the side's searches. */
  rate: number;
  rates: number[];
  sent: number;
  accepted: number;
  rejected: number;
  /** Over all the side's trials, weighted by events. */
  usPerEvent: { service: number; redis: number };
}

const SIDES = [
  { name: 'off', env: { HISTORY_RECORDING: 'off' }, base: 'bench-norec' },
  { name: 'on', env: {}, base: 'bench-rec' },
] as const;
const PAIRS = 2;
/** Paced trials per side, alternated, and how long each runs. */
const PACED_PAIRS = 3;
const PACED_SECONDS = 8;
/**
 * The paced rate, as a share of the lower side's best sustained rate: near
 * it, since what recording costs per event could fall with the rate (the
 * records of a lot that arrive together are appended in one call; the
 * recorder's rounds come every 2 s, not per event). Measured on 2026-12-03:
 * 0.922 and 0.920 at 0.7, 0.911 at 0.9 — the same within noise.
 */
const PACED_SHARE = 0.9;

/** The CPU (µs) each event cost each process on its way, in one paced trial. */
export interface PacedCost {
  events: number;
  publisher: number;
  broker: number;
  service: number;
  redis: number;
}

export interface PacedSide extends PacedCost {
  /** publisher + broker + service + Redis: what the machine spent per event. */
  total: number;
  /** Each trial's total. */
  totals: number[];
}

/** Mean of the trials, weighted by events. */
export function pacedSummary(trials: readonly PacedCost[]): PacedSide {
  const events = trials.reduce((n, t) => n + t.events, 0);
  const mean = (pick: (t: PacedCost) => number) => trials.reduce((sum, t) => sum + pick(t) * t.events, 0) / events;
  const sum = (t: PacedCost) => t.publisher + t.broker + t.service + t.redis;
  return {
    events,
    publisher: mean((t) => t.publisher),
    broker: mean((t) => t.broker),
    service: mean((t) => t.service),
    redis: mean((t) => t.redis),
    total: mean(sum),
    totals: trials.map(sum),
  };
}

/**
 * One paced trial of the pipeline (no socket clients): `rate` events/s for
 * `seconds`, waited for until every event is committed (an error after 30 s), and the
 * CPU each event cost the publisher, the broker (0 when not started here: an
 * outside broker's pid is unknown), the service and Redis.
 */
export async function pacedCost({ service, broker, baseTopic, lotIds, redisCpu, rate, seconds }: {
  service: ServiceProcess; broker: Managed; baseTopic: string; lotIds: string[]; redisCpu: () => Promise<number>; rate: number; seconds: number;
}): Promise<PacedCost> {
  const committed = () => metricSum(service, 'kongwei_events_total');
  const brokerCpu = () => (broker.pid ? processCpuMs(broker.pid) : 0);
  const before = { events: await committed(), service: service.cpuMs(), redis: await redisCpu(), broker: brokerCpu() };
  const pub = await runPublisher({ url: broker.url, baseTopic, lotIds, connections: 2, mode: 'rate', rate, seconds });
  // Near the sustained rate a trial may end a little behind: what counts is that every event is committed, and what it cost.
  let arrived = await committed();
  for (const deadline = Date.now() + 30_000; arrived < before.events + pub.sent && Date.now() < deadline; arrived = await committed()) await new Promise((r) => setTimeout(r, 50));
  if (arrived < before.events + pub.sent) throw new Error(`the paced trial at ${rate}/s: ${arrived - before.events} of ${pub.sent} events committed 30 s after the last`);
  const events = (await committed()) - before.events;
  const us = (ms: number) => (ms * 1000) / events;
  return {
    events,
    publisher: us(pub.cpuMs),
    broker: us(brokerCpu() - before.broker),
    service: us(service.cpuMs() - before.service),
    redis: us((await redisCpu()) - before.redis),
  };
}

export async function recordingPhase(options: {
  serviceEnv: Record<string, string>;
  lotIds: string[];
  startRate: number;
  progress: (message: string) => void;
  cleanups: (() => Promise<void>)[];
  /** A short load before the first search: a service just started is slower until its code is compiled. */
  warmUp: (service: ServiceProcess, baseTopic: string) => Promise<void>;
  measure: (service: ServiceProcess, baseTopic: string, search: { label: string; startRate: number; bisections: number }) => Promise<Measured>;
  /** One paced trial: `rate` events/s for `seconds`, every event committed, and what each cost each process. */
  paced: (service: ServiceProcess, baseTopic: string, rate: number, seconds: number) => Promise<PacedCost>;
}): Promise<{ recordingOff: RecordingSide; recordingOn: RecordingSide; recordingPaced: { rate: number; off: PacedSide; on: PacedSide } }> {
  const { serviceEnv, cleanups } = options;
  const services = new Map<string, ServiceProcess>();
  for (const side of SIDES) {
    const dataDir = mkdtempSync(join(tmpdir(), `kongwei-bench-rec-${side.name}-`));
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    await writeCatalog(dataDir, districtLots(options.lotIds.length));
    const service = await startService({
      ...serviceEnv, ...side.env, DATA_DIR: dataDir, REDIS_KEY_PREFIX: `kwbench-rec-${side.name}:`,
      // Topics and sessions of its own: the earlier services' persistent sessions still hold theirs.
      MQTT_CLIENT_ID: `kongwei-bench-rec-${side.name}-${process.pid}`, MQTT_BASE_TOPIC: side.base,
    });
    cleanups.push(() => service.stop());
    services.set(side.name, service);
  }
  for (const side of SIDES) await options.warmUp(services.get(side.name)!, side.base);
  const runs = new Map<string, Measured[]>(SIDES.map((side) => [side.name, []]));
  for (let pair = 0; pair < PAIRS; pair++) {
    for (const side of SIDES) {
      runs.get(side.name)!.push(await options.measure(services.get(side.name)!, side.base, { label: `recording ${side.name}`, startRate: options.startRate, bisections: 3 }));
    }
  }
  const lower = Math.min(...SIDES.map((side) => Math.max(...runs.get(side.name)!.map((r) => r.rate))));
  const pacedRate = Math.round((lower * PACED_SHARE) / 100) * 100;
  const paced = new Map<string, PacedCost[]>(SIDES.map((side) => [side.name, []]));
  for (let pair = 0; pair < PACED_PAIRS; pair++) {
    for (const side of SIDES) {
      const cost = await options.paced(services.get(side.name)!, side.base, pacedRate, PACED_SECONDS);
      paced.get(side.name)!.push(cost);
      const us = cost.publisher + cost.broker + cost.service + cost.redis;
      options.progress(`      recording ${side.name} paced at ${pacedRate}/s: ${us.toFixed(1)} µs of CPU per event (publisher ${cost.publisher.toFixed(1)}, broker ${cost.broker.toFixed(1)}, service ${cost.service.toFixed(1)}, Redis ${cost.redis.toFixed(1)})`);
    }
  }
  for (const service of services.values()) await service.stop();
  const summary = (list: Measured[]): RecordingSide => {
    const events = list.reduce((n, r) => n + r.accepted, 0);
    const weighted = (pick: (r: Measured) => number) => list.reduce((sum, r) => sum + pick(r) * r.accepted, 0) / events;
    return {
      rate: Math.max(...list.map((r) => r.rate)),
      rates: list.map((r) => r.rate),
      sent: list.reduce((n, r) => n + r.sent, 0),
      accepted: events,
      rejected: list.reduce((n, r) => n + r.rejected, 0),
      usPerEvent: { service: weighted((r) => r.usPerEvent.service), redis: weighted((r) => r.usPerEvent.redis) },
    };
  };
  const off = summary(runs.get('off')!);
  const on = summary(runs.get('on')!);
  options.progress(`      recording on / off: ${Math.round(on.rate)} / ${Math.round(off.rate)} events/s = ${(on.rate / off.rate).toFixed(3)} (searches: on ${on.rates.map(Math.round).join(', ')}; off ${off.rates.map(Math.round).join(', ')})`);
  const pacedOff = pacedSummary(paced.get('off')!);
  const pacedOn = pacedSummary(paced.get('on')!);
  options.progress(`      by CPU per event, paced: off / on ${pacedOff.total.toFixed(1)} / ${pacedOn.total.toFixed(1)} µs = ${(pacedOff.total / pacedOn.total).toFixed(3)}`);
  return { recordingOff: off, recordingOn: on, recordingPaced: { rate: pacedRate, off: pacedOff, on: pacedOn } };
}
