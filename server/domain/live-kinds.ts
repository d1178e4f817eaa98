// The apply rules' part for bays by kind (DESIGN.md §4, "Bays by kind"):
// each declared bay's event moves its kind's tally in the same step as the
// bay's state, and a new declaration counts the tallies again from the bays
// (tallyKinds; domain/live.ts applyBayKinds).
// Pure; the Redis scripts transcribe it (lua/lib.lua tally_bay, set-kinds.lua).
import { emptyKindCounts, type BayKind, type KindCounts } from './bay-kinds.ts';

/** What these rules read and change of a lot's record (domain/live.ts LotRecord). */
interface KindsRecord {
  bayKinds: Map<string, BayKind>;
  state: { kinds?: KindCounts | null };
}

/** Each kind's declared bays, how many of them reported, how many are occupied, from the bays' states. */
export function tallyKinds(kindOf: ReadonlyMap<string, BayKind>, bays: ReadonlyMap<string, { occupied: boolean }>): KindCounts {
  const declared = { charging: 0, disabled: 0, family: 0, women: 0 };
  for (const kind of kindOf.values()) declared[kind]++;
  const counts = emptyKindCounts(declared);
  for (const [space, kind] of kindOf) {
    const bay = bays.get(space);
    if (!bay) continue;
    counts[kind].reported++;
    if (bay.occupied) counts[kind].occupied++;
  }
  return counts;
}

/**
 * A bay sensor's state was applied (`last`: its state before, if any): a
 * declared bay moves its kind's tally — its first report, and its occupancy.
 */
export function tallyBay(record: KindsRecord, spaceId: string, last: { occupied: boolean } | undefined, occupied: boolean): void {
  const kind = record.bayKinds.get(spaceId);
  if (!kind) return;
  // A new object: states already handed out keep their tallies.
  const kinds = record.state.kinds ?? tallyKinds(record.bayKinds, new Map());
  const tally = kinds[kind];
  record.state.kinds = {
    ...kinds,
    [kind]: { bays: tally.bays, reported: tally.reported + (last ? 0 : 1), occupied: tally.occupied + Number(occupied) - Number(last?.occupied ?? false) },
  };
}
