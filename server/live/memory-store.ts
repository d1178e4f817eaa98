// The embedded live store: the domain's apply rules on a Map, for a single
// instance without Redis. JavaScript runs each call to completion, so every
// apply is atomic, as the Lua script is in Redis.
import { EventEmitter } from 'node:events';
import { applyCount, type ApplyResult, type CountEvent, type LiveState } from '../domain/live.ts';
import { withCapacity } from '../domain/live-capacity.ts';
import type { DependencyHealth, LiveStore, LiveStoreEvents } from './store.ts';

export class MemoryLiveStore extends EventEmitter<LiveStoreEvents> implements LiveStore {
  readonly kind = 'memory' as const;
  private readonly states = new Map<string, LiveState>();

  async start(): Promise<void> {}

  async stop(): Promise<void> {
    this.removeAllListeners();
  }

  async applyCount(event: CountEvent, lotCapacity: number): Promise<ApplyResult> {
    const result = applyCount(this.states.get(event.lotId) ?? null, lotCapacity, event);
    if (result.outcome === 'applied') {
      this.states.set(event.lotId, result.state);
      this.emit('change', [{ id: event.lotId, ...result.state }]);
    }
    return result;
  }

  async getMany(ids: readonly string[]): Promise<Map<string, LiveState>> {
    const found = new Map<string, LiveState>();
    for (const id of ids) {
      const state = this.states.get(id);
      if (state) found.set(id, state);
    }
    return found;
  }

  async deleteLot(id: string): Promise<void> {
    this.states.delete(id);
  }

  async setCapacity(id: string, capacity: number): Promise<LiveState | null> {
    const state = this.states.get(id);
    if (!state) return null;
    const next = withCapacity(state, capacity);
    if (next.capacity === state.capacity && next.occupied === state.occupied) return state;
    this.states.set(id, next);
    this.emit('change', [{ id, ...next }]);
    return next;
  }

  async health(): Promise<DependencyHealth> {
    return { ok: true, kind: 'memory' };
  }
}
