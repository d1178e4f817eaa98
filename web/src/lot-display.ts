// What the map shows for a lot, decided once for the marker, the list and the
// popup: a number only when the data is live. Pure (no DOM), so the unit tests
// run it in Node.
import { distanceM, type Point } from '../../server/domain/geo.ts';
import type { Availability, LotView } from '../../server/domain/lot.ts';
import type { BayKind } from '../../server/domain/bay-kinds.ts';
import type { LotFeature } from '../../server/domain/features.ts';

/** What a lot looks like now. */
export interface Shown {
  /** The colour: the server's verdict, except that data that has aged past its threshold here is `unknown`. */
  availability: Availability;
  /**
   * The free count, only for an open lot with fresh data; null otherwise, so no
   * number that looks live is ever shown (nor one for a lot drivers cannot use).
   */
  free: number | null;
  /**
   * Set in "arrive in" mode (arrival-display.ts): `free` is then the
   * forecast for the arrival at `at` (epoch ms), rounded, with its 80 %
   * interval — never a live count — or null with the reason.
   */
  forecast?: { at: number; low: number | null; high: number | null; reason?: string };
}

/**
 * Until when (epoch ms) a lot's data is fresh: its last sign of life (an
 * event or a heartbeat) plus the lot's stale threshold; -Infinity when it
 * never is (no data, or the server already called it stale).
 */
export function freshUntil(lot: LotView, defaultStaleAfterS: number): number {
  const heard = lot.heardAt ?? lot.updatedAt;
  if (lot.free === null || heard === null || lot.stale) return -Infinity;
  return Date.parse(heard) + (lot.staleAfterS ?? defaultStaleAfterS) * 1000;
}

/** What a lot looks like at `nowMs`, given when its data stops being fresh (freshUntil). */
export function shownState(lot: LotView, nowMs: number, freshUntilMs: number): Shown {
  const live = nowMs <= freshUntilMs;
  // Closed — not open, or outside its opening hours — whatever the count says.
  const closed = lot.availability === 'closed';
  const availability: Availability = closed ? 'closed' : live ? lot.availability : 'unknown';
  return { availability, free: live && !closed ? lot.free : null };
}

/** The bay kind a map filter looks for. */
export const kindOfFeature: Record<LotFeature, BayKind> = { ev: 'charging', disabled: 'disabled', family: 'family', women: 'women' };
const FREE_OF_KIND = { charging: 'freeCharging', disabled: 'freeDisabled', family: 'freeFamily', women: 'freeWomen' } as const satisfies Record<BayKind, keyof LotView>;
const KINDS = Object.keys(FREE_OF_KIND) as BayKind[];

/**
 * A kind's live free bays as the map shows them: only while the lot's own
 * count is shown live (the page's clock ages it too), never in "arrive in"
 * mode (a forecast is not live); null otherwise, or when the service has none.
 */
export function kindFreeShown(lot: LotView, shown: Shown, kind: BayKind): number | null {
  if (shown.free === null || shown.forecast) return null;
  return lot[FREE_OF_KIND[kind]];
}

/** Every kind with a live free count shown (of the filters' kinds only, when given), in the kinds' order. */
export function kindsFreeShown(lot: LotView, shown: Shown, features?: ReadonlySet<LotFeature>): [BayKind, number][] {
  const kinds = features ? KINDS.filter((kind) => [...features].some((feature) => kindOfFeature[feature] === kind)) : KINDS;
  return kinds.flatMap((kind) => {
    const free = kindFreeShown(lot, shown, kind);
    return free === null ? [] : [[kind, free] as [BayKind, number]];
  });
}

/**
 * With filters on: whether a lot has room of every kind looked for — a kind
 * known live to have none (0 free) does not; one not known live does not
 * rule the lot out (its spaces of that kind may be free).
 */
export function hasRoomFor(lot: LotView, shown: Shown, features: Iterable<LotFeature>): boolean {
  if (!hasSpace(shown)) return false;
  for (const feature of features) if (kindFreeShown(lot, shown, kindOfFeature[feature]) === 0) return false;
  return true;
}

