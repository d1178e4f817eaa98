// The order of live data on a page, pure (no DOM, no socket) so the unit
// tests run it in Node: which of two versions of a lot is newer, and how the
// pushes that overtook a subscribe's snapshot are merged into it.
import type { LotLive } from '../../server/domain/contract.ts';
import type { LotView } from '../../server/domain/lot.ts';

export type Push = { kind: 'update'; lots: LotView[] } | { kind: 'live'; lots: LotLive[] } | { kind: 'remove'; ids: string[] };

/** When a lot was last heard from (its newest event or heartbeat). */
export const heardMs = (lot: Pick<LotView, 'heardAt' | 'updatedAt'>) => {
  const heard = lot.heardAt ?? lot.updatedAt;
  return heard === null ? -Infinity : Date.parse(heard);
};

/**
 * Pushes that came before a snapshot, merged into it: for a lot in the
 * snapshot, a push at least as new replaces (or, live fields, merges into)
 * it, an older one is dropped, and a removal takes it out. Pushes for other
 * lots are handed on after the snapshot, in the order they came.
 */
export function mergeEarly(lots: LotView[], early: Push[]): { snapshot: LotView[]; rest: Push[] } {
  if (!early.length) return { snapshot: lots, rest: [] };
  const byId = new Map(lots.map((lot) => [lot.id, lot]));
  const rest: Push[] = [];
  for (const push of early) {
    if (push.kind === 'remove') {
      const others = push.ids.filter((id) => !byId.delete(id));
      if (others.length) rest.push({ kind: 'remove', ids: others });
      continue;
    }
    const others: (LotView | LotLive)[] = [];
    for (const change of push.lots) {
      const held = byId.get(change.id);
      if (!held) others.push(change);
      else if (heardMs(change) >= heardMs(held)) byId.set(change.id, { ...held, ...change });
    }
    if (others.length) rest.push({ ...push, lots: others } as Push);
  }
  return { snapshot: [...byId.values()], rest };
}
