// The production live store: a few Redis keys per lot, changed only by Lua
// scripts (server/live/lua/) that check, apply and announce a change in one
// atomic step, one script per event kind. Events arriving together are
// applied in batches (redis-batches.ts: one script call for many events, each
// applied as its own script would, one feed message per batch).
//
// Keys are hash-tagged per lot (`<prefix>{lot:<id>}…`) so every key of a lot
// lands in one Redis Cluster slot, and each script declares every key it
// touches. The offline queue is off: while Redis is down, commands fail at
// once and the ingest stage pauses (it retries, and acknowledges nothing)
// instead of piling events up in memory.
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import {
  GATE_LOG_MAX, GATE_SEQ_WINDOW, occupancySources,
  type ApplyOutcome, type ApplyResult, type BayKind, type BayState, type CountEvent, type GateEvent, type HeartbeatEvent, type LiveChange,
  type LiveState, type OccupancySource, type SpaceEvent,
} from '../domain/live.ts';
import { bayKinds, decodeKindCounts } from '../domain/bay-kinds.ts';
import { HISTORY_LOG_MAX, type HistoryRecord } from '../domain/history.ts';
import { connectRedis, FeedSubscriber, isCluster, type RedisClient, type RedisTarget } from '../redis.ts';
import { batchSource, RedisBatches, refusalOr, type BatchKind } from './redis-batches.ts';
import { type DependencyHealth, type LiveStore, type LiveStoreEvents } from './store.ts';

const lua = (name: string) => readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), 'utf8');
const LIB = lua('lib');

/** The scripts called alone, each with the shared prelude in front, and how many keys it declares (the event scripts run inside batches: redis-batches.ts). */
const SCRIPTS = {
  kwSetOffline: { keys: 2, file: 'set-offline' },
  kwMarkStale: { keys: 1, file: 'mark-stale' },
  kwSetCapacity: { keys: 2, file: 'set-capacity' },
  kwSetKinds: { keys: 4, file: 'set-kinds' },
  kwNoteStatus: { keys: 2, file: 'note-status' },
  kwTrimHistory: { keys: 1, file: 'trim-history' },
  kwHoldLease: { keys: 1, file: 'hold-lease' },
  kwReleaseLease: { keys: 1, file: 'release-lease' },
} as const;
type ScriptName = keyof typeof SCRIPTS;

/** The scripts' sources; with history off, the log keeps nothing (HIST_MAX 0: commit() appends no record). */
function sourcesFor(history: boolean): Record<ScriptName | 'kwApplyBatch', string> {
  const lib = LIB.replace('__HISTORY_LOG_MAX__', String(history ? HISTORY_LOG_MAX : 0));
  const sources = Object.fromEntries(Object.keys(SCRIPTS).map((name) => [name, `${lib}\n${lua(SCRIPTS[name as ScriptName].file)}`]));
  return { ...sources, kwApplyBatch: batchSource(lib, lua) } as Record<ScriptName | 'kwApplyBatch', string>;
}

/** The fields readers see, in the order scripts return them and the feed carries them. */
const STATE_FIELDS = ['cap', 'occ', 'ts', 'seq', 'clamped', 'rcv', 'alive', 'off', 'stale', 'src', 'kinds'] as const;
/** How many state values records written before the bays by kind carry (no `kinds`): still read, as having none. */
const STATE_FIELDS_BEFORE_KINDS = 10;
const isStateLength = (n: number) => n === STATE_FIELDS.length || n === STATE_FIELDS_BEFORE_KINDS;

export interface RedisLiveStoreOptions extends RedisTarget {
  keyPrefix: string;
  /** Write the history log (HISTORY_RECORDING; default on). */
  history?: boolean;
  /** Called when the connection drops or comes back, for logs and health. */
  onConnectionChange?: (up: boolean, detail?: string) => void;
}

const num = (v: string | null | undefined): number | null => (v === null || v === undefined || v === '' ? null : Number(v));
const str = (v: number | null) => (v === null ? '' : String(v));

/** Turns the scripts' and the feed's field values (from `from` on) back into a LiveState. */
export function decodeState(values: readonly (string | null | undefined)[], from = 0): Required<LiveState> {
  const v = values;
  const o = from;
  return {
    capacity: num(v[o]) ?? 0,
    occupied: num(v[o + 1]),
    ts: num(v[o + 2]),
    seq: num(v[o + 3]),
    clamped: v[o + 4] === '1',
    receivedAt: num(v[o + 5]),
    aliveAt: num(v[o + 6]),
    offline: v[o + 7] === '1',
    source: occupancySources.includes(v[o + 9] as OccupancySource) ? (v[o + 9] as OccupancySource) : null,
    staleMarked: v[o + 8] === '1',
    kinds: decodeKindCounts(v[o + 10]),
  };
}

