// A second-by-second reference for the history accumulator: the same rules
// (domain/history/accumulator.ts) written as plainly as possible — every
// second decided on its own, no intervals, no bucket splitting — so the
// accumulator's interval and bucket arithmetic is checked against it.
import { BUCKET_MS, type Bucket } from '../../server/domain/history.ts';
import type { HistoryObservation } from '../../server/domain/history.ts';

export interface ReferenceLot {
  staleAfterMs: number;
  /** Whether the lot's hours have it open at a moment (absent: always). */
  openAt?: (ms: number) => boolean;
}

/**
 * Buckets for applied observations in order, with times in whole seconds,
 * and everything after the last sign of life up to `end` counted as the
 * provisional tail would count it.
 */
export function referenceBuckets(observations: readonly HistoryObservation[], lot: ReferenceLot, end: number): Bucket[] {
  const seconds = new Map<number, { occupied: number; capacity: number }>();
  let cursor: number | null = null;
  let occupied: number | null = null;
  let capacity = 0;
  let aliveAt: number | null = null;
  let down = false;
  const spells: { from: number; to: number | null }[] = [];
  const isDown = (t: number) => spells.some((s) => t >= s.from && (s.to === null || t < s.to));

  const decide = (from: number, to: number) => {
    for (let t = from; t < to; t += 1000) {
      if (occupied === null || aliveAt === null) continue;
      if (t >= aliveAt + lot.staleAfterMs) continue;
      if (isDown(t)) continue;
      if (lot.openAt && !lot.openAt(t)) continue;
      seconds.set(t, { occupied, capacity });
    }
  };

  for (const obs of observations) {
    if (obs.sensorTime) {
      if (cursor !== null && obs.at > cursor) decide(cursor, obs.at);
      cursor = cursor === null ? obs.at : Math.max(cursor, obs.at);
    }
    const nowDown = Boolean(obs.live.offline) || !obs.statusOpen;
    if (nowDown && !down) spells.push({ from: obs.at, to: null });
    if (!nowDown && down) {
      const open = spells.find((s) => s.to === null)!;
      open.to = Math.max(open.from, obs.at);
    }
    down = nowDown;
    occupied = obs.live.occupied;
    capacity = obs.live.capacity;
    const alive = obs.live.aliveAt ?? obs.live.ts;
    if (alive !== null) aliveAt = Math.max(alive, aliveAt ?? alive);
  }
  if (cursor !== null) decide(cursor, end);

  const buckets = new Map<number, Bucket>();
  for (const [t, v] of [...seconds].sort((a, b) => a[0] - b[0])) {
    const start = Math.floor(t / BUCKET_MS) * BUCKET_MS;
    const b = buckets.get(start) ?? { start, knownMs: 0, occMs: 0, capMs: 0, min: Infinity, max: -Infinity, capacity: 0 };
    b.knownMs += 1000;
    b.occMs += v.occupied * 1000;
    b.capMs += v.capacity * 1000;
    b.min = Math.min(b.min, v.occupied);
    b.max = Math.max(b.max, v.occupied);
    b.capacity = Math.max(b.capacity, v.capacity);
    buckets.set(start, b);
  }
  return [...buckets.values()].sort((a, b) => a.start - b.start);
}
