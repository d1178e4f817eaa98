// The live store: one interface, two implementations with identical
// semantics (the in-process store and Redis). Both apply the rules of
// domain/live.ts atomically, one step per event, and announce every applied
// change on their feed.
import type { EventEmitter } from 'node:events';
import type { DependencyHealth } from '../lifecycle.ts';
import type {
  ApplyResult, BayKind, BayState, CountEvent, GateEvent, HeartbeatEvent, LiveChange, LiveState, SpaceEvent,
} from '../domain/live.ts';
import type { HistoryRecord } from '../domain/history.ts';

/**
 * The store refused an event for good — a script error on this input, not an
 * outage: retrying cannot help, so the event is rejected (and acknowledged)
 * instead of holding ingestion up forever.
 */
export class LiveStoreRefusal extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LiveStoreRefusal';
  }
}

export interface LiveStoreEvents {
  /** Changes applied by this or (Redis) any other instance. */
  change: [changes: LiveChange[]];
  /** The feed may have missed changes (it reconnected): readers should reload. */
  resync: [];
}

export type { DependencyHealth };

/**
 * Every apply method takes the catalog's capacity, for a lot with no state
 * yet, and changes the lot in one atomic step: check, apply, announce.
 */
export interface LiveStore extends EventEmitter<LiveStoreEvents> {
  readonly kind: 'memory' | 'redis';
  start(): Promise<void>;
  stop(): Promise<void>;
  applyCount(event: CountEvent, lotCapacity: number): Promise<ApplyResult>;
  applyGate(event: GateEvent, lotCapacity: number): Promise<ApplyResult>;
  applySpace(event: SpaceEvent, lotCapacity: number): Promise<ApplyResult>;
  applyHeartbeat(event: HeartbeatEvent, lotCapacity: number): Promise<ApplyResult>;
  /** A gateway serving the lot went offline (true) or came back (false), as a status received at `receivedAt` said. */
  setLotOffline(lotId: string, offline: boolean, receivedAt: number, lotCapacity: number): Promise<ApplyResult>;
  /** Claims the lot's stale transition for this sign of life; true for the one caller that got it. */
  markStale(lotId: string, aliveAt: number): Promise<boolean>;
  /** The live state of each lot that has one. */
  getMany(ids: readonly string[]): Promise<Map<string, LiveState>>;
  /** Each bay sensor's last state in one lot, by space id (empty for a lot without bay sensors). */
  getBays(lotId: string): Promise<Map<string, BayState>>;
  /** Forgets a lot (it was deleted from the catalog, or is created with an id used before): its state and its learned gateways. */
  deleteLot(id: string): Promise<void>;
  /**
   * Sets a lot's live capacity (an operator changed it in the catalog) and
   * re-clamps its count (domain applyCapacity), announcing a change on the
   * feed; null, and nothing changes, when the lot has no live state yet.
   */
  setCapacity(id: string, capacity: number, at: number): Promise<LiveState | null>;
  /**
   * Takes the lot's declared bays by kind (domain/bay-kinds.ts; an operator
   * declared or changed them): kept for the lot's space events, and, when the
   * lot has live state, its tallies per kind counted again from its bays'
   * states in the same step (domain applyBayKinds), announced on the feed at
   * `at`. A declaration with the digest the store has changes nothing; digest
   * '' (no bays declared) forgets it. Null when the lot has no live state yet.
   */
  setBayKinds(lotId: string, kinds: ReadonlyMap<string, BayKind>, digest: string, at: number): Promise<LiveState | null>;

  /**
   * The lot's history log (DESIGN.md §7): one record per applied change,
   * appended in the same atomic step as the change (the capacity change's at
   * `at`, the service's time), numbered per lot. The first `max` not trimmed yet.
   */
  readHistory(lotId: string, max: number): Promise<HistoryRecord[]>;
  /** Drops the lot's records numbered up to `upTo` (the recorder took them). */
  trimHistory(lotId: string, upTo: number): Promise<void>;
  /** Appends a status record (the catalog status turned open or not, at `at`), numbered with the others; nothing for a lot without live state. */
  noteStatus(lotId: string, open: boolean, at: number): Promise<void>;
  /** Takes or renews the lease `name` for `holder` for `ttlMs`: true while it holds it (one instance does a job at a time). */
  holdLease(name: string, holder: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease back if `holder` holds it (a stopping instance: another takes over at once). */
  releaseLease(name: string, holder: string): Promise<void>;

  /** Remembers that a gateway publishes for a lot (learned from its traffic). */
  addGatewayLot(gatewayId: string, lotId: string): Promise<void>;
  /** The lots a gateway was seen publishing for (since each lot was last deleted). */
  gatewayLots(gatewayId: string): Promise<string[]>;
  /** Records a gateway's last status. */
  setGatewayStatus(gatewayId: string, online: boolean): Promise<void>;
  /** How many gateways last said they were online. */
  gatewaysOnline(): Promise<number>;

  health(): Promise<DependencyHealth>;
}