/**
 * A history log entry ("<n>|s|<at>|<state>", "<n>|r|<at>|<state>" or
 * "<n>|o|<at>|<1|0>", lua/lib.lua) decoded; undefined when it is not one.
 * One split, and only the fields the history reads (HistoryLive) made
 * numbers: the recorder decodes every record applied.
 */
export function decodeHistoryRecord(entry: string): HistoryRecord | undefined {
  const parts = entry.split('|');
  const number = Number(parts[0]);
  const kind = parts[1];
  const time = Number(parts[2]);
  if (!Number.isSafeInteger(number) || !Number.isFinite(time)) return undefined;
  if (kind === 'o') return { n: number, kind: 'status', at: time, open: parts[3] === '1' };
  if ((kind !== 's' && kind !== 'r') || !isStateLength(parts.length - 3)) return undefined;
  // The state (STATE_FIELDS) from the fourth field on: cap, occ, ts, … alive (+6), off (+7).
  const live = { capacity: num(parts[3]) ?? 0, occupied: num(parts[4]), ts: num(parts[5]), aliveAt: num(parts[9]), offline: parts[10] === '1' };
  return { n: number, kind: 'change', at: time, sensorTime: kind === 's', live };
}

export class RedisLiveStore extends EventEmitter<LiveStoreEvents> implements LiveStore {
  readonly kind = 'redis' as const;
  private redis: RedisClient | undefined;
  private subscriber: FeedSubscriber | undefined;
  private readonly channel: string;
  private lastError: string | undefined;
  private stopping = false;
  /** The events of this turn of the event loop, sent to Redis in one call. */
  private batches: RedisBatches | undefined;

  constructor(private readonly options: RedisLiveStoreOptions) {
    super();
    this.channel = `${options.keyPrefix}changes`;
  }

  keyOf(lotId: string): string {
    return `${this.options.keyPrefix}{lot:${lotId}}`;
  }

  private gatewayLotsKey(gatewayId: string): string {
    return `${this.options.keyPrefix}{gw:${gatewayId}}:lots`;
  }

  private get gatewaysKey(): string {
    return `${this.options.keyPrefix}gateways`;
  }

  async start(): Promise<void> {
    const common = {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      lazyConnect: true,
      retryStrategy: (attempt: number) => Math.min(100 * attempt, 2000),
    };
    // Auto-pipelining sends the scripts of concurrent events (several MQTT
    // connections, several lots) in one round trip (with a cluster: one per node).
    const redis = connectRedis(this.options, { ...common, enableAutoPipelining: true });
    const sources = sourcesFor(this.options.history ?? true);
    for (const [name, { keys }] of Object.entries(SCRIPTS)) redis.defineCommand(name, { numberOfKeys: keys, lua: sources[name as ScriptName] });
    this.batches = new RedisBatches({ source: sources.kwApplyBatch, channel: this.channel, decode: decodeState });
    redis.on('error', (err: Error) => {
      this.lastError = err.message;
    });
    redis.on('ready', () => {
      this.lastError = undefined;
      this.options.onConnectionChange?.(true);
    });
    redis.on('close', () => {
      if (!this.stopping) this.options.onConnectionChange?.(false, this.lastError);
    });
    this.redis = redis;

    // Changes published while the feed was down were missed: readers are asked to reload.
    const subscriber = new FeedSubscriber(this.options, {
      message: (_channel, message) => this.onFeedMessage(message),
      reconnect: () => this.emit('resync'),
    });
    this.subscriber = subscriber;

    await redis.connect();
    await subscriber.start([this.channel]);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.removeAllListeners();
    await Promise.allSettled([this.subscriber?.stop(), this.redis?.quit()]);
    this.redis?.disconnect();
  }

  private onFeedMessage(message: string): void {
    // One line per lot (a batch announces several): id|cap|occ|ts|seq|clamped|rcv|alive|off|stale|src|kinds —
    // plain strings, so 13-digit timestamps and large seq values keep every digit (cjson would round them).
    // (An instance from before the bays by kind sends no kinds.)
    const changes: LiveChange[] = [];
    for (const line of message.split('\n')) {
      const parts = line.split('|');
      const id = parts[0];
      if (id && isStateLength(parts.length - 1)) changes.push({ id, ...decodeState(parts, 1) });
    }
    if (changes.length > 0) this.emit('change', changes);
  }

  private get client(): RedisClient {
    if (!this.redis) throw new Error('RedisLiveStore used before start()');
    return this.redis;
  }

  private async run(script: ScriptName, keys: string[], args: string[]): Promise<ApplyResult> {
    const command = (this.client as unknown as Record<ScriptName, (...a: string[]) => Promise<string[]>>)[script];
    let reply: string[];
    try {
      reply = await command.call(this.client, ...keys, ...args);
    } catch (err) {
      throw refusalOr(err);
    }
    const [outcome, ...values] = reply;
    return { outcome: outcome as ApplyOutcome, state: decodeState(values) };
  }

