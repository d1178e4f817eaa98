// The soak's figures: one row a minute while it runs, and at the end whether
// each series stayed flat — its least-squares slope, against a stated
// threshold — and whether every event was accepted exactly once.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';

/** One reading, taken every few seconds. */
export interface Sample {
  /** Minutes since the load started. */
  minute: number;
  rssMB: number;
  /** RSS less the JS heap's committed size: native memory (buffers, sockets, code), which the heap's sawtooth does not move. */
  rssOutsideHeapMB: number;
  heapUsedMB: number;
  /** In the figures only: the heap's committed size, and V8's external memory (Buffers and the like). */
  heapTotalMB: number;
  externalMB: number;
  /** Heap used right after the service's last major garbage collection: what it holds once the garbage is gone (NaN before the first). */
  heapAfterGcMB: number;
  /** The event loop's delay p99 since the previous reading (prom-client resets it on every scrape). */
  loopP99Ms: number;
  handles: number;
  /** Redis used_memory: data, client buffers and Redis' own overhead. */
  redisMB: number;
  /** In the figures only: Redis used_memory_dataset less the history logs' backlog (it counts the allocator's and Redis' own overhead around the keys too). */
  redisDataMB: number;
  /** The service's keys in Redis, less the history logs' backlog: MEMORY USAGE (every element counted) summed, in KB. */
  redisKeysKB: number;
  /** Records in the lots' history logs not yet taken by the recorder (it takes them every 2 s), and their bytes (MEMORY USAGE). */
  historyBacklog: number;
  historyBacklogMB: number;
  /** Redis mem_clients_normal: the clients' query and output buffers. */
  redisClientsMB: number;
  sockets: number;
  /** Events committed per second since the previous reading. */
  eventsPerS: number;
  /** The service's CPU use since the previous reading, % of one core. */
  cpuPct: number;
  /** In the figures and the "around it" line only: the service's CPU per event committed (µs); the machine's busy and steal time (% of all its cores) and the load generators' CPU (% of one core), since the previous reading. */
  cpuUsPerEvent?: number;
  machineBusyPct?: number;
  stealPct?: number;
  loadCpuPct?: number;
}

/** What the machine around the service did, not judged: the mean of each figure over the first and the last 5 measured minutes. */
function around(measured: Sample[]): string {
  if (!measured.length) return '';
  const first = measured[0]!.minute;
  const last = measured.at(-1)!.minute;
  const mean = (key: keyof Sample, from: number, to: number) => {
    const values = measured.filter((s) => s.minute >= from && s.minute <= to).map((s) => s[key] as number).filter(Number.isFinite);
    return values.length ? values.reduce((a, b) => a + b, 0) / values.length : Number.NaN;
  };
  const span = (key: keyof Sample, digits: number) => `${f(mean(key, first, first + 5), digits)} → ${f(mean(key, last - 5, last), digits)}`;
  return `\nAround it (not judged; the first 5 measured minutes' mean → the last 5's): service CPU per event ${span('cpuUsPerEvent', 1)} µs; event-loop p99 ${span('loopP99Ms', 1)} ms; the machine busy ${span('machineBusyPct', 1)} % of its cores, of which stolen by the host ${span('stealPct', 1)} %; the load generators (publisher, sockets) ${span('loadCpuPct', 0)} % of a core.\n`;
}

/**
 * The series judged flat or not. The heap is judged after each major garbage
 * collection (heap used between two is the collector's sawtooth, in the rows),
 * RSS by what it holds outside the heap (the heap's committed pages follow the
 * same sawtooth), and Redis by the bytes of the keys the service keeps (the
 * history logs' backlog, taken every 2 s, and the clients' buffers are in the rows).
 */
export const SERIES = [
  ['rssOutsideHeapMB', 'RSS outside the JS heap', 'MB'],
  ['heapAfterGcMB', 'heap used after major GC', 'MB'],
  ['loopP99Ms', 'event-loop delay p99', 'ms'],
  ['handles', 'open handles', ''],
  ['redisKeysKB', 'Redis: the service’s keys (MEMORY USAGE summed, less the history backlog)', 'KB'],
  ['sockets', 'sockets', ''],
] as const satisfies readonly (readonly [keyof Sample, string, string])[];

/** A series is flat when its trend moves it less than this share of its mean in 10 minutes. */
export const FLAT_SHARE_PER_10_MIN = 0.01;

