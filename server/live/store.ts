// The live store: one interface, two implementations with identical
// semantics (the in-process store and Redis). Both apply the rules of
// domain/live.ts atomically and announce every applied change on their feed.
import type { EventEmitter } from 'node:events';
import type { ApplyResult, CountEvent, LiveChange, LiveState } from '../domain/live.ts';

export interface LiveStoreEvents {
  /** Changes applied by this or (Redis) any other instance. */
  change: [changes: LiveChange[]];
  /** The feed may have missed changes (it reconnected): readers should reload. */
  resync: [];
}

export interface DependencyHealth {
  ok: boolean;
  kind: string;
  detail?: string;
}

export interface LiveStore extends EventEmitter<LiveStoreEvents> {
  readonly kind: 'memory' | 'redis';
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Applies an absolute count atomically; `lotCapacity` is the catalog's, for a lot with no state yet. */
  applyCount(event: CountEvent, lotCapacity: number): Promise<ApplyResult>;
  /** The live state of each lot that has one. */
  getMany(ids: readonly string[]): Promise<Map<string, LiveState>>;
  /** Forgets a lot (it was deleted from the catalog). */
  deleteLot(id: string): Promise<void>;
  /**
   * Sets a lot's live capacity (an operator changed it in the catalog) and
   * clamps its count (domain/live-capacity.ts), announcing a change on the
   * feed; null, and nothing changes, when the lot has no live state yet.
   */
  setCapacity(id: string, capacity: number): Promise<LiveState | null>;
  health(): Promise<DependencyHealth>;
}