  /** Applies an event in the next batch; it fails at once, as a direct command would, before start(). */
  private batched(kind: BatchKind, keys: string[], args: string[]): Promise<ApplyResult> {
    const client = this.client;
    return this.batches!.add(client, kind, keys, args);
  }

  async applyCount(event: CountEvent, lotCapacity: number): Promise<ApplyResult> {
    const key = this.keyOf(event.lotId);
    return this.batched('c', [key, `${key}:log`, `${key}:hist`], [
      event.lotId, String(lotCapacity), String(event.ts), str(event.seq), str(event.occupied), str(event.free),
      str(event.capacity), String(event.receivedAt), this.channel,
    ]);
  }

  async applyGate(event: GateEvent, lotCapacity: number): Promise<ApplyResult> {
    const key = this.keyOf(event.lotId);
    return this.batched('g', [key, `${key}:log`, `${key}:seen:${event.gate}`, `${key}:hist`], [
      event.lotId, String(lotCapacity), event.gate, String(event.delta), String(event.ts), event.sensorTs ? '1' : '0',
      str(event.seq), String(event.receivedAt), this.channel, String(GATE_SEQ_WINDOW), String(GATE_LOG_MAX),
    ]);
  }

  async applySpace(event: SpaceEvent, lotCapacity: number): Promise<ApplyResult> {
    const key = this.keyOf(event.lotId);
    return this.batched('s', [key, `${key}:bays`, `${key}:hist`, `${key}:kinds`], [
      event.lotId, String(lotCapacity), event.spaceId, event.occupied ? '1' : '0', String(event.ts), str(event.seq),
      String(event.receivedAt), this.channel,
    ]);
  }

  async applyHeartbeat(event: HeartbeatEvent, lotCapacity: number): Promise<ApplyResult> {
    const key = this.keyOf(event.lotId);
    return this.batched('h', [key, `${key}:hist`], [
      event.lotId, String(lotCapacity), String(event.ts), String(event.receivedAt), this.channel,
    ]);
  }

  async setLotOffline(lotId: string, offline: boolean, receivedAt: number, lotCapacity: number): Promise<ApplyResult> {
    const key = this.keyOf(lotId);
    return this.run('kwSetOffline', [key, `${key}:hist`], [lotId, String(lotCapacity), offline ? '1' : '0', String(receivedAt), this.channel]);
  }

  async markStale(lotId: string, aliveAt: number): Promise<boolean> {
    const command = (this.client as unknown as { kwMarkStale: (...a: string[]) => Promise<number> }).kwMarkStale;
    return (await command.call(this.client, this.keyOf(lotId), lotId, String(aliveAt), this.channel)) === 1;
  }

  async getMany(ids: readonly string[]): Promise<Map<string, LiveState>> {
    const found = new Map<string, LiveState>();
    if (ids.length === 0) return found;
    const client = this.client;
    if (isCluster(client)) {
      // A cluster pipeline must stay in one slot: one command per lot, auto-pipelined per node.
      const rows = await Promise.all(ids.map((id) => client.hmget(this.keyOf(id), ...STATE_FIELDS)));
      rows.forEach((row, i) => row[0] !== null && found.set(ids[i]!, decodeState(row)));
      return found;
    }
    const pipeline = client.pipeline();
    for (const id of ids) pipeline.hmget(this.keyOf(id), ...STATE_FIELDS);
    const replies = (await pipeline.exec()) ?? [];
    replies.forEach(([err, values], i) => {
      if (err) throw err;
      const row = values as (string | null)[];
      if (row[0] !== null) found.set(ids[i]!, decodeState(row));
    });
    return found;
  }

  async getBays(lotId: string): Promise<Map<string, BayState>> {
    // K:bays holds space -> "<0|1>|<ts>|<seq or ''>" (lua/lib.lua).
    const bays = new Map<string, BayState>();
    for (const [space, value] of Object.entries(await this.client.hgetall(`${this.keyOf(lotId)}:bays`))) {
      const [occupied, ts, seq] = value.split('|');
      bays.set(space, { occupied: occupied === '1', ts: Number(ts), seq: num(seq) });
    }
    return bays;
  }

  /**
   * Forgets a lot: its state, and which gateways were seen publishing for it
   * (`{lot:<id>}:gateways`), so a lot created later with this id inherits
   * no gateway (DESIGN.md §3).
   */
  async deleteLot(id: string): Promise<void> {
    const key = this.keyOf(id);
    const [gates, gateways] = await Promise.all([this.client.hkeys(key), this.client.smembers(`${key}:gateways`)]);
    const seen = gates.filter((field) => field.startsWith('g:')).map((field) => `${key}:seen:${field.slice(2)}`);
    await this.client.del(key, `${key}:log`, `${key}:bays`, `${key}:kinds`, `${key}:gateways`, `${key}:hist`, ...seen);
    // Tidying only: gatewayLots() trusts a link only when the lot's side has it too.
    await Promise.all(gateways.map((gateway) => this.client.srem(this.gatewayLotsKey(gateway), id)));
  }

