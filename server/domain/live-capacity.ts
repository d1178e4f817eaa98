// When an operator changes a lot's capacity in the catalog. Pure: the
// in-process store runs this as is, the Redis store runs a Lua transcription
// (server/live/lua/set-capacity.lua), and the store contract tests hold both to it.
import type { LiveState } from './live.ts';

/**
 * The live state with a new capacity: the count is clamped into 0..capacity
 * and flagged as clamped if that changed it (a lot shrunk under its cars
 * shows full, never "-3 free"). Raising the capacity keeps the count.
 */
export function withCapacity(state: LiveState, capacity: number): LiveState {
  if (state.occupied === null) return { ...state, capacity };
  const occupied = Math.min(Math.max(state.occupied, 0), capacity);
  return { ...state, capacity, occupied, clamped: state.clamped || occupied !== state.occupied };
}