export interface Trend {
  series: string;
  unit: string;
  mean: number;
  first: number;
  last: number;
  /** Least-squares slope, units per minute, and twice its standard error. */
  slopePerMin: number;
  twoSe: number;
  /** The slope over 10 minutes as a share of the mean. */
  per10MinPct: number;
  verdict: 'flat' | 'flat within noise' | 'rising' | 'falling' | 'too few readings';
}

/** Least-squares line through (x, y): its slope and the slope's standard error. */
export function leastSquares(xs: number[], ys: number[]): { slope: number; se: number } {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i]! - mx) ** 2;
    sxy += (xs[i]! - mx) * (ys[i]! - my);
  }
  const slope = sxx === 0 ? 0 : sxy / sxx;
  let residuals = 0;
  for (let i = 0; i < n; i++) residuals += (ys[i]! - my - slope * (xs[i]! - mx)) ** 2;
  const se = n > 2 && sxx > 0 ? Math.sqrt(residuals / (n - 2) / sxx) : Number.NaN;
  return { slope, se };
}

export function trendOf(samples: Sample[], key: keyof Sample, series: string, unit: string): Trend {
  // A reading not taken yet (no major collection so far) is left out.
  const taken = samples.filter((s) => Number.isFinite(s[key]));
  const xs = taken.map((s) => s.minute);
  const ys = taken.map((s) => s[key] as number);
  const mean = ys.reduce((a, b) => a + b, 0) / Math.max(1, ys.length);
  const { slope, se } = leastSquares(xs, ys);
  const per10MinPct = mean === 0 ? 0 : (100 * slope * 10) / mean;
  let verdict: Trend['verdict'];
  if (taken.length < 3) verdict = 'too few readings';
  else if (Math.abs(per10MinPct) < 100 * FLAT_SHARE_PER_10_MIN) verdict = 'flat';
  else if (Math.abs(slope) <= 2 * se) verdict = 'flat within noise';
  else verdict = slope > 0 ? 'rising' : 'falling';
  return { series, unit, mean, first: ys[0] ?? Number.NaN, last: ys.at(-1) ?? Number.NaN, slopePerMin: slope, twoSe: 2 * se, per10MinPct, verdict };
}

const f = (v: number, digits = 1) => (Number.isFinite(v) ? v.toFixed(digits) : '—');
const n = (v: number) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en') : '—');

export const ROW_HEADER = [
  '| minute | RSS MB (outside the JS heap) | heap used MB (after major GC) | event-loop p99 ms | open handles | Redis: used_memory MB / the service’s keys KB / clients MB | history backlog: records (MB) | sockets | events/s | service CPU % |',
  '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
].join('\n');

export function row(minute: number, s: Sample): string {
  return `| ${minute} | ${f(s.rssMB)} (${f(s.rssOutsideHeapMB)}) | ${f(s.heapUsedMB)} (${f(s.heapAfterGcMB)}) | ${f(s.loopP99Ms)} | ${s.handles} | ${f(s.redisMB, 2)} / ${f(s.redisKeysKB, 1)} / ${f(s.redisClientsMB, 2)} | ${n(s.historyBacklog)} (${f(s.historyBacklogMB, 2)}) | ${s.sockets} | ${n(s.eventsPerS)} | ${f(s.cpuPct, 0)} |`;
}

export interface Checks {
  sent: number;
  acked: number;
  /** Every outcome: applied, or older than the lot's newest count and ignored (out of order). */
  accepted: number;
  applied: number;
  duplicates: number;
  outOfOrder: number;
  rejected: number;
  lotsExact: number;
  lots: number;
  statusesSent: number;
  statusesApplied: number;
  writesOk: number;
  writesFailed: number;
  socketConnects: number;
  socketLeaves: number;
  socketFailures: number;
  /** Clients the service disconnected (by socket.io-client's reason), which should be none. */
  socketsDropped: Record<string, number>;
}

export function exactlyOnce(c: Checks): boolean {
  return c.sent > 0 && c.acked === c.sent && c.accepted === c.sent && c.duplicates === 0 && c.rejected === 0 && c.lotsExact === c.lots;
}

const dropped = (by: Record<string, number>) => {
  const reasons = Object.entries(by);
  const total = reasons.reduce((sum, [, count]) => sum + count, 0);
  return total === 0 ? '0' : `${n(total)} (${reasons.map(([reason, count]) => `${reason}: ${n(count)}`).join(', ')})`;
};

export interface SoakShape {
  minutes: number;
  rate: number;
  sockets: number;
  churnPerSecond: number;
  /** Minutes left out of the trends at the start (connecting, warming up). */
  warmupMinutes: number;
  /** Seconds between readings. */
  sampleEveryS: number;
}

