// A lot's closed hours as the accumulator asks for them: the spans within an
// interval when its opening hours (TIME_ZONE, China's public holidays) say
// closed. Pure; answers come from domain/opening-hours.ts, cached per schedule.
import { hoursAt } from '../opening-hours.ts';
import { staleAfterMsFor, type LotMeta } from '../lot.ts';
import type { ClosedSpans, HistoryLot } from './accumulator.ts';

/** Closed spans by `openingHours` in `timeZone`; undefined when the lot has none (or they do not parse): always open. */
export function hoursClosedSpans(openingHours: string | null, timeZone: string): ClosedSpans | undefined {
  if (openingHours === null || hoursAt(openingHours, 0, timeZone) === null) return undefined;
  return (from, to) => {
    const spans: [number, number][] = [];
    for (let at = from; at < to; ) {
      const now = hoursAt(openingHours, at, timeZone);
      if (!now) break;
      // hoursAt answers for the whole minute: step on from the next change, or the end.
      const until = Math.min(to, now.changesAt !== null && now.changesAt > at ? now.changesAt : to);
      if (!now.open) {
        const last = spans[spans.length - 1];
        if (last && last[1] === at) last[1] = until;
        else spans.push([at, until]);
      }
      at = until;
    }
    return spans;
  };
}

/** What the accumulator needs to know about a lot besides its changes; `cache` keeps the closed spans per schedule. */
export function historyLotOf(lot: LotMeta, staleAfterS: number, timeZone: string, cache: Map<string, ClosedSpans | undefined>): HistoryLot {
  const key = lot.openingHours ?? '';
  if (!cache.has(key)) cache.set(key, hoursClosedSpans(lot.openingHours, timeZone));
  const closed = cache.get(key);
  return { staleAfterMs: staleAfterMsFor(lot, staleAfterS), ...(closed ? { closed } : {}) };
}
