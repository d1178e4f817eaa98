// The benchmark's phase 7 (DESIGN.md §6): what history recording costs the
// pipeline, in the same run. Two services side by side, recording off and on
// (one idle while the other is measured), measured alternately twice each
// (off, on, off, on), after a warm-up, with a finer search than phase 2's; each side's best
// rate counts (noise on a shared machine only slows a trial down), and its
// CPU per event over all its trials.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startService, type ServiceProcess } from './infra.ts';
import { districtLots, writeCatalog } from './lots.ts';

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

export async function recordingPhase(options: {
  serviceEnv: Record<string, string>;
  lotIds: string[];
  startRate: number;
  progress: (message: string) => void;
  cleanups: (() => Promise<void>)[];
  /** A short load before the first search: a service just started is slower until its code is compiled. */
  warmUp: (service: ServiceProcess, baseTopic: string) => Promise<void>;
  measure: (service: ServiceProcess, baseTopic: string, search: { label: string; startRate: number; bisections: number }) => Promise<Measured>;
}): Promise<{ recordingOff: RecordingSide; recordingOn: RecordingSide }> {
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
  return { recordingOff: off, recordingOn: on };
}