/** Prints the summary tables and writes every figure to bench-results/. */
export function report(shape: SoakShape, rows: Sample[], samples: Sample[], checks: Checks): { trends: Trend[]; file: string } {
  const measured = samples.filter((s) => s.minute > shape.warmupMinutes);
  const trends = SERIES.map(([key, series, unit]) => trendOf(measured, key, series, unit));
  const date = new Date().toISOString();
  const machine = { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGB: Math.round(totalmem() / 2 ** 30), node: process.version };
  mkdirSync('bench-results', { recursive: true });
  const figures = { date, shape, machine, checks, exactlyOnce: exactlyOnce(checks), trends, rows, samples };
  const file = join('bench-results', `soak-${date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(figures, null, 2));
  writeFileSync(join('bench-results', 'soak-latest.json'), JSON.stringify(figures, null, 2));

  const ok = exactlyOnce(checks);
  console.log(`
Kongwei soak — ${date}: ${shape.minutes} min at ${shape.rate.toLocaleString('en')} events/s, ${shape.sockets.toLocaleString('en')} sockets (${shape.churnPerSecond} leaving and ${shape.churnPerSecond} joining every second), operators writing, gateways going offline and back
Machine: ${machine.cores} × ${machine.cpu}, ${machine.memoryGB} GiB, Node.js ${machine.node}; broker, Redis, service and load generators on the same machine.

${ROW_HEADER}
${rows.map((s, i) => row(i + 1, s)).join('\n')}

| series | mean | first → last | slope per 10 min | ± 2 SE | verdict |
|---|---:|---:|---:|---:|---|
${trends.map((t) => `| ${t.series}${t.unit ? ` (${t.unit})` : ''} | ${f(t.mean, 2)} | ${f(t.first, 2)} → ${f(t.last, 2)} | ${f(t.slopePerMin * 10, 2)} (${f(t.per10MinPct, 2)} %) | ${f(t.twoSe * 10, 2)} | ${t.verdict} |`).join('\n')}

${around(measured)}
Flat: the least-squares slope over the readings (every ${shape.sampleEveryS} s${shape.warmupMinutes > 0 ? `, leaving out the first ${shape.warmupMinutes} min` : ''}) moves the series by less than ${100 * FLAT_SHARE_PER_10_MIN} % of its mean in 10 minutes; "flat within noise": more than that, but within twice the slope's standard error. The heap is judged right after each major garbage collection, RSS by what it holds outside the JS heap (between two collections heap used and the heap's pages in RSS are the collector's sawtooth: the figures outside the brackets); Redis by the keys the service keeps (MEMORY USAGE of each, every element counted, summed), less the history records waiting for the recorder (taken every 2 s; their count and bytes are in the rows, as the clients' buffers are; Redis' used_memory_dataset, which also counts the allocator's overhead around the keys, is in the figures).${shape.minutes < 10 ? ' A run this short shows the soak works; only a long one says whether the service stays flat.' : ''}

| check | result | expected |
|---|---|---|
| count events sent / acknowledged by the broker / accepted by the service | ${n(checks.sent)} / ${n(checks.acked)} / ${n(checks.accepted)} | all equal |
| of those accepted: applied / older than the lot's newest, ignored (out of order) | ${n(checks.applied)} / ${n(checks.outOfOrder)} | — |
| accepted twice (duplicate) / rejected | ${n(checks.duplicates)} / ${n(checks.rejected)} | 0 / 0 |
| lots whose final count is the last one sent | ${checks.lotsExact} of ${checks.lots} | all |
| gateway statuses sent / applied | ${n(checks.statusesSent)} / ${n(checks.statusesApplied)} | equal |
| operators' writes answered 2xx / otherwise | ${n(checks.writesOk)} / ${n(checks.writesFailed)} | all / 0 |
| sockets joined / left / failed to connect | ${n(checks.socketConnects)} / ${n(checks.socketLeaves)} / ${n(checks.socketFailures)} | — / — / 0 |
| sockets disconnected without leaving | ${dropped(checks.socketsDropped)} | 0 |

Lot messages are applied concurrently (many in flight per connection, several connections), so two counts of one lot can overtake each other: the older one is then accepted and ignored (out of order), as the MQTT contract says; what the lot shows is its newest count, checked for every lot at the end.

Figures written to ${file}
exactly once: ${ok ? 'yes' : 'NO'}; flat: ${trends.filter((t) => t.verdict === 'flat').length} of ${trends.length} series${trends.some((t) => t.verdict === 'flat within noise') ? ` (and ${trends.filter((t) => t.verdict === 'flat within noise').length} flat within noise)` : ''}`);
  return { trends, file };
}