/** Whether a driver can park there now: open, fresh data, at least one free space. */
export function hasSpace(shown: Shown): boolean {
  return shown.free !== null && shown.free > 0;
}

/**
 * The text of a lot's badge: its free count, or a dash when there is no live
 * count; a forecast's is "≈N", or "?" when it has none (a closed lot: "–").
 */
export function badgeText(shown: Shown): string {
  if (shown.forecast && shown.availability !== 'closed') return shown.free === null ? '?' : `≈${shown.free}`;
  return shown.free === null ? '–' : String(shown.free);
}

/** A lot's share of free spaces under which it is "almost full" (DESIGN.md §4, as the server classifies lots). */
const ALMOST_FULL_SHARE = 0.1;

export interface ClusterSummary {
  free: number | null;
  availability: Availability;
  lots: number;
  /** Members shown closed by their opening hours (open lots; in "arrive in" mode, at the arrival). */
  closedByHours: number;
  /** Members that are not open at all (planned, under construction, closed). */
  notOpen: number;
  /** Set when the members show forecasts (for this arrival, epoch ms): `free` is then their forecasts, summed. */
  forecastAt?: number;
}

/** What a cluster of lots shows: the free spaces of its open lots with live data, summed, and a colour for them. */
export function clusterSummary(members: Iterable<{ lot: LotView; shown: Shown }>): ClusterSummary {
  let free = 0;
  let capacity = 0;
  let live = 0;
  let lots = 0;
  let closedByHours = 0;
  let notOpen = 0;
  let forecastAt: number | undefined;
  for (const { lot, shown } of members) {
    lots++;
    forecastAt ??= shown.forecast?.at;
    // Closed as the member shows it (at the arrival, in "arrive in" mode), not as the live lot is now.
    if (lot.status !== 'open') notOpen++;
    else if (shown.availability === 'closed') closedByHours++;
    if (shown.free === null) continue;
    live++;
    free += shown.free;
    capacity += lot.capacity;
  }
  const counts = { lots, closedByHours, notOpen, ...(forecastAt === undefined ? {} : { forecastAt }) };
  if (live === 0) return { free: null, availability: lots > 0 && closedByHours + notOpen === lots ? 'closed' : 'unknown', ...counts };
  return { free, availability: availabilityOf(free, capacity), ...counts };
}

/** The colour of `free` spaces of `capacity` (as the server classifies lots). */
export function availabilityOf(free: number, capacity: number): Availability {
  return free <= 0 ? 'full' : free <= Math.max(1, Math.floor(capacity * ALMOST_FULL_SHARE)) ? 'almost_full' : 'available';
}

/** A cluster's badge: "≈N" when its members show forecasts. */
export function clusterBadgeText(summary: ClusterSummary): string {
  if (summary.free === null) return summary.forecastAt !== undefined && summary.availability !== 'closed' ? '?' : '–';
  return summary.forecastAt !== undefined ? `≈${summary.free}` : String(summary.free);
}

export interface Nearby {
  lot: LotView;
  shown: Shown;
  distanceM: number;
}

/**
 * The list a driver reads: lots with free spaces now, nearest first, then the
 * others (full, not open, no recent data), nearest first; at most `limit`.
 */
export function nearestLots(
  lots: Iterable<{ lot: LotView; shown: Shown }>,
  from: Point,
  limit: number,
  /** Whether a lot goes first; by default, hasSpace (the map's filters: hasRoomFor). */
  hasRoom: (lot: LotView, shown: Shown) => boolean = (_lot, shown) => hasSpace(shown),
): { shown: Nearby[]; total: number } {
  const withSpace: Nearby[] = [];
  const others: Nearby[] = [];
  for (const { lot, shown } of lots) {
    const entry = { lot, shown, distanceM: distanceM(from, lot) };
    (hasRoom(lot, shown) ? withSpace : others).push(entry);
  }
  const byDistance = (a: Nearby, b: Nearby) => a.distanceM - b.distanceM || a.lot.id.localeCompare(b.lot.id);
  withSpace.sort(byDistance);
  others.sort(byDistance);
  const all = withSpace.concat(others);
  return { shown: all.slice(0, limit), total: all.length };
}
