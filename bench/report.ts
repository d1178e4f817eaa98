// The benchmark's report: the figures as JSON in bench-results/, and the
// Markdown table the README shows, ending with `ratio pipeline/raw: X.XX`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, freemem, totalmem } from 'node:os';
import { join } from 'node:path';
import { msText } from './latency.ts';
import type { PacedSide, RecordingSide } from './recording-phase.ts';

/** The run's shape, as the table names it. */
export interface RunShape {
  quick: boolean;
  watchingClients: number;
  latencyRate: number;
  searchLots: number;
}


interface LatencyRow {
  fields: string;
  pushIntervalMs: string;
  pushes: number;
  cores: { service: number; clients: number };
  bytes: number;
  p50: number;
  p95: number;
  p99: number;
  clients: number;
  bytesPerClient: { idle: number; loaded: number };
  usPerSocketPush: { service: number; clients: number };
}

/** One row per crowd size: every event × every client, and what the service's memory grew by per client. */
function latencyRows(shape: RunShape, rows: LatencyRow[] | undefined): string {
  const rate = shape.latencyRate.toLocaleString('en');
  const label = (clients: number | undefined) =>
    `publish → socket latency at ${rate} events/s, ${clients === undefined ? '—' : clients.toLocaleString('en')} clients (every client counted): p50 / p95 / p99; service memory per client (RSS growth: subscribed / after the load)`;
  if (!rows?.length) return `| ${label(undefined)} | — | p99 ≤ 100 ms |`;
  const row = (x: LatencyRow) => `| ${label(x.clients)} | ${msText(x.p50)} / ${msText(x.p95)} / ${msText(x.p99)} ms; ${(x.bytesPerClient.idle / 1024).toFixed(1)} / ${(x.bytesPerClient.loaded / 1024).toFixed(1)} KB | p99 ≤ 100 ms; ≤ 60 KB |`;
  const cost = `| CPU per push to one client at ${rows.map((x) => x.clients.toLocaleString('en')).join(' / ')} clients: service; the clients (parsing it) | ${rows.map((x) => x.usPerSocketPush.service.toFixed(1)).join(' / ')} µs; ${rows.map((x) => x.usPerSocketPush.clients.toFixed(1)).join(' / ')} µs | |`;
  return [...rows.map(row), cost].join('\n');
}

/** Before and now, alternated within the run (`--compare`): each figure's range over the alternations. */
function comparison(compared: { before: LatencyRow[]; now: LatencyRow[] } | undefined): string {
  if (!compared?.now.length) return '';
  const range = (rows: LatencyRow[], of: (x: LatencyRow) => number, digits = 0) => {
    const values = rows.map(of);
    const [lo, hi] = [Math.min(...values), Math.max(...values)];
    const text = (v: number) => (v === Number.POSITIVE_INFINITY ? '∞' : v.toFixed(digits));
    return lo === hi ? text(lo) : `${text(lo)}–${text(hi)}`;
  };
  const line = (label: string, rows: LatencyRow[]) =>
    `| ${label} (fields: ${rows[0]!.fields}, PUSH_INTERVAL_MS: ${rows[0]!.pushIntervalMs}) | ${range(rows, (x) => x.p50)} / ${range(rows, (x) => x.p95)} / ${range(rows, (x) => x.p99)} ms | ` +
    `${range(rows, (x) => x.bytes / x.pushes)} B | ${range(rows, (x) => x.usPerSocketPush.service, 1)} / ${range(rows, (x) => x.usPerSocketPush.clients, 1)} µs | ` +
    `${range(rows, (x) => x.cores.service, 2)} / ${range(rows, (x) => x.cores.clients, 2)} |`;
  return `
Before and now, alternated ${compared.now.length} times in this run at ${compared.now[0]!.clients.toLocaleString('en')} clients (ranges over the alternations):

| push | p50 / p95 / p99 | bytes per push | CPU per push to a client: service / clients | CPU over the load, in cores: service / clients |
|---|---|---|---|---|
${line('before', compared.before)}
${line('now', compared.now)}
`;
}

