// The embedded live store: the domain's apply rules on a Map, for a single
// instance without Redis. JavaScript runs each call to completion, so every
// apply is atomic, as a Lua script is in Redis.
import { EventEmitter } from 'node:events';
import {
  applyBayKinds, applyCapacity, applyCount, applyGate, applyHeartbeat, applyLotOffline, applySpace, applyStaleMark, emptyLotRecord,
  type ApplyResult, type BayKind, type BayState, type CountEvent, type GateEvent, type HeartbeatEvent, type LiveState, type LotRecord, type SpaceEvent,
} from '../domain/live.ts';
import { HISTORY_LOG_MAX, type HistoryRecord } from '../domain/history.ts';
import { LiveStoreRefusal, type DependencyHealth, type LiveStore, type LiveStoreEvents } from './store.ts';

export class MemoryLiveStore extends EventEmitter<LiveStoreEvents> implements LiveStore {
  readonly kind = 'memory' as const;
  private readonly records = new Map<string, LotRecord>();
  private readonly gatewayLotIds = new Map<string, Set<string>>();
  /** The other side of each learned link: a deleted lot's links go with it. */
  private readonly lotGatewayIds = new Map<string, Set<string>>();
  private readonly gatewayStatus = new Map<string, boolean>();
  /** Each lot's history log and the number of its last record (DESIGN.md §7). */
  private readonly history = new Map<string, { n: number; records: HistoryRecord[] }>();
  private readonly leases = new Map<string, { holder: string; until: number }>();
  /** Each lot's declared bay kinds, kept apart from its live state as Redis keeps them (K:kinds): a lot without state has them for its first event. */
  private readonly declared = new Map<string, { kinds: Map<string, BayKind>; digest: string }>();

