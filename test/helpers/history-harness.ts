// Drives the live apply rules and the history accumulator together, as the
// recorder will: every event goes through the live rules, and only those the
// rules apply are observed — so duplicates and rejected events add nothing.
import {
  applyCapacity, applyCount, applyGate, applyHeartbeat, applyLotOffline, emptyLotRecord,
  type ApplyResult, type LotRecord,
} from '../../server/domain/live.ts';
import {
  emptyHistoryState, mergeBuckets, observe, tail,
  type Bucket, type HistoryLot, type HistoryObservation, type HistoryState,
} from '../../server/domain/history.ts';

export type LotInput =
  | { kind: 'count'; ts: number; occupied: number; seq?: number }
  | { kind: 'gate'; ts: number; delta: number; gate?: string; seq?: number }
  | { kind: 'heartbeat'; ts: number }
  | { kind: 'offline'; online: boolean }
  | { kind: 'capacity'; capacity: number }
  | { kind: 'status'; open: boolean };

export class HistoryHarness {
  readonly record: LotRecord;
  state: HistoryState;
  statusOpen = true;
  readonly parts: Bucket[][] = [];
  readonly observations: HistoryObservation[] = [];

  constructor(capacity: number, readonly lot: HistoryLot) {
    this.record = emptyLotRecord(capacity);
    this.state = emptyHistoryState(capacity);
  }

  /** Applies one input received by the service at `receivedAt`; returns whether the live rules applied it. */
  apply(input: LotInput, receivedAt: number): boolean {
    let result: ApplyResult;
    let at = receivedAt;
    let sensorTime = false;
    switch (input.kind) {
      case 'count':
        result = applyCount(this.record, { lotId: 'x', ts: input.ts, seq: input.seq ?? null, occupied: input.occupied, free: null, capacity: null, receivedAt });
        [at, sensorTime] = [input.ts, true];
        break;
      case 'gate':
        result = applyGate(this.record, { lotId: 'x', gate: input.gate ?? 'g', delta: input.delta, ts: input.ts, sensorTs: true, seq: input.seq ?? null, receivedAt });
        [at, sensorTime] = [input.ts, true];
        break;
      case 'heartbeat':
        result = applyHeartbeat(this.record, { lotId: 'x', ts: input.ts, receivedAt });
        [at, sensorTime] = [input.ts, true];
        break;
      case 'offline':
        result = applyLotOffline(this.record, !input.online, receivedAt);
        break;
      case 'capacity':
        result = applyCapacity(this.record, input.capacity);
        break;
      case 'status':
        if (this.statusOpen === input.open) return false;
        this.statusOpen = input.open;
        result = { outcome: 'applied', state: { ...this.record.state } };
        break;
    }
    if (result.outcome !== 'applied') return false;
    const obs: HistoryObservation = { at, sensorTime, live: result.state, statusOpen: this.statusOpen };
    const step = observe(this.state, obs, this.lot);
    this.state = step.state;
    this.parts.push(step.parts);
    this.observations.push(obs);
    return true;
  }

  /** The recorded buckets plus the provisional tail up to `end`. */
  buckets(end?: number): Bucket[] {
    return mergeBuckets(...this.parts, end === undefined ? [] : tail(this.state, end, this.lot));
  }
}