/** Writes the figures to bench-results/ and prints the table, ending with the ratio line. */
export function report(shape: RunShape, results: Record<string, unknown>, ratio: number): void {
  const { quick } = shape;
  const machine = { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGB: Math.round(totalmem() / 2 ** 30), freeGB: Math.round(freemem() / 2 ** 30), node: process.version };
  const date = new Date().toISOString();
  const figures = { date, quick, machine, results, ratio };
  mkdirSync('bench-results', { recursive: true });
  const file = join('bench-results', `bench-${date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(figures, null, 2));
  writeFileSync(join('bench-results', 'latest.json'), JSON.stringify(figures, null, 2));

  const r = results as Partial<{
    raw: { rate: number };
    pipeline: { rate: number; sent: number; accepted: number; rejected: number; usPerEvent: { service: number; redis: number } };
    cluster: { rate: number; sent: number; accepted: number; rejected: number; usPerEvent: { service: number; redis: number } };
    latency: LatencyRow[];
    latencyCompared: { before: LatencyRow[]; now: LatencyRow[] };
    memory: { bytesPerClient: number; clients: number };
    search: { p50: number; p99: number };
    recordingOff: RecordingSide;
    recordingOn: RecordingSide;
    recordingPaced: { rate: number; off: PacedSide; on: PacedSide };
    history: {
      historyLots: number; days: number; lots: number;
      history: { p50: number; p99: number }; forecast: { p50: number; p99: number }; arrival: { p50: number; p99: number };
    };
  }>;
  const recordingShare = r.recordingOn && r.recordingOff ? r.recordingOn.rate / r.recordingOff.rate : Number.NaN;
  const side = (x: RecordingSide | undefined) =>
    `${n(x?.rate)} events/s (${x ? x.rates.map((v) => n(v)).join(', ') : '—'}); ${f(x?.usPerEvent.service, 1)} / ${f(x?.usPerEvent.redis, 1)} µs`;
  const paced = r.recordingPaced;
  const pacedShare = paced ? paced.off.total / paced.on.total : Number.NaN;
  const pacedSide = (x: PacedSide | undefined) =>
    x ? `${f(x.publisher, 1)} / ${f(x.broker, 1)} / ${f(x.service, 1)} / ${f(x.redis, 1)} = ${f(x.total, 1)} µs (trials ${x.totals.map((v) => f(v, 1)).join(', ')})` : '—';
  const h = r.history;
  const n = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? '—' : Math.round(v).toLocaleString('en'));
  const f = (v: number | undefined, digits: number) => (v === undefined || Number.isNaN(v) ? '—' : v.toFixed(digits));
  console.log(`
Kongwei benchmark — ${date}${quick ? ' (quick run)' : ''}
Machine: ${machine.cores} × ${machine.cpu}, ${machine.memoryGB} GiB, Node.js ${machine.node}; broker, Redis, service and load generators on the same machine.

| measure | result | target |
|---|---|---|
| raw MQTT pass-through, QoS 1 (publisher → Mosquitto → counting subscriber), sustained | ${n(r.raw?.rate)} msg/s | |
| full pipeline, QoS 1 → Redis (Lua) → PUBACK, pushed to ${shape.watchingClients} sockets, sustained | ${n(r.pipeline?.rate)} events/s | ≥ 0.6 × raw |
| pipeline / raw | ${f(ratio, 2)} | ≥ 0.60 |
| CPU per event over the pipeline trials: service / Redis | ${f(r.pipeline?.usPerEvent.service, 1)} / ${f(r.pipeline?.usPerEvent.redis, 1)} µs | ≤ 10 / ≤ 5 µs |
| events accepted / sent / rejected over the pipeline trials (exactly once) | ${n(r.pipeline?.accepted)} / ${n(r.pipeline?.sent)} / ${n(r.pipeline?.rejected)} | all / all / 0 |
| full pipeline on a Redis Cluster (3 masters + 3 replicas), sustained | ${n(r.cluster?.rate)} events/s | |
| on the cluster: CPU per event, service / all Redis nodes; accepted / sent / rejected | ${f(r.cluster?.usPerEvent.service, 1)} / ${f(r.cluster?.usPerEvent.redis, 1)} µs; ${n(r.cluster?.accepted)} / ${n(r.cluster?.sent)} / ${n(r.cluster?.rejected)} | all / all / 0 |
${latencyRows(shape, r.latency)}
| service memory per socket client (${n(r.memory?.clients)} clients) | ${r.memory ? (r.memory.bytesPerClient / 1024).toFixed(1) : '—'} KB | ≤ 60 KB |
| GET /api/lots?near=…&radius=1000 over ${shape.searchLots.toLocaleString('en')} lots: p50 / p99 | ${r.search ? `${r.search.p50.toFixed(2)} / ${r.search.p99.toFixed(2)}` : '—'} ms | p99 ≤ 10 ms |
| full pipeline with history recording off, alternated with on: best sustained (each search); CPU per event service / Redis | ${side(r.recordingOff)} | |
| the same with recording on | ${side(r.recordingOn)} | |
| pipeline with recording on / off (phase 7, best of each) | ${f(recordingShare, 2)} | ≥ 0.95 |
| both paced at ${n(paced?.rate)} events/s, alternated, no sockets: CPU per event publisher / broker / service / Redis = all, recording off | ${pacedSide(paced?.off)} | |
| the same with recording on | ${pacedSide(paced?.on)} | |
| pipeline with recording on / off by CPU per event (on cores its processes fill, the rate is cores ÷ CPU per event: off's ÷ on's) | ${f(pacedShare, 3)} | ≥ 0.95 |
| GET /api/lots/{id}/history, one week at 5m, ${h ? `${n(h.historyLots)} lots × ${h.days} days` : '—'} in PostgreSQL: p50 / p99 | ${h ? `${h.history.p50.toFixed(1)} / ${h.history.p99.toFixed(1)}` : '—'} ms | p99 ≤ 50 ms |
| GET /api/lots/{id}/forecast, 24 h at 30m, over the same lots: p50 / p99 | ${h ? `${h.forecast.p50.toFixed(1)} / ${h.forecast.p99.toFixed(1)}` : '—'} ms | p99 ≤ 50 ms |
| GET /api/lots?near=…&radius=1000&arriveAt=… over ${h ? n(h.lots) : '—'} lots: p50 / p99 | ${h ? `${h.arrival.p50.toFixed(2)} / ${h.arrival.p99.toFixed(2)}` : '—'} ms | p99 ≤ 20 ms |
${comparison(r.latencyCompared)}
Figures written to ${file}
ratio pipeline/raw: ${f(ratio, 2)}`);
}
