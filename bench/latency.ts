// Per-event publish→socket latency: for each published event and each traced
// client, the time until the first push that shows the lot at that event or
// a newer one (pushes carry a lot's newest state, so a coalesced event is
// delivered by the push that carries its successor).
import type { PushTrace } from './sockets.ts';

export interface LatencySummary {
  events: number;
  samples: number;
  undelivered: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export function eventLatencies(events: readonly [string, number][], traces: readonly PushTrace[][]): LatencySummary {
  const latencies: number[] = [];
  let undelivered = 0;
  for (const trace of traces) {
    // Per lot: pushes in arrival order, updatedAt non-decreasing.
    const byLot = new Map<string, { upd: number[]; recv: number[] }>();
    for (const [recv, lotId, upd] of trace) {
      const entry = byLot.get(lotId) ?? byLot.set(lotId, { upd: [], recv: [] }).get(lotId)!;
      entry.upd.push(upd);
      entry.recv.push(recv);
    }
    for (const [lotId, ts] of events) {
      const entry = byLot.get(lotId);
      if (!entry) {
        undelivered++;
        continue;
      }
      // First push whose updatedAt ≥ ts (binary search).
      let lo = 0;
      let hi = entry.upd.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (entry.upd[mid]! >= ts) hi = mid;
        else lo = mid + 1;
      }
      if (lo === entry.upd.length) undelivered++;
      else latencies.push(Math.max(0, entry.recv[lo]! - ts));
    }
  }
  latencies.sort((a, b) => a - b);
  const at = (p: number) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)]! : NaN);
  return { events: events.length, samples: latencies.length, undelivered, p50: at(50), p95: at(95), p99: at(99), max: latencies.at(-1) ?? NaN };
}
