// Per-event publish→socket latency, every client counted: for each published
// event and each client, the time from the event's publication until that
// client had parsed the first push showing the lot at that event or a newer
// one (pushes carry a lot's newest state, so a coalesced event is delivered
// by the push that carries its successor).
//
// The sockets of one subscription receive the same pushes in the same order,
// so a crowd process numbers the distinct pushes once (in the order first
// seen, which is the order sent) and keeps, per client, only when it had each
// one. Latencies are whole milliseconds (both clocks are Date.now() on one
// machine), so a histogram by millisecond holds them exactly.

/** [lotId, updatedAt in ms] of each lot a push shows. */
export type PushedLots = [string, number][];

/** Latencies in whole ms: counts[ms]; the last bucket holds everything at or above it. */
export const HISTOGRAM_MS = 60_000;

export interface LatencyCounts {
  /** Sparse histogram: [ms, count] pairs. */
  histogram: [number, number][];
  samples: number;
  /** Event×client pairs with no push showing the event by the end. */
  undelivered: number;
}

/**
 * Per client, the first push it received that shows each event's lot at the
 * event or newer. `received[c][p]`: when client c had push p (NaN: never).
 */
export function countLatencies(events: readonly [string, number][], pushes: readonly PushedLots[], received: readonly Float64Array[]): LatencyCounts {
  // Per lot: the pushes that show it, in the order sent, with the updatedAt each shows.
  const byLot = new Map<string, { upd: number[]; push: number[] }>();
  pushes.forEach((lots, p) => {
    for (const [lotId, upd] of lots) {
      const entry = byLot.get(lotId) ?? byLot.set(lotId, { upd: [], push: [] }).get(lotId)!;
      // Each lot's pushes in order of what they show, for the binary search: one showing it older
      // than an earlier push did (only a push sent before the recording began and seen late) is
      // left out, which can only make a latency longer, never shorter.
      if (upd < (entry.upd.at(-1) ?? -Infinity)) continue;
      entry.upd.push(upd);
      entry.push.push(p);
    }
  });
  // Per event: its lot's pushes, and the first of them at the event or newer (binary search).
  const lists: ({ upd: number[]; push: number[] } | undefined)[] = [];
  const firsts = new Int32Array(events.length);
  events.forEach(([lotId, ts], e) => {
    const entry = byLot.get(lotId);
    lists.push(entry);
    if (!entry) return;
    let lo = 0;
    let hi = entry.upd.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (entry.upd[mid]! >= ts) hi = mid;
      else lo = mid + 1;
    }
    firsts[e] = lo;
  });
  const counts = new Float64Array(HISTOGRAM_MS + 1);
  let samples = 0;
  let undelivered = 0;
  for (const times of received) {
    for (let e = 0; e < events.length; e++) {
      const entry = lists[e];
      if (!entry) {
        undelivered++;
        continue;
      }
      // The first such push this client received (it may have joined after the first was sent).
      let i = firsts[e]!;
      while (i < entry.push.length && Number.isNaN(times[entry.push[i]!]!)) i++;
      if (i === entry.push.length) {
        undelivered++;
        continue;
      }
      const ms = Math.max(0, times[entry.push[i]!]! - events[e]![1]);
      counts[Math.min(HISTOGRAM_MS, ms)]!++;
      samples++;
    }
  }
  const histogram: [number, number][] = [];
  counts.forEach((n, ms) => n > 0 && histogram.push([ms, n]));
  return { histogram, samples, undelivered };
}

/** A latency as the report prints it: whole ms, ∞ for an event some client never had. */
export const msText = (ms: number) => (ms === Number.POSITIVE_INFINITY ? '∞' : String(ms));

export interface LatencySummary {
  events: number;
  samples: number;
  undelivered: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/**
 * Percentiles over the histograms of several crowd processes. An undelivered
 * event × client ranks above every delivered one: a percentile that falls
 * among them is Infinity (printed ∞; null in the JSON).
 */
export function summarize(events: number, parts: readonly LatencyCounts[]): LatencySummary {
  const counts = new Map<number, number>();
  for (const part of parts) for (const [ms, n] of part.histogram) counts.set(ms, (counts.get(ms) ?? 0) + n);
  const sorted = [...counts].sort((a, b) => a[0] - b[0]);
  const samples = parts.reduce((n, p) => n + p.samples, 0);
  const undelivered = parts.reduce((n, p) => n + p.undelivered, 0);
  const at = (p: number) => {
    const rank = Math.max(1, Math.ceil((p / 100) * (samples + undelivered)));
    let seen = 0;
    for (const [ms, n] of sorted) if ((seen += n) >= rank) return ms;
    return samples + undelivered > 0 ? Number.POSITIVE_INFINITY : Number.NaN;
  };
  return {
    events,
    samples,
    undelivered,
    p50: at(50),
    p95: at(95),
    p99: at(99),
    max: undelivered > 0 ? Number.POSITIVE_INFINITY : (sorted.at(-1)?.[0] ?? Number.NaN),
  };
}
