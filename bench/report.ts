// The benchmark's report: the figures as JSON in bench-results/, and the
// Markdown table the README shows, ending with `ratio pipeline/raw: X.XX`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, freemem, totalmem } from 'node:os';
import { join } from 'node:path';

/** The run's shape, as the table names it. */
export interface RunShape {
  quick: boolean;
  watchingClients: number;
  latencyRate: number;
  searchLots: number;
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
    latency: { p50: number; p95: number; p99: number; clients: number };
    memory: { bytesPerClient: number; clients: number };
    search: { p50: number; p99: number };
    recordingOff: { rate: number; usPerEvent: { service: number; redis: number } };
    history: {
      historyLots: number; days: number; lots: number;
      history: { p50: number; p99: number }; forecast: { p50: number; p99: number }; arrival: { p50: number; p99: number };
    };
  }>;
  const recordingShare = r.pipeline && r.recordingOff ? r.pipeline.rate / r.recordingOff.rate : Number.NaN;
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
| publish → socket latency at ${shape.latencyRate.toLocaleString('en')} events/s, ${n(r.latency?.clients)} clients: p50 / p95 / p99 | ${r.latency ? `${r.latency.p50} / ${r.latency.p95} / ${r.latency.p99}` : '—'} ms | p99 ≤ 100 ms |
| service memory per socket client (${n(r.memory?.clients)} clients) | ${r.memory ? (r.memory.bytesPerClient / 1024).toFixed(1) : '—'} KB | ≤ 60 KB |
| GET /api/lots?near=…&radius=1000 over ${shape.searchLots.toLocaleString('en')} lots: p50 / p99 | ${r.search ? `${r.search.p50.toFixed(2)} / ${r.search.p99.toFixed(2)}` : '—'} ms | p99 ≤ 10 ms |
| full pipeline with history recording off, sustained; CPU per event service / Redis | ${n(r.recordingOff?.rate)} events/s; ${f(r.recordingOff?.usPerEvent.service, 1)} / ${f(r.recordingOff?.usPerEvent.redis, 1)} µs | |
| pipeline with recording on / off (phases 2 and 7) | ${f(recordingShare, 2)} | ≥ 0.95 |
| GET /api/lots/{id}/history, one week at 5m, ${h ? `${n(h.historyLots)} lots × ${h.days} days` : '—'} in PostgreSQL: p50 / p99 | ${h ? `${h.history.p50.toFixed(1)} / ${h.history.p99.toFixed(1)}` : '—'} ms | p99 ≤ 50 ms |
| GET /api/lots/{id}/forecast, 24 h at 30m, over the same lots: p50 / p99 | ${h ? `${h.forecast.p50.toFixed(1)} / ${h.forecast.p99.toFixed(1)}` : '—'} ms | p99 ≤ 50 ms |
| GET /api/lots?near=…&radius=1000&arriveAt=… over ${h ? n(h.lots) : '—'} lots: p50 / p99 | ${h ? `${h.arrival.p50.toFixed(2)} / ${h.arrival.p99.toFixed(2)}` : '—'} ms | p99 ≤ 20 ms |

Figures written to ${file}
ratio pipeline/raw: ${f(ratio, 2)}`);
}