  async setCapacity(id: string, capacity: number, at: number): Promise<LiveState | null> {
    const key = this.keyOf(id);
    const { outcome, state } = await this.run('kwSetCapacity', [key, `${key}:hist`], [id, String(capacity), this.channel, String(at)]);
    return (outcome as string) === 'absent' ? null : state;
  }

  async setBayKinds(lotId: string, kinds: ReadonlyMap<string, BayKind>, digest: string, at: number): Promise<LiveState | null> {
    const key = this.keyOf(lotId);
    const declared = { charging: 0, disabled: 0, family: 0, women: 0 };
    const pairs: string[] = [];
    for (const [space, kind] of kinds) {
      declared[kind]++;
      pairs.push(space, kind);
    }
    const counts = bayKinds.map((kind) => declared[kind]).join(',');
    const { outcome, state } = await this.run('kwSetKinds', [key, `${key}:kinds`, `${key}:bays`, `${key}:hist`], [lotId, digest, this.channel, String(at), counts, ...pairs]);
    return (outcome as string) === 'absent' ? null : state;
  }

  /** Both sides of the link: the gateway's lots, and the lot's gateways (deleted with the lot). */
  async addGatewayLot(gatewayId: string, lotId: string): Promise<void> {
    await Promise.all([this.client.sadd(this.gatewayLotsKey(gatewayId), lotId), this.client.sadd(`${this.keyOf(lotId)}:gateways`, gatewayId)]);
  }

  /**
   * The gateway's lots whose own side still has the link: a lot deleted (and
   * perhaps created again) since is not among them, even when the tidying in
   * deleteLot did not happen (a link written before the lots' side existed).
   */
  async gatewayLots(gatewayId: string): Promise<string[]> {
    const key = this.gatewayLotsKey(gatewayId);
    const lotIds = await this.client.smembers(key);
    if (lotIds.length === 0) return [];
    // Each lot's side in its own slot: one command each, auto-pipelined (per node with a cluster).
    const members = await Promise.all(lotIds.map((lotId) => this.client.sismember(`${this.keyOf(lotId)}:gateways`, gatewayId)));
    const linked: string[] = [];
    const gone: string[] = [];
    members.forEach((member, i) => (member === 1 ? linked : gone).push(lotIds[i]!));
    if (gone.length > 0) await this.client.srem(key, ...gone);
    return linked.sort();
  }

  async setGatewayStatus(gatewayId: string, online: boolean): Promise<void> {
    await this.client.hset(this.gatewaysKey, gatewayId, online ? '1' : '0');
  }

  async gatewaysOnline(): Promise<number> {
    return (await this.client.hvals(this.gatewaysKey)).filter((v) => v === '1').length;
  }

  async readHistory(lotId: string, max: number): Promise<HistoryRecord[]> {
    const entries = await this.client.lrange(`${this.keyOf(lotId)}:hist`, 0, max - 1);
    return entries.flatMap((entry) => decodeHistoryRecord(entry) ?? []);
  }

  async trimHistory(lotId: string, upTo: number): Promise<void> {
    await (this.client as unknown as { kwTrimHistory: (...a: string[]) => Promise<number> }).kwTrimHistory(`${this.keyOf(lotId)}:hist`, String(upTo));
  }

  async noteStatus(lotId: string, open: boolean, at: number): Promise<void> {
    const key = this.keyOf(lotId);
    await (this.client as unknown as { kwNoteStatus: (...a: string[]) => Promise<number> }).kwNoteStatus(key, `${key}:hist`, open ? '1' : '0', String(at));
  }

  async holdLease(name: string, holder: string, ttlMs: number): Promise<boolean> {
    const command = (this.client as unknown as { kwHoldLease: (...a: string[]) => Promise<number> }).kwHoldLease;
    return (await command.call(this.client, `${this.options.keyPrefix}lease:${name}`, holder, String(ttlMs))) === 1;
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    const command = (this.client as unknown as { kwReleaseLease: (...a: string[]) => Promise<number> }).kwReleaseLease;
    await command.call(this.client, `${this.options.keyPrefix}lease:${name}`, holder);
  }

  async health(): Promise<DependencyHealth> {
    try {
      await this.client.ping();
      return { ok: true, kind: 'redis' };
    } catch (err) {
      return { ok: false, kind: 'redis', detail: this.lastError ?? (err as Error).message };
    }
  }
}