  /** `history`: write the history log (HISTORY_RECORDING; default on). */
  constructor(private readonly clock: () => number = Date.now, private readonly recordsHistory = true) {
    super();
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {
    this.removeAllListeners();
  }

  /**
   * Applies a rule (which changes the record only when it applies); keeps,
   * logs for history (`at` the sensor's time, or the service's: `time`) and
   * announces applied changes. `time` undefined: not a change history records.
   */
  private apply(lotId: string, lotCapacity: number, rule: (record: LotRecord) => ApplyResult, time?: { at: number; sensorTime: boolean }): ApplyResult {
    const record = this.records.get(lotId) ?? this.newRecord(lotId, lotCapacity);
    let result: ApplyResult;
    try {
      result = rule(record);
    } catch (err) {
      throw new LiveStoreRefusal(`the live store refused the event: ${(err as Error).message}`, { cause: err });
    }
    if (result.outcome === 'applied') {
      this.records.set(lotId, record);
      if (time) this.log(lotId, (n) => ({ n, kind: 'change', ...time, live: { ...result.state } }));
      this.emit('change', [{ id: lotId, ...result.state }]);
    }
    return result;
  }

  private newRecord(lotId: string, lotCapacity: number): LotRecord {
    const record = emptyLotRecord(lotCapacity);
    const declared = this.declared.get(lotId);
    if (declared) {
      record.bayKinds = new Map(declared.kinds);
      record.bayKindsDigest = declared.digest;
    }
    return record;
  }

  async setBayKinds(lotId: string, kinds: ReadonlyMap<string, BayKind>, digest: string, at: number): Promise<LiveState | null> {
    if (digest === '') this.declared.delete(lotId);
    else this.declared.set(lotId, { kinds: new Map(kinds), digest });
    if (!this.records.has(lotId)) return null;
    return this.apply(lotId, 0, (r) => applyBayKinds(r, kinds, digest), { at, sensorTime: false }).state;
  }

  async applyCount(event: CountEvent, lotCapacity: number): Promise<ApplyResult> {
    return this.apply(event.lotId, lotCapacity, (r) => applyCount(r, event), { at: event.ts, sensorTime: true });
  }

  async applyGate(event: GateEvent, lotCapacity: number): Promise<ApplyResult> {
    return this.apply(event.lotId, lotCapacity, (r) => applyGate(r, event), { at: event.ts, sensorTime: true });
  }

  async applySpace(event: SpaceEvent, lotCapacity: number): Promise<ApplyResult> {
    return this.apply(event.lotId, lotCapacity, (r) => applySpace(r, event), { at: event.ts, sensorTime: true });
  }

  async applyHeartbeat(event: HeartbeatEvent, lotCapacity: number): Promise<ApplyResult> {
    return this.apply(event.lotId, lotCapacity, (r) => applyHeartbeat(r, event), { at: event.ts, sensorTime: true });
  }

  async setLotOffline(lotId: string, offline: boolean, receivedAt: number, lotCapacity: number): Promise<ApplyResult> {
    return this.apply(lotId, lotCapacity, (r) => applyLotOffline(r, offline, receivedAt), { at: receivedAt, sensorTime: false });
  }

  async markStale(lotId: string, aliveAt: number): Promise<boolean> {
    if (!this.records.has(lotId)) return false;
    return this.apply(lotId, 0, (r) => applyStaleMark(r, aliveAt)).outcome === 'applied';
  }

  async getMany(ids: readonly string[]): Promise<Map<string, LiveState>> {
    const found = new Map<string, LiveState>();
    for (const id of ids) {
      const record = this.records.get(id);
      if (record) found.set(id, { ...record.state });
    }
    return found;
  }

  async getBays(lotId: string): Promise<Map<string, BayState>> {
    const bays = new Map<string, BayState>();
    for (const [space, bay] of this.records.get(lotId)?.bays ?? []) bays.set(space, { ...bay });
    return bays;
  }

  async deleteLot(id: string): Promise<void> {
    this.records.delete(id);
    this.declared.delete(id);
    this.history.delete(id);
    for (const gatewayId of this.lotGatewayIds.get(id) ?? []) {
      const lots = this.gatewayLotIds.get(gatewayId);
      lots?.delete(id);
      if (lots?.size === 0) this.gatewayLotIds.delete(gatewayId);
    }
    this.lotGatewayIds.delete(id);
  }

  async setCapacity(id: string, capacity: number, at: number): Promise<LiveState | null> {
    if (!this.records.has(id)) return null;
    return this.apply(id, capacity, (r) => applyCapacity(r, capacity), { at, sensorTime: false }).state;
  }

  private log(lotId: string, record: (n: number) => HistoryRecord): void {
    if (!this.recordsHistory) return;
    // A log starts numbering from the real time in microseconds (as the Redis
    // scripts do), so after a restart it numbers past every record the
    // recorder took before: the live state is gone, the history in SQL is not.
    const log = this.history.get(lotId) ?? this.history.set(lotId, { n: Math.floor((performance.timeOrigin + performance.now()) * 1000), records: [] }).get(lotId)!;
    log.n += 1;
    log.records.push(record(log.n));
    if (log.records.length > HISTORY_LOG_MAX) log.records.splice(0, log.records.length - HISTORY_LOG_MAX);
  }

  async readHistory(lotId: string, max: number): Promise<HistoryRecord[]> {
    return (this.history.get(lotId)?.records ?? []).slice(0, max).map((record) => structuredClone(record));
  }

  async trimHistory(lotId: string, upTo: number): Promise<void> {
    const log = this.history.get(lotId);
    if (!log) return;
    const keep = log.records.findIndex((record) => record.n > upTo);
    log.records.splice(0, keep < 0 ? log.records.length : keep);
  }

  async noteStatus(lotId: string, open: boolean, at: number): Promise<void> {
    if (this.records.has(lotId)) this.log(lotId, (n) => ({ n, kind: 'status', at, open }));
  }

  async holdLease(name: string, holder: string, ttlMs: number): Promise<boolean> {
    const now = this.clock();
    const lease = this.leases.get(name);
    if (lease && lease.holder !== holder && lease.until > now) return false;
    this.leases.set(name, { holder, until: now + ttlMs });
    return true;
  }

  async addGatewayLot(gatewayId: string, lotId: string): Promise<void> {
    const lots = this.gatewayLotIds.get(gatewayId) ?? this.gatewayLotIds.set(gatewayId, new Set()).get(gatewayId)!;
    lots.add(lotId);
    const gateways = this.lotGatewayIds.get(lotId) ?? this.lotGatewayIds.set(lotId, new Set()).get(lotId)!;
    gateways.add(gatewayId);
  }

  async gatewayLots(gatewayId: string): Promise<string[]> {
    return [...(this.gatewayLotIds.get(gatewayId) ?? [])].sort();
  }

  async setGatewayStatus(gatewayId: string, online: boolean): Promise<void> {
    this.gatewayStatus.set(gatewayId, online);
  }

  async gatewaysOnline(): Promise<number> {
    let online = 0;
    for (const up of this.gatewayStatus.values()) if (up) online++;
    return online;
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    if (this.leases.get(name)?.holder === holder) this.leases.delete(name);
  }

  async health(): Promise<DependencyHealth> {
    return { ok: true, kind: 'memory' };
  }
}
